# METADATA
# title: Instance creation
# description: |
#   New compute: cloud VMs, clusters, cloud jobs and deployments, whether from a
#   cloud CLI, a provider's HTTP API, SDK calls in code, or a structured tool; and
#   local containers and VMs (docker run, qemu, minikube), each a new place where a
#   copy of the agent could run. Local compute has a rule of its own
#   (local_compute) so that a deployment can give it a different outcome.
package airlock.instance_creation

import data.airlock.lib

category := "instance_creation"

# The category's findings. Most calls give a category nothing to look at (no program
# its tables name, no path, URL or code), and rego-cpp spends tens of microseconds on
# each rule even then; `active` says whether there is anything, in a few builtin calls,
# and only then are the rules below evaluated. The tool-name rule (`named`) stands apart:
# a structured tool's name wakes only it.
findings := found | named if {
	active
} else := named

default active := false

active if count(cli_hits) > 0

active if count(lib.live(program_hits)) > 0

active if count(lib.urls) > 0

active if count(lib.code_calls) > 0

# The data tables narrowed to this call's programs (see lib.commands).
cli_hits := object.filter(data.airlock.compute_cli, lib.programs)

program_hits := object.filter(data.airlock.instance_creation.programs, lib.programs)

# METADATA
# title: a cloud or cluster CLI creates compute
found contains lib.finding("airlock.instance_creation.compute_cli", category, msg) if {
	some run in cli_runs
	msg := concat(" ", [lib.quoted(run), "would create cloud compute"])
}

cli_runs contains array.concat([c.program], seq) if {
	count(cli_hits) > 0
	some c in lib.commands
	some seq in lib.ran(c, cli_hits[c.program])
}

# METADATA
# title: a program table entry (local containers and VMs, default deploys) matches
found contains lib.finding(concat(".", ["airlock", category, m[0]]), category, msg) if {
	some m in lib.spec_matches(program_hits, {})
	msg := concat(" ", [lib.quoted(m[1]), m[2]])
}

# METADATA
# title: an HTTP request to a provider API creates compute
found contains lib.finding("airlock.instance_creation.compute_api", category, msg) if {
	some u in api_hits
	msg := concat(" ", [u.text, "would create cloud compute"])
}

api_hits contains u if {
	count(lib.urls) > 0
	some u in lib.hosts_in(data.airlock.compute_api)
	some entry in data.airlock.compute_api
	lib.url_matches(u, entry)
}

# METADATA
# title: code calls an SDK function that creates compute
found contains lib.finding("airlock.instance_creation.compute_code", category, msg) if {
	some call in code_hits
	msg := concat("", ["code calls ", call, ", which creates cloud compute"])
}

code_hits contains call if {
	count(lib.code_calls) > 0
	code := input.action.code
	some call in code.calls
	some entry in data.airlock.compute_code
	lib.code_call_matches(code, entry, call)
}

# METADATA
# title: a structured tool whose name says it creates compute
named contains lib.finding("airlock.instance_creation.compute_tool", category, msg) if {
	lib.tool_matches(data.airlock.compute_tool_words)
	msg := concat(" ", ["tool", input.tool_call.name, "would create cloud compute"])
}
