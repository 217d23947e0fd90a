# METADATA
# title: Monitoring evasion
# description: |
#   Getting out from under the monitoring around the agent: pointing the model client
#   past this gateway (base URL or provider key variables, direct calls to a provider
#   API), stopping or editing the gateway or its policy, clearing logs, shell history
#   and audit trails, timestomping, disabling security and logging agents, changing
#   the firewall, and tunnels that carry traffic around network monitoring. Reading
#   logs or history, or listing firewall rules, is not evasion.
package airlock.monitoring_evasion

import data.airlock.lib
import data.airlock.monitoring_evasion as conf

category := "monitoring_evasion"

# The category's findings. Most calls give a category nothing to look at (no program
# its tables name, no path, URL or code), and rego-cpp spends tens of microseconds on
# each rule even then; `active` says whether there is anything, in a few builtin calls,
# and only then are the rules below evaluated. The tool-name rule (`named`) stands apart:
# a structured tool's name wakes only it.
findings := found | named if {
	active
} else := named

default active := false

active if count(lib.live(program_hits)) > 0

active if writes_matter

active if strings.any_prefix_match(lib.raws, conf.provider_assignments)

# An exporter (export, declare, env …; `"when": []` in the table) matters only when it
# sets one of these variables: scripts assign many others.
active if strings.any_prefix_match(lib.arg_list, conf.provider_assignments)

active if strings.any_prefix_match(lib.arg_list, conf.history_assignments)

active if count(lib.urls) > 0

rule(name) := concat(".", ["airlock", category, name])

# The program table narrowed to this call's programs (see lib.commands). An entry's
# `specs` are matched by lib.spec_matches; its `roles` say which of the rules below
# look at the program.
program_hits := object.filter(conf.programs, lib.programs)

has_role(c, role) if role in program_hits[c.program].roles

# The commands some rule below looks at; most calls have none.
roled := [] if {
	count(program_hits) == 0
} else := [c | some c in lib.commands; program_hits[c.program].roles]

# METADATA
# title: a program that clears logs, stops agents, changes the firewall or opens tunnels runs
found contains lib.finding(rule(m[0]), category, msg) if {
	some m in lib.spec_matches(program_hits, conf.lists)
	msg := concat(" ", [lib.quoted(m[1]), m[2]])
}

# METADATA
# title: the call deletes or rewrites history or logs, or writes logging, firewall or gateway configuration
found contains lib.finding(rule(conf.path_rules[hit[0]]), category, msg) if {
	some hit in path_hits
	msg := concat(" ", [hit[1], conf.path_messages[hit[0]]])
}

# Written and deleted paths matter to this category only through the rules that read
# them below: a path of a class it watches, a provider setting written into a file,
# /etc/hosts. Most written paths (project files) do not wake it (nor the screen).
default writes_matter := false

writes_matter if count(path_hits) > 0

writes_matter if {
	count(lib.written) > 0
	count(providers_named) > 0
}

writes_matter if "/etc/hosts" in lib.written

path_hits contains [name, path] if {
	some path in lib.deleted
	some name in lib.path_classes(path, conf.path_classes)
}

path_hits contains [name, path] if {
	some path in lib.written
	some name in lib.path_classes(path, conf.path_classes)
	name != "logs"
	not lib.inert_write(path)
}

# A log is rewritten, not appended to (`>>` before it in a command's text), nor only
# touched.
path_hits contains ["logs", path] if {
	some path in lib.written
	lib.path_in(path, conf.path_classes.logs)
	not appended(path)
	not lib.inert_write(path)
}

appended(path) if {
	some raw in lib.raws
	contains(raw, ">>")
	contains(raw, path)
}

# METADATA
# title: find deletes files under a log directory (find /var/log -delete, -exec rm)
found contains lib.finding(rule("log_tamper"), category, msg) if {
	some c in roled
	has_role(c, "finder")
	ws := lib.words(c)
	deletes_found(ws)
	some root in ws
	startswith(root, "/")
	lib.path_in(root, conf.path_classes.logs)
	msg := concat(" ", ["`find` deletes files under", root])
}

deletes_found(ws) if {
	some w in ws
	w in conf.deleting_words
}

# METADATA
# title: shell history is turned off through a variable (export HISTFILE=/dev/null, HISTSIZE=0)
found contains lib.finding(rule("log_tamper"), category, msg) if {
	some c in roled
	has_role(c, "exporter")
	some assignment in lib.operands(c)
	strings.any_prefix_match(assignment, conf.history_assignments)
	msg := concat(" ", [lib.quoted([c.program, assignment]), "turns shell history off"])
}

# METADATA
# title: the model client's base URL or provider key is set for a command or exported
found contains lib.finding(rule("gateway_bypass"), category, msg) if {
	some hit in provider_settings
	msg := concat(" ", [lib.quoted([hit]), "points the model client past the gateway"])
}

provider_settings contains assignment if {
	some c in roled
	has_role(c, "exporter")
	some assignment in lib.operands(c)
	strings.any_prefix_match(assignment, conf.provider_assignments)
}

provider_settings contains split(c.raw, " ")[0] if {
	strings.any_prefix_match(lib.raws, conf.provider_assignments)
	some c in lib.commands
	strings.any_prefix_match(c.raw, conf.provider_assignments)
}

# csh's setenv, fish's set -x and launchctl setenv name the variable without "=".
provider_settings contains name if {
	some c in roled
	has_role(c, "name_setter")
	some name in lib.operands(c)
	concat("", [name, "="]) in conf.provider_assignments
}

# METADATA
# title: the model client's base URL or provider key is written into a file (.env, a config)
found contains lib.finding(rule("gateway_bypass"), category, msg) if {
	some hit in provider_writes
	msg := concat(" ", [lib.quoted([hit[0]]), "writes", trim_suffix(hit[1], "="), "into a file, pointing the model client past the gateway"])
}

provider_writes contains [c.program, name] if {
	count(lib.written) > 0
	count(providers_named) > 0
	some c in roled
	has_role(c, "env_writer")
	some arg in c.args
	some name in names_in(arg, providers_named)
}

# The provider variables the call's arguments set at all (one pass over the list).
providers_named := names_in(lib.arg_text, conf.provider_assignments)

names_in(text, names) := {name | some name in names; contains(text, name)}

# METADATA
# title: a request goes straight to a model provider's API, around the gateway
found contains lib.finding(rule("gateway_bypass"), category, msg) if {
	some u in lib.urls
	strings.any_suffix_match(u.host, conf.provider_hosts)
	msg := concat(" ", [u.text, "calls a model provider directly, around the gateway"])
}

# METADATA
# title: /etc/hosts is rewritten to send a model provider's name elsewhere
found contains lib.finding(rule("gateway_bypass"), category, msg) if {
	"/etc/hosts" in lib.written
	some c in lib.commands
	some host in names_in(c.raw, conf.provider_hosts)
	msg := concat(" ", ["/etc/hosts is rewritten for", host])
}

# METADATA
# title: touch backdates a file or copies a system file's times onto it (timestomping)
found contains lib.finding(rule("timestomp"), category, msg) if {
	some c in roled
	has_role(c, "touch")
	some k
	flag := c.args[k]
	stomps(flag, c.args[k + 1])
	msg := concat(" ", [lib.quoted([c.program, flag]), "sets a file's timestamps to hide a change"])
}

found contains lib.finding(rule("timestomp"), category, msg) if {
	some c in roled
	has_role(c, "touch")
	some arg in c.args
	startswith(arg, "--")
	parts := split(arg, "=")
	count(parts) > 1
	stomps(parts[0], substring(arg, count(parts[0]) + 1, -1))
	msg := concat(" ", [lib.quoted([c.program, parts[0]]), "sets a file's timestamps to hide a change"])
}

stomps(flag, value) if {
	takes(flag, conf.timestomp.time_flags, conf.timestomp.time_letters)
	strings.any_prefix_match(lower(value), conf.timestomp.old_times)
}

stomps(flag, value) if {
	takes(flag, conf.timestomp.reference_flags, conf.timestomp.reference_letters)
	strings.any_prefix_match(value, conf.timestomp.system_paths)
}

takes(flag, flags, _) if flag in flags

takes(flag, _, letters) if {
	lib.short_cluster(flag)
	some letter in letters
	contains(flag, letter)
}

# METADATA
# title: date sets the system clock (date MMDDhhmmYYYY)
found contains lib.finding(rule("timestomp"), category, msg) if {
	some c in roled
	has_role(c, "date")
	some arg in c.args
	regex.match(`^[0-9]{8,12}(\.[0-9]{2})?$`, arg)
	msg := concat(" ", [lib.quoted([c.program, arg]), "sets the system clock"])
}

# METADATA
# title: a structured tool whose name says it clears logs or disables monitoring
named contains lib.finding(rule("evasion_tool"), category, msg) if {
	lib.tool_matches(conf.tool_words)
	msg := concat(" ", ["tool", input.tool_call.name, "would clear logs or disable monitoring"])
}
