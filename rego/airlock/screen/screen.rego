# METADATA
# title: Screen
# description: |
#   Which categories a call could concern, found once per query from facts every
#   category reads. Most calls concern none (ls, a build, a test run) or one; yet
#   rego-cpp spends 0.1-0.6 ms on each category's own gate and tool-name rule even
#   when they find nothing. main.rego asks only the categories named in `awake`.
#
#   `awake` must name a category whenever any of its rules could fire: it is a
#   superset of each category's gate (`active`, `named`, and credential_use's rule
#   preconditions). So every program a category's tables name is in `programs`
#   (data.json: initial → program → category → when it wakes it; rego-cpp finds a key
#   by scanning the object, 0.2 ms among 443 keys, little among 30); and a new kind
#   of fact a rule starts reading needs its line here. The screen tests hold
#   `programs` to the tables, and tests/integration/test_policy_screen.py checks on
#   every corpus case that a category left asleep finds nothing.
package airlock.screen

import data.airlock.credential_use
import data.airlock.lib
import data.airlock.monitoring_evasion
import data.airlock.network_exploitation
import data.airlock.persistence

categories := [
	"credential_use", "instance_creation", "monitoring_evasion", "network_exploitation",
	"payment", "persistence", "weight_exfiltration",
]

# Each line costs rego-cpp one builtin or rule reference, so the cheap fact tests come
# first and each category's costlier tests are its own rules below.
awake := {c |
	some p in lib.programs
	conditions := data.airlock.screen.programs[substring(p, 0, 1)][p]
	some c
	condition := conditions[c] # bound before the call: rego-cpp enumerates no index inside one
	wakes(condition)
} | by_facts

# A program wakes a category always (true), or only with one of the `when` words or
# `when_prefix` prefixes among the call's arguments: the entry's own (lib.live), or the
# first words of its verb paths (lib.ran matches no other).
wakes(condition) if condition == true

wakes(condition) if {
	some w in condition.when
	w in lib.arg_list
}

wakes(condition) if strings.any_prefix_match(lib.arg_list, condition.when_prefix)

by_facts contains c if {
	lib.named_tool
	some c in categories
}

by_facts contains c if {
	count(input.action.urls) > 0
	some c in ["credential_use", "instance_creation", "monitoring_evasion", "payment", "weight_exfiltration"]
}

by_facts contains c if {
	count(lib.code_calls) > 0 # code with no calls: the categories' code rules need one
	some c in ["instance_creation", "network_exploitation", "payment", "weight_exfiltration"]
}

# Paths: written or deleted ones matter to persistence and monitoring only through their
# path rules (`writes_matter`, which those categories' gates use too), socket paths
# (/dev/tcp/…) to network exploitation; read ones reach credential_use's rules only
# through its path hints (below).
by_facts contains c if {
	some [c, matters] in by_paths
	matters
}

# Asked only when the call writes or deletes something (an else chain is the order
# rego-cpp keeps): most calls do not, and the rules cost 0.05 ms even then.
by_paths := [] if {
	count(lib.written) + count(lib.deleted) == 0
} else := [["monitoring_evasion", monitoring_evasion.writes_matter], ["persistence", persistence.writes_matter]]

by_facts contains "network_exploitation" if count(network_exploitation.probed_sockets) > 0

by_facts contains "credential_use" if credential_use_facts

by_facts contains "monitoring_evasion" if {
	strings.any_prefix_match(lib.raws, data.airlock.monitoring_evasion.provider_assignments)
}

# Exporters (export, declare, env …) wake by the variables they set, as in the gates:
# `exported` holds a prefix of every variable those gates look for (one builtin call).
by_facts contains c if {
	strings.any_prefix_match(lib.arg_list, data.airlock.screen.exported)
	some c in ["monitoring_evasion", "persistence"]
}

by_facts contains "persistence" if {
	strings.any_prefix_match(lib.raws, data.airlock.persistence.preload_variables)
}

by_facts contains "persistence" if {
	strings.any_prefix_match(lib.raws, data.airlock.persistence.detaching_wrappers)
}

by_facts contains "network_exploitation" if count(network_exploitation.capture_named) > 0

# credential_use has no gate of its own; these are its rules' preconditions that the
# lines above do not cover: secrets, credential flags on any program, credential file
# hints among the arguments and read paths, and a dumping tool named with an extension
# (laZagne.py).
default credential_use_facts := false

credential_use_facts if count(input.action.secrets) > 0

credential_use_facts if strings.any_prefix_match(lib.arg_list, data.airlock.credential_flags)

credential_use_facts if credential_use.hinted

credential_use_facts if {
	some p in lib.programs
	contains(p, ".")
}
