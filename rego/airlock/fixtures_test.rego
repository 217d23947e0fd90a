# METADATA
# title: Test inputs
# description: |
#   Builders for policy inputs shaped like gateway/models.py PolicyInput, shared by
#   the *_test.rego files. A _test.rego file so that engines loading the policy
#   skip it.
package airlock.fixtures

no_action := {"commands": [], "urls": [], "paths": [], "code": null, "secrets": [], "obfuscation": []}

base := {
	"version": 1,
	"agent": {"id": "agent-1", "team": "team-1"},
	"request": {"id": "req-1", "model": "model-1", "endpoint": "chat.completions", "stream": false},
	"tool_call": {"id": "call-1", "name": "bash", "arguments": {"command": ""}, "arguments_error": null},
	"action": no_action,
	"usage": {"tool_calls_last_minute": 0, "denials_last_hour": 0, "escalations_last_hour": 0, "spend_today_usd": 0},
}

with_action(facts) := object.union(base, {"action": object.union(no_action, facts)})

command(argv) := {"program": argv[0], "argv": argv, "raw": concat(" ", argv)}

# A bash call running each argv list as one command.
shell(argvs) := with_action({"commands": [command(argv) | some argv in argvs]})

run(argv) := shell([argv])

request(method, host, path) := with_action({"urls": [{"method": method, "scheme": "https", "host": host, "path": path, "query": ""}]})

reads(path) := with_action({"paths": [{"path": path, "op": "read"}]})

# A shell command with its own source text (wrappers such as nohup stay in raw).
raw_command(argv, raw) := {"program": argv[0], "argv": argv, "raw": raw}

# A call running `argvs` whose facts also record `paths` ([path, op] pairs).
shell_with_paths(argvs, paths) := with_action({
	"commands": [command(argv) | some argv in argvs],
	"paths": [{"path": p[0], "op": p[1]} | some p in paths],
})

# `echo x > path` and the like: a command and the path it writes.
writes(argv, path) := shell_with_paths([argv], [[path, "write"]])

obfuscated(tags) := with_action({"obfuscation": tags})

code(imports, calls) := object.union(
	with_action({"code": {"language": "python", "imports": imports, "calls": calls}}),
	{"tool_call": {"id": "call-1", "name": "python", "arguments": {"code": ""}, "arguments_error": null}},
)

tool(name, arguments) := object.union(base, {"tool_call": {"id": "call-1", "name": name, "arguments": arguments, "arguments_error": null}})

# Rule names of the findings an input raises, all categories together.
rules(inp) := names if {
	found := data.airlock.findings with input as inp
	names := {f.rule | some f in found}
}

action(inp) := a if {
	a := data.airlock.decision.action with input as inp
}
