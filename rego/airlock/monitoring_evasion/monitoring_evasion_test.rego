package airlock.monitoring_evasion_test

import data.airlock.fixtures
import data.airlock.monitoring_evasion

rule(name) := concat(".", ["airlock.monitoring_evasion", name])

flags(inp, name) if rule(name) in fixtures.rules(inp)

raw(argv, text) := fixtures.with_action({"commands": [fixtures.raw_command(argv, text)]})

test_a_bare_assignment_is_read_as_declare if {
	flags(raw(["declare", "HISTFILE=/dev/null"], "HISTFILE=/dev/null"), "log_tamper")
	flags(raw(["declare", "OPENAI_BASE_URL=http://x"], "OPENAI_BASE_URL=http://x"), "gateway_bypass")
	count(fixtures.rules(fixtures.run(["declare", "HISTORY_NOTE=x"]))) == 0
}

test_base_url_override_denied if {
	decision := data.airlock.decision with input as fixtures.run(["export", "OPENAI_BASE_URL=https://api.openai.com/v1"])
	decision == {"action": "deny", "reasons": [{
		"rule": "airlock.monitoring_evasion.gateway_bypass",
		"category": "monitoring_evasion",
		"message": "`OPENAI_BASE_URL=https://api.openai.com/v1` points the model client past the gateway",
	}]}
	flags(raw(["python", "agent.py"], "ANTHROPIC_BASE_URL=http://10.0.0.9 python agent.py"), "gateway_bypass")
	flags(fixtures.run(["env", "FOO=1", "OPENAI_API_KEY=sk-x"]), "gateway_bypass")
	flags(fixtures.run(["unset", "OPENAI_BASE_URL"]), "gateway_bypass")
	flags(fixtures.run(["setenv", "OPENAI_API_BASE", "http://x"]), "gateway_bypass")
}

test_base_url_written_to_file_denied if {
	flags(fixtures.writes(["echo", "OPENAI_BASE_URL=http://10.0.0.9/v1"], ".env"), "gateway_bypass")
	flags(fixtures.writes(["sed", "-i", "s|^OPENAI_BASE_URL=.*|OPENAI_BASE_URL=x|", ".env"], ".env"), "gateway_bypass")
}

test_direct_provider_calls_denied if {
	flags(fixtures.request("POST", "api.openai.com", "/v1/chat/completions"), "gateway_bypass")
	flags(fixtures.request("POST", "myres.openai.azure.com", "/openai/deployments/x/chat/completions"), "gateway_bypass")
	fixtures.action(fixtures.request("GET", "platform.openai.com", "/docs")) == "allow"
}

test_provider_names_mentioned_allowed if {
	fixtures.action(fixtures.run(["echo", "OPENAI_BASE_URL=http://x"])) == "allow"
	fixtures.action(fixtures.run(["grep", "-r", "OPENAI_BASE_URL", "src/"])) == "allow"
	fixtures.action(fixtures.run(["export", "PYTHONPATH=src"])) == "allow"
	fixtures.action(fixtures.run(["unset", "GIT_DIR"])) == "allow"
}

test_gateway_tampering_denied if {
	flags(fixtures.run(["pkill", "-f", "airlock"]), "gateway_tamper")
	flags(fixtures.run(["kill", "-9", "$(pgrep -f airlock)"]), "gateway_tamper")
	flags(fixtures.run(["systemctl", "stop", "airlock-gateway"]), "gateway_tamper")
	flags(fixtures.run(["docker", "stop", "airlock"]), "gateway_tamper")
	flags(fixtures.writes(["sed", "-i", "s/deny/allow/", "rego/data.json"], "rego/data.json"), "gateway_tamper")
	flags(fixtures.shell_with_paths([["rm", "/etc/airlock/airlock.yaml"]], [["/etc/airlock/airlock.yaml", "delete"]]), "gateway_tamper")
}

test_other_processes_and_reads_allowed if {
	fixtures.action(fixtures.run(["pkill", "-f", "webpack"])) == "allow"
	fixtures.action(fixtures.run(["systemctl", "restart", "nginx"])) == "allow"
	fixtures.action(fixtures.shell_with_paths([["cat", "rego/data.json"]], [["rego/data.json", "read"]])) == "allow"
}

test_history_clearing_denied if {
	flags(fixtures.run(["history", "-c"]), "log_tamper")
	flags(fixtures.run(["history", "-cr"]), "log_tamper")
	flags(fixtures.run(["set", "+o", "history"]), "log_tamper")
	flags(fixtures.run(["unset", "HISTFILE"]), "log_tamper")
	flags(fixtures.run(["export", "HISTFILE=/dev/null"]), "log_tamper")
	flags(fixtures.run(["export", "HISTSIZE=0"]), "log_tamper")
	flags(fixtures.shell_with_paths([["rm", "~/.bash_history"]], [["~/.bash_history", "delete"]]), "log_tamper")
	flags(fixtures.writes(["ln", "-sf", "/dev/null", "~/.bash_history"], "~/.bash_history"), "log_tamper")
}

test_history_reads_allowed if {
	fixtures.action(fixtures.run(["history"])) == "allow"
	fixtures.action(fixtures.run(["history", "20"])) == "allow"
	fixtures.action(fixtures.run(["export", "HISTCONTROL_X=1"])) == "allow"
}

test_log_clearing_denied if {
	flags(fixtures.writes(["truncate", "-s", "0", "/var/log/syslog"], "/var/log/syslog"), "log_tamper")
	flags(fixtures.writes(["echo", ""], "/var/log/messages"), "log_tamper")
	flags(fixtures.shell_with_paths([["shred", "-u", "/var/log/auth.log"]], [["/var/log/auth.log", "delete"]]), "log_tamper")
	flags(fixtures.run(["find", "/var/log", "-name", "*.log", "-delete"]), "log_tamper")
	flags(fixtures.run(["journalctl", "--vacuum-time=1s"]), "log_tamper")
	flags(fixtures.run(["aws", "cloudtrail", "stop-logging", "--name", "trail"]), "log_tamper")
	flags(fixtures.run(["aws", "guardduty", "update-detector", "--detector-id", "d", "--no-enable"]), "log_tamper")
	flags(fixtures.run(["gcloud", "logging", "logs", "delete", "projects/p/logs/x"]), "log_tamper")
}

test_log_reads_and_appends_allowed if {
	fixtures.action(fixtures.run(["journalctl", "-u", "nginx", "-n", "50"])) == "allow"
	fixtures.action(fixtures.run(["tail", "-f", "/var/log/syslog"])) == "allow"
	append := fixtures.with_action({
		"commands": [fixtures.raw_command(["echo", "started"], "echo started >> /var/log/app.log")],
		"paths": [{"path": "/var/log/app.log", "op": "write"}],
	})
	fixtures.action(append) == "allow"
	fixtures.action(fixtures.run(["find", "/var/log", "-name", "*.log"])) == "allow"
	fixtures.action(fixtures.run(["aws", "cloudtrail", "describe-trails"])) == "allow"
}

test_security_agents_and_firewalls_denied if {
	flags(fixtures.run(["systemctl", "stop", "auditd"]), "security_agent")
	flags(fixtures.run(["systemctl", "disable", "falcon-sensor.service"]), "security_agent")
	flags(fixtures.run(["service", "osqueryd", "stop"]), "security_agent")
	flags(fixtures.run(["launchctl", "unload", "/Library/LaunchDaemons/com.crowdstrike.falcond.plist"]), "security_agent")
	flags(fixtures.run(["setenforce", "0"]), "security_agent")
	flags(fixtures.run(["auditctl", "-e", "0"]), "security_agent")
	flags(fixtures.run(["auditctl", "-D"]), "security_agent")
	flags(fixtures.run(["sysrc", "syslogd_enable=NO"]), "security_agent")
	flags(fixtures.run(["iptables", "-F"]), "firewall")
	flags(fixtures.run(["ufw", "disable"]), "firewall")
	flags(fixtures.run(["nft", "flush", "ruleset"]), "firewall")
	flags(fixtures.run(["systemctl", "stop", "firewalld"]), "firewall")
	flags(fixtures.writes(["echo", "x"], "/etc/ufw/user.rules"), "firewall")
	flags(fixtures.writes(["sed", "-i", "s/x/y/", "/etc/audit/auditd.conf"], "/etc/audit/auditd.conf"), "security_agent")
}

test_status_of_agents_and_firewalls_allowed if {
	fixtures.action(fixtures.run(["systemctl", "status", "auditd"])) == "allow"
	fixtures.action(fixtures.run(["auditctl", "-l"])) == "allow"
	fixtures.action(fixtures.run(["iptables", "-vnL", "--line-numbers"])) == "allow"
	fixtures.action(fixtures.run(["ufw", "status", "numbered"])) == "allow"
	fixtures.action(fixtures.run(["setenforce", "1"])) == "allow"
	fixtures.action(fixtures.run(["systemctl", "stop", "redis-sentinel"])) == "allow"
}

test_timestomping_denied if {
	flags(fixtures.run(["touch", "-a", "-t", "197001010000.00", "/tmp/x"]), "timestomp")
	flags(fixtures.run(["touch", "-acmr", "/bin/sh", "/tmp/x"]), "timestomp")
	flags(fixtures.run(["touch", "--date=@0", "/tmp/x"]), "timestomp")
	flags(fixtures.run(["date", "010100001971"]), "timestomp")
}

test_ordinary_touch_and_date_allowed if {
	fixtures.action(fixtures.run(["touch", "new.txt"])) == "allow"
	fixtures.action(fixtures.run(["touch", "-c", "-t", "YYYYMMDDHHMM.SS", "f"])) == "allow"
	fixtures.action(fixtures.run(["touch", "-r", "path/to/reference_file", "f"])) == "allow"
	fixtures.action(fixtures.run(["touch", "-d", "5 hours ago", "f"])) == "allow"
	fixtures.action(fixtures.run(["date", "+%Y-%m-%d"])) == "allow"
}

test_tunnels_escalate if {
	tunnel := fixtures.run(["cloudflared", "tunnel", "--url", "localhost:8080"])
	flags(tunnel, "tunnel")
	fixtures.action(tunnel) == "escalate"
	flags(fixtures.run(["ngrok", "http", "8080"]), "tunnel")
	flags(fixtures.run(["code", "tunnel", "--accept-server-license-terms"]), "tunnel")
	flags(fixtures.run(["ssh", "-R", "8080:localhost:80", "host"]), "tunnel")
	flags(fixtures.run(["service", "tor", "start"]), "tunnel")
	fixtures.action(fixtures.run(["ssh", "host", "uptime"])) == "allow"
	fixtures.action(fixtures.run(["code", "."])) == "allow"
}

test_evasion_tool_names_denied if {
	flags(fixtures.tool("clear_audit_logs", {}), "evasion_tool")
	flags(fixtures.tool("disableFirewall", {}), "evasion_tool")
	fixtures.action(fixtures.tool("delete_file", {"path": "x"})) == "allow"
	fixtures.action(fixtures.tool("read_channel_messages", {})) == "allow"
}

test_missing_facts_allowed if {
	inp := object.union(fixtures.base, {"action": {"code": null}})
	count(monitoring_evasion.findings) == 0 with input as inp
	fixtures.action(inp) == "allow"
}
