# METADATA
# title: Persistence
# description: |
#   Making something run again later without being asked: cron tables and jobs,
#   systemd units and boot scripts, launch agents and login hooks, shell startup
#   files, new or changed user accounts, SSH authorized_keys, preloaded libraries
#   and Python startup hooks, kernel modules, and detached processes that restart
#   themselves in a loop. Listing them (crontab -l, at -l, launchctl list) is not.
package airlock.persistence

import data.airlock.lib
import data.airlock.persistence as conf

category := "persistence"

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

active if strings.any_prefix_match(lib.raws, conf.preload_variables)

# An exporter (export, declare, env …; `"when": []` in the table) matters only when it
# preloads a library.
active if strings.any_prefix_match(lib.arg_list, conf.preload_variables)

active if strings.any_prefix_match(lib.raws, conf.detaching_wrappers)

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
# title: a program that installs jobs, services, accounts or keys runs
found contains lib.finding(rule(m[0]), category, msg) if {
	some m in lib.spec_matches(program_hits, {})
	msg := concat(" ", [lib.quoted(m[1]), m[2]])
}

# METADATA
# title: the call writes a file that makes something run at boot, login or on a schedule
found contains lib.finding(rule(hit[0]), category, msg) if {
	some hit in path_hits
	msg := concat(" ", ["writes", hit[1], "and so", conf.messages[hit[0]]])
}

# Written paths matter to this category only as path hits: most written paths (project
# files) do not wake it (nor the screen).
default writes_matter := false

writes_matter if count(path_hits) > 0

path_hits contains [name, path] if {
	some path in lib.written
	some name in lib.path_classes(path, conf.path_classes)
	not lib.inert_write(path)
}

# A .pth file in a site-packages directory runs at every Python start.
path_hits contains ["hijack", path] if {
	some path in lib.written
	endswith(path, conf.python_hook_suffix)
	contains(lower(path), "site")
}

# METADATA
# title: a command runs with a preloaded library (LD_PRELOAD=… cmd, export LD_PRELOAD=…)
found contains lib.finding(rule("hijack"), category, msg) if {
	some c in preloading
	msg := concat(" ", [lib.quoted([c.program]), "runs with a preloaded library"])
}

preloading contains c if {
	strings.any_prefix_match(lib.raws, conf.preload_variables)
	some c in lib.commands
	strings.any_prefix_match(c.raw, conf.preload_variables)
}

preloading contains c if {
	some c in roled
	has_role(c, "exporter")
	strings.any_prefix_match(lib.operands(c), conf.preload_variables)
}

# METADATA
# title: a detached process (nohup, setsid, screen -dm …) runs a loop that restarts work
found contains lib.finding(rule("detached_restart"), category, msg) if {
	some c in detached
	loops(c.raw)
	msg := concat(" ", [lib.quoted([c.program]), "runs a restart loop detached from the session"])
}

loops(raw) if {
	some loop in conf.loop_words
	contains(raw, loop)
}

# The wrappers nohup and setsid are stripped from the program but kept in the raw text.
detached contains c if {
	strings.any_prefix_match(lib.raws, conf.detaching_wrappers)
	some c in lib.commands
	strings.any_prefix_match(c.raw, conf.detaching_wrappers)
}

detached contains c if {
	some c in roled
	has_role(c, "detacher")
	some w in lib.words(c)
	lib.short_cluster(w)
	contains(w, "d")
}

# METADATA
# title: a shell trap runs a command at every command (DEBUG) or starts a detached one
found contains lib.finding(rule("event_hook"), category, msg) if {
	some c in roled
	has_role(c, "trap")
	traps(c.args)
	msg := "`trap` runs a command on shell events"
}

traps(args) if {
	some signal in args
	signal in conf.trap_signals
}

traps(args) if {
	some detacher in conf.trap_detachers
	contains(args[0], detacher)
}

# METADATA
# title: a structured tool whose name says it installs a job, startup item, account or key
named contains lib.finding(rule("persistence_tool"), category, msg) if {
	lib.tool_matches(conf.tool_words)
	msg := concat(" ", ["tool", input.tool_call.name, "would install something that runs again later"])
}
