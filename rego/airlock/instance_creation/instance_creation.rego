# METADATA
# title: Instance creation
# description: |
#   New cloud compute: VMs, clusters, cloud jobs and deployments, whether from a
#   cloud CLI, a provider's HTTP API, SDK calls in code, or a structured tool.
#   Local containers and VMs (docker run, qemu, minikube) are not new cloud compute
#   and are left alone.
package airlock.instance_creation

import data.airlock.lib

category := "instance_creation"

# METADATA
# title: a cloud or cluster CLI creates compute
findings contains lib.finding("airlock.instance_creation.compute_cli", category, msg) if {
	some c in lib.commands
	some seq in data.airlock.compute_cli[c.program]
	seq[0] in c.heads
	lib.runs(c, seq)
	msg := concat(" ", [lib.quoted(array.concat([c.program], seq)), "would create cloud compute"])
}

# METADATA
# title: an HTTP request to a provider API creates compute
findings contains lib.finding("airlock.instance_creation.compute_api", category, msg) if {
	some url in input.action.urls
	some entry in data.airlock.compute_api
	lib.url_matches(url, entry)
	msg := concat(" ", [lib.url_text(url), "would create cloud compute"])
}

# METADATA
# title: code calls an SDK function that creates compute
findings contains lib.finding("airlock.instance_creation.compute_code", category, msg) if {
	code := input.action.code
	some call in code.calls
	some entry in data.airlock.compute_code
	lib.code_call_matches(code, entry, call)
	msg := concat("", ["code calls ", call, ", which creates cloud compute"])
}

# METADATA
# title: a structured tool whose name says it creates compute
findings contains lib.finding("airlock.instance_creation.compute_tool", category, msg) if {
	name := input.tool_call.name
	lib.name_matches(name, data.airlock.compute_tool_words)
	msg := concat(" ", ["tool", name, "would create cloud compute"])
}
