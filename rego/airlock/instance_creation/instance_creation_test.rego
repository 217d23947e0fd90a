package airlock.instance_creation_test

import data.airlock.fixtures
import data.airlock.instance_creation

cli_rule := "airlock.instance_creation.compute_cli"

flags_cli(argv) if cli_rule in fixtures.rules(fixtures.run(argv))

test_aws_run_instances_escalates if {
	decision := data.airlock.decision with input as fixtures.run(["aws", "ec2", "run-instances", "--image-id", "ami-1", "--count", "1"])
	decision.action == "escalate"
	decision.reasons == [{
		"rule": cli_rule,
		"category": "instance_creation",
		"message": "`aws ec2 run-instances` would create cloud compute",
	}]
}

test_cloud_cli_creations_flagged if {
	creations := [
		["gcloud", "compute", "instances", "create", "vm-1", "--zone", "us-central1-a"],
		["az", "vm", "create", "-g", "rg", "-n", "vm-1", "--image", "Ubuntu2204"],
		["doctl", "compute", "droplet", "create", "web-1", "--size", "s-1vcpu-1gb"],
		["doctl", "compute", "d", "c", "--region", "nyc1", "web-1"],
		["hcloud", "server", "create", "--name", "node-1", "--type", "cx22"],
		["linode-cli", "linodes", "create", "--type", "g6-nanode-1"],
		["vultr-cli", "instance", "create", "--region", "ewr"],
		["kubectl", "run", "worker", "--image", "alpine"],
		["kubectl", "create", "deployment", "web", "--image", "nginx"],
		["kubectl", "create", "-f", "pod.yaml"],
		["kubectl", "create", "--filename=pod.yaml"],
		["terraform", "apply", "-auto-approve"],
		["pulumi", "up", "-y"],
		["hf", "jobs", "run", "python:3.12", "python", "train.py"],
		["hf", "jobs", "uv", "run", "train.py"],
		["modal", "deploy", "app.py"],
		["sky", "launch", "-c", "cluster", "task.yaml"],
		["runpodctl", "create", "pod", "--gpuType", "A100"],
		["vastai", "create", "instance", "123"],
		["flyctl", "machine", "run", "nginx"],
		["eksctl", "create", "cluster", "--name", "c1"],
		["helm", "upgrade", "--install", "web", "chart/"],
	]
	missed := [argv | some argv in creations; not flags_cli(argv)]
	print("not flagged:", missed)
	count(missed) == 0
}

test_flags_and_their_values_before_verbs_flagged if {
	flags_cli(["aws", "--profile", "prod", "--region", "us-east-1", "ec2", "run-instances"])
	flags_cli(["kubectl", "--context", "kind-dev", "run", "pod-1", "--image", "alpine"])
	flags_cli(["gcloud", "beta", "compute", "instances", "create", "vm-1"])
	flags_cli(["gcloud", "compute", "--project", "p1", "instances", "create", "vm-1"])
}

test_argv_without_program_field_flagged if {
	inp := fixtures.with_action({"commands": [{"argv": ["/usr/local/bin/aws", "ec2", "run-instances"], "raw": "x"}]})
	cli_rule in fixtures.rules(inp)
}

test_read_only_cloud_cli_allowed if {
	reads := [
		["aws", "ec2", "describe-instances"],
		["aws", "ec2", "help"],
		["gcloud", "compute", "instances", "list"],
		["gcloud", "compute", "instances", "describe", "vm-1"],
		["az", "vm", "list", "--output", "table"],
		["doctl", "compute", "d", "ls"],
		["kubectl", "get", "pods"],
		["kubectl", "logs", "deploy/web"],
		["kubectl", "get", "pods", "--sort-by", "run"],
		["linode-cli", "linodes", "list"],
		["terraform", "plan"],
		["hf", "download", "gpt2"],
		["hf", "jobs", "ps"],
		["eksctl", "get", "cluster"],
	]
	flagged := [argv | some argv in reads; fixtures.action(fixtures.run(argv)) != "allow"]
	print("flagged:", flagged)
	count(flagged) == 0
}

local_rule := "airlock.instance_creation.local_compute"

test_local_containers_and_vms_escalate if {
	local := [
		["docker", "run", "--rm", "-it", "alpine", "sh"],
		["docker", "compose", "up", "-d"],
		["docker-compose", "-f", "dev.yml", "up"],
		["podman", "run", "alpine"],
		["podman", "machine", "init", "--cpus", "4"],
		["minikube", "start", "--driver", "docker"],
		["kind", "create", "cluster", "--name", "c1"],
		["k3d", "cluster", "create", "c1"],
		["qemu-system-x86_64", "-hda", "disk.img"],
		["vagrant", "up"],
		["multipass", "launch", "-n", "vm1"],
		["lxc-create", "-n", "c1", "-t", "download"],
	]
	missed := [argv | some argv in local; not local_rule in fixtures.rules(fixtures.run(argv))]
	print("not flagged:", missed)
	count(missed) == 0
	fixtures.action(fixtures.run(["docker", "run", "alpine"])) == "escalate"
}

test_local_container_reads_and_help_allowed if {
	reads := [
		["docker", "ps", "-a"],
		["docker", "build", "-t", "app", "."],
		["docker", "exec", "web", "ls"],
		["docker", "run", "--help"],
		["podman", "machine", "ls"],
		["multipass", "list"],
		["vagrant", "box", "list"],
		["kind", "get", "clusters"],
		["qemu-system-x86_64", "-M", "help"],
		["qemu-system-x86_64", "--version"],
	]
	flagged := [argv | some argv in reads; fixtures.action(fixtures.run(argv)) != "allow"]
	print("flagged:", flagged)
	count(flagged) == 0
}

test_local_compute_outcome_is_its_own_allowed if {
	outcomes := object.union(data.airlock.outcomes, {local_rule: "allow"})
	d := data.airlock.decision with input as fixtures.run(["docker", "run", "alpine"]) with data.airlock.outcomes as outcomes
	d.action == "allow"
	d.reasons[0].rule == local_rule
}

test_vercel_default_command_deploys_escalates if {
	cli_rule in fixtures.rules(fixtures.run(["vercel"]))
	cli_rule in fixtures.rules(fixtures.run(["vercel", "--prod"]))
	cli_rule in fixtures.rules(fixtures.run(["vercel", "path/to/project"]))
	fixtures.action(fixtures.run(["vercel", "ls"])) == "allow"
	fixtures.action(fixtures.run(["vercel", "login"])) == "allow"
	fixtures.action(fixtures.run(["vercel", "--version"])) == "allow"
}

test_help_for_create_command_allowed if {
	fixtures.action(fixtures.run(["gcloud", "compute", "instances", "create", "--help"])) == "allow"
	fixtures.action(fixtures.run(["aws", "ec2", "run-instances", "help"])) == "allow"
}

test_help_word_after_an_operand_escalates if {
	fixtures.action(fixtures.run(["hf", "jobs", "run", "python:3.12", "python", "app.py", "help"])) == "escalate"
}

test_command_after_double_dash_not_a_verb_allowed if {
	fixtures.action(fixtures.run(["kubectl", "exec", "pod-1", "--", "docker", "run", "x"])) == "allow"
}

test_ec2_query_api_run_instances_escalates if {
	inp := fixtures.with_action({"urls": [{
		"method": "GET", "scheme": "https", "host": "ec2.us-east-1.amazonaws.com",
		"path": "/", "query": "Action=RunInstances&ImageId=ami-1",
	}]})
	"airlock.instance_creation.compute_api" in fixtures.rules(inp)
	fixtures.action(inp) == "escalate"
}

test_provider_api_creations_escalate if {
	creations := [
		["POST", "compute.googleapis.com", "/compute/v1/projects/p1/zones/us-central1-a/instances"],
		["POST", "api.digitalocean.com", "/v2/droplets"],
		["POST", "api.hetzner.cloud", "/v1/servers"],
		["POST", "api.linode.com", "/v4/linode/instances"],
		["PUT", "management.azure.com", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"],
		["POST", "huggingface.co", "/api/jobs/my-user"],
		["POST", "k8s.internal:6443", "/api/v1/namespaces/default/pods"],
	]
	missed := [c | some c in creations; fixtures.action(fixtures.request(c[0], c[1], c[2])) != "escalate"]
	print("not escalated:", missed)
	count(missed) == 0
}

test_provider_api_reads_allowed if {
	fixtures.action(fixtures.request("GET", "api.digitalocean.com", "/v2/droplets")) == "allow"
	fixtures.action(fixtures.request("GET", "compute.googleapis.com", "/compute/v1/projects/p1/zones/z/instances")) == "allow"
	inp := fixtures.with_action({"urls": [{"method": "GET", "scheme": "https", "host": "ec2.amazonaws.com", "path": "/", "query": "Action=DescribeInstances"}]})
	fixtures.action(inp) == "allow"
}

test_url_without_method_or_query_still_escalates if {
	inp := fixtures.with_action({"urls": [{"host": "API.DigitalOcean.com.", "path": "/v2/droplets"}]})
	fixtures.action(inp) == "escalate"
}

test_host_with_port_escalates if {
	fixtures.action(fixtures.request("POST", "api.hetzner.cloud:443", "/v1/servers")) == "escalate"
}

test_boto3_run_instances_escalates if {
	inp := fixtures.code(["boto3"], ["boto3.client", "ec2.run_instances"])
	"airlock.instance_creation.compute_code" in fixtures.rules(inp)
	fixtures.action(inp) == "escalate"
}

test_hf_run_job_needs_import_escalates if {
	fixtures.action(fixtures.code(["huggingface_hub"], ["run_job"])) == "escalate"
	fixtures.action(fixtures.code(["scheduler"], ["run_job"])) == "allow"
}

test_hf_read_only_code_allowed if {
	fixtures.action(fixtures.code(["huggingface_hub"], ["list_jobs", "inspect_job", "fetch_job_logs"])) == "allow"
}

test_code_without_imports_field_uses_unguarded_entries_escalates if {
	inp := fixtures.with_action({"code": {"language": "python", "calls": ["client.run_instances"]}})
	fixtures.action(inp) == "escalate"
}

test_null_code_allowed if {
	fixtures.action(fixtures.with_action({"code": null})) == "allow"
}

test_create_instance_tool_escalates if {
	inp := fixtures.tool("create_instance", {"image": "ubuntu", "size": "small"})
	"airlock.instance_creation.compute_tool" in fixtures.rules(inp)
	fixtures.action(inp) == "escalate"
	fixtures.action(fixtures.tool("launchGpuVm", {})) == "escalate"
}

test_instance_read_tools_allowed if {
	fixtures.action(fixtures.tool("list_instances", {})) == "allow"
	fixtures.action(fixtures.tool("get_instance_status", {})) == "allow"
	fixtures.action(fixtures.tool("start_server", {})) == "allow"
}

test_missing_action_lists_allowed if {
	inp := object.union(fixtures.base, {"action": {}})
	count(instance_creation.findings) == 0 with input as inp
	fixtures.action(inp) == "allow"
}

test_arguments_error_still_matched_denied if {
	inp := object.union(fixtures.run(["terraform", "apply"]), {"tool_call": {
		"id": "call-1", "name": "bash", "arguments": "{not json",
		"arguments_error": "Expecting property name",
	}})
	count(instance_creation.findings) == 1 with input as inp
	fixtures.action(inp) == "deny" # unparsable arguments deny (main.rego)
}

test_four_word_verb_path_escalates if {
	argv := ["gcloud", "compute", "instance-groups", "managed", "create", "group-1", "--size", "3"]
	fixtures.action(fixtures.run(argv)) == "escalate"
	fixtures.action(fixtures.run(["gcloud", "compute", "instance-groups", "managed", "list"])) == "allow"
}

test_submodule_import_counts_escalates if {
	fixtures.action(fixtures.code(["huggingface_hub.hf_api"], ["api.run_job"])) == "escalate"
}
