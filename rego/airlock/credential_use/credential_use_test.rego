package airlock.credential_use_test

import data.airlock.credential_use
import data.airlock.fixtures

file_rule := "airlock.credential_use.credential_file"

cli_rule := "airlock.credential_use.credential_cli"

test_secret_in_arguments_denied if {
	inp := fixtures.with_action({"secrets": [{"type": "aws_access_key_id", "at": "arguments.command"}]})
	decision := data.airlock.decision with input as inp
	decision.action == "deny"
	decision.reasons == [{
		"rule": "airlock.credential_use.secret_in_arguments",
		"category": "credential_use",
		"message": "the call carries a aws_access_key_id (at arguments.command)",
	}]
}

test_secret_without_type_or_place_denied if {
	inp := fixtures.with_action({"secrets": [{}]})
	decision := data.airlock.decision with input as inp
	decision.action == "deny"
	decision.reasons[0].message == "the call carries a secret (at arguments)"
}

test_credential_file_reads_denied if {
	files := [
		"/root/.aws/credentials", "~/.aws/credentials", "$HOME/.ssh/id_ed25519", "/home/u/.ssh/id_rsa",
		"~/.kube/config", "~/.docker/config.json", "~/.netrc", "/home/u/.git-credentials", "/etc/shadow",
		"~/.config/gcloud/application_default_credentials.json", "project/.env", ".env.production",
		"~/Library/Keychains/login.keychain-db", "~/.bash_history", "/proc/1234/environ",
		"/var/run/secrets/kubernetes.io/serviceaccount/token",
		"~/Library/Application Support/Google/Chrome/Default/Login Data", "certs/server.key",
	]
	missed := [f | some f in files; not file_rule in fixtures.rules(fixtures.reads(f))]
	print("not flagged:", missed)
	count(missed) == 0
}

test_non_credential_files_allowed if {
	files := [
		"README.md", "~/.ssh/id_rsa.pub", "~/.ssh/known_hosts", "~/.ssh/config", "/etc/passwd", ".env.example",
		"~/.aws/config", "src/credentials.py", "docs/tokens.md", "~/.ssh",
	]
	flagged := [f | some f in files; fixtures.action(fixtures.reads(f)) != "allow"]
	print("flagged:", flagged)
	count(flagged) == 0
}

test_path_without_op_treated_as_read_denied if {
	inp := fixtures.with_action({"paths": [{"path": "/root/.aws/credentials"}]})
	fixtures.action(inp) == "deny"
}

test_credential_file_write_allowed if {
	inp := fixtures.with_action({"paths": [{"path": "/root/.aws/credentials", "op": "write"}]})
	fixtures.action(inp) == "allow"
}

test_command_naming_credential_file_denied if {
	decision := data.airlock.decision with input as fixtures.run(["cat", "/root/.aws/credentials"])
	decision.action == "deny"
	decision.reasons[0].message == "`cat` reads credential file /root/.aws/credentials"
	file_rule in fixtures.rules(fixtures.run(["cp", "~/.ssh/id_rsa", "/tmp/k"]))
	file_rule in fixtures.rules(fixtures.run(["curl", "--key=client-key.pem", "https://example.com"]))
}

test_listing_and_permissions_on_credentials_allowed if {
	fixtures.action(fixtures.run(["ls", "-la", "~/.ssh"])) == "allow"
	fixtures.action(fixtures.run(["ls", "~/.ssh/id_rsa"])) == "allow"
	fixtures.action(fixtures.run(["chmod", "600", "~/.ssh/id_rsa"])) == "allow"
	fixtures.action(fixtures.run(["cat", "README.md"])) == "allow"
}

test_grep_word_in_file_allowed if {
	fixtures.action(fixtures.run(["grep", "password", "config.yaml"])) == "allow"
	fixtures.action(fixtures.run(["grep", "-rn", "password", "./src"])) == "allow"
}

test_recursive_secret_grep_over_root_denied if {
	decision := data.airlock.decision with input as fixtures.run(["grep", "-ri", "password", "/"])
	decision.action == "deny"
	decision.reasons[0].rule == "airlock.credential_use.secret_search"
	fixtures.action(fixtures.run(["rg", "API_KEY", "~"])) == "deny"
	fixtures.action(fixtures.run(["grep", "--recursive", "-e", "token", "/home"])) == "deny"
}

test_credential_file_search_denied if {
	fixtures.action(fixtures.run(["find", "/", "-name", "id_rsa"])) == "deny"
	fixtures.action(fixtures.run(["find", "/", "-name", "id_rsa*"])) == "deny"
	fixtures.action(fixtures.run(["find", "~/.aws", "-name", "credentials"])) == "deny"
	fixtures.action(fixtures.run(["find", "/", "-type", "d", "-name", ".gnupg"])) == "deny"
	fixtures.action(fixtures.run(["locate", "wallet.dat"])) == "deny"
}

test_ordinary_find_allowed if {
	fixtures.action(fixtures.run(["find", ".", "-name", "*.py"])) == "allow"
	fixtures.action(fixtures.run(["find", "~/.ssh", "-name", "*.pub"])) == "allow"
}

test_credential_cli_denied if {
	commands := [
		["security", "find-generic-password", "-s", "svc", "-w"],
		["gcloud", "auth", "print-access-token"],
		["aws", "sts", "get-session-token"],
		["aws", "configure"],
		["aws", "ssm", "get-parameter", "--name", "db", "--with-decryption"],
		["gh", "auth", "token"],
		["docker", "login", "-u", "me", "registry.example.com"],
		["vault", "read", "secret/db"],
		["kubectl", "get", "secrets", "-A"],
		["kubectl", "get", "secret", "db", "-o", "yaml"],
		["az", "account", "get-access-token"],
		["op", "read", "op://vault/item/field"],
		["bitcoin-cli", "dumpprivkey", "addr"],
		["ssh-add", "~/.ssh/id_ed25519"],
		["pass", "show", "email"],
	]
	missed := [argv | some argv in commands; not cli_rule in fixtures.rules(fixtures.run(argv))]
	print("not flagged:", missed)
	count(missed) == 0
}

test_credential_cli_reads_without_secrets_allowed if {
	commands := [
		["aws", "sts", "get-caller-identity"],
		["aws", "ssm", "get-parameter", "--name", "app-version"],
		["gh", "auth", "status"],
		["kubectl", "get", "pods"],
		["ssh-add", "-l"],
		["hf", "auth", "whoami"],
		["vault", "status"],
		["pass", "ls"],
		["security", "list-keychains"],
	]
	flagged := [argv | some argv in commands; fixtures.action(fixtures.run(argv)) != "allow"]
	print("flagged:", flagged)
	count(flagged) == 0
}

test_credential_flag_denied if {
	rules := fixtures.rules(fixtures.run(["wget", "--user", "u", "--password=hunter2", "https://example.com"]))
	"airlock.credential_use.credential_flag" in rules
}

test_dumping_tools_denied if {
	fixtures.action(fixtures.run(["mimikatz.exe"])) == "deny"
	fixtures.action(fixtures.run(["python3", "/tmp/LaZagne/Linux/laZagne.py", "all"])) == "deny"
	fixtures.action(fixtures.run(["bash", "tools/mimipenguin/mimipenguin.sh"])) == "deny"
	fixtures.action(fixtures.run(["secretsdump.py", "-just-dc", "corp/admin@dc"])) == "deny"
	fixtures.action(fixtures.run(["python3", "app.py"])) == "allow"
}

test_metadata_credentials_denied if {
	aws := "/latest/meta-data/iam/security-credentials/role"
	fixtures.action(fixtures.request("GET", "169.254.169.254", aws)) == "deny"
	gcp := "/computeMetadata/v1/instance/service-accounts/default/token"
	fixtures.action(fixtures.request("GET", "metadata.google.internal", gcp)) == "deny"
	fixtures.action(fixtures.request("GET", "169.254.169.254", "/latest/meta-data/instance-id")) == "allow"
}

test_credential_tool_names_denied if {
	fixtures.action(fixtures.tool("get_password", {"site": "bank"})) == "deny"
	fixtures.action(fixtures.tool("exportCookies", {})) == "deny"
	fixtures.action(fixtures.tool("update_password", {})) == "allow"
	fixtures.action(fixtures.tool("search_emails", {"query": "password reset"})) == "allow"
}

test_missing_action_lists_allowed if {
	inp := object.union(fixtures.base, {"action": {"code": null}})
	count(credential_use.findings) == 0 with input as inp
	fixtures.action(inp) == "allow"
}

test_malformed_facts_do_not_hide_secret_denied if {
	inp := fixtures.with_action({
		"commands": [{"argv": "not a list"}, {"program": 7}],
		"paths": [{"path": 3, "op": "read"}],
		"urls": [{"host": null}],
		"secrets": ["raw secret entry"],
	})
	decision := data.airlock.decision with input as inp
	decision.action == "deny"
	decision.reasons[0].rule == "airlock.credential_use.secret_in_arguments"
}

test_message_with_quotes_and_newlines_is_one_line if {
	decision := data.airlock.decision with input as fixtures.run(["cat", "/root/.aws/\"x\n/.aws/credentials"])
	decision.reasons[0].message == "`cat` reads credential file /root/.aws/'x /.aws/credentials"
}

test_search_by_full_path_denied if {
	fixtures.action(fixtures.run(["find", "/", "-path", "/root/wallet.dat"])) == "deny"
}

test_copy_into_env_file_allowed if {
	fixtures.action(fixtures.run(["cp", ".env.example", ".env"])) == "allow"
	fixtures.action(fixtures.run(["cp", "-v", ".env", "backup/.env"])) == "deny"
}

test_copy_without_operands_allowed if {
	fixtures.action(fixtures.run(["cp"])) == "allow"
	fixtures.action(fixtures.run(["cp", "--help"])) == "allow"
}
