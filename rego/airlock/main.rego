# METADATA
# title: Airlock decision
# description: |
#   Aggregates every category's findings into one decision. Each finding's outcome
#   comes from data.airlock.outcomes: a rule name ("airlock.payment.money_movement")
#   overrides its category ("payment"); a finding with neither, or with a value that
#   is not an action, denies. deny outranks escalate outranks allow.
package airlock

import data.airlock.credential_use
import data.airlock.instance_creation
import data.airlock.lib
import data.airlock.monitoring_evasion
import data.airlock.network_exploitation
import data.airlock.obfuscation
import data.airlock.payment
import data.airlock.persistence
import data.airlock.quarantine
import data.airlock.screen
import data.airlock.weight_exfiltration

actions := {"allow", "deny", "escalate"}

# METADATA
# entrypoint: true
decision := {"action": "allow", "reasons": []} if {
	count(findings) == 0 # most calls: no outcome to look up, nothing to sort
} else := {"action": action, "reasons": reasons}

findings := always_asked if {
	count(screen.awake) == 0
} else := always_asked | (((asked_instance_creation | asked_payment) | (asked_credential_use | asked_weight_exfiltration)) | ((asked_network_exploitation | asked_persistence) | asked_monitoring_evasion))

always_asked := (obfuscation.findings | quarantine.findings) | input_findings

# Only the categories the screen (screen/screen.rego) finds the call could concern are
# asked; asking the others is most of what a quiet call would cost.
asked_credential_use := credential_use.findings if {
	"credential_use" in screen.awake
} else := none

asked_instance_creation := instance_creation.findings if {
	"instance_creation" in screen.awake
} else := none

asked_monitoring_evasion := monitoring_evasion.findings if {
	"monitoring_evasion" in screen.awake
} else := none

asked_network_exploitation := network_exploitation.findings if {
	"network_exploitation" in screen.awake
} else := none

asked_payment := payment.findings if {
	"payment" in screen.awake
} else := none

asked_persistence := persistence.findings if {
	"persistence" in screen.awake
} else := none

asked_weight_exfiltration := weight_exfiltration.findings if {
	"weight_exfiltration" in screen.awake
} else := none

none := {f | some f in []}

# Input this policy does not understand is a reason to deny, not to skip the rules.
# (The checks sit in helper rules: OPA reads `not is_object(input.action)` as
# undefined, not true, when input.action is missing.)
input_findings contains lib.finding("airlock.input.version", "input", msg) if {
	not version_one
	msg := "policy input is not version 1; the policy cannot judge it"
}

input_findings contains lib.finding("airlock.input.action", "input", msg) if {
	not has_action
	msg := "policy input has no action facts; the policy cannot judge it"
}

# A call whose arguments are not valid JSON (often cut off mid-call) is not passed on: the
# facts recovered from it are still judged by every rule, but they may be incomplete.
input_findings contains lib.finding("airlock.input.arguments", "input", msg) if {
	is_string(input.tool_call.arguments_error)
	msg := "the tool call's arguments are not valid JSON; the call was not passed on"
}

version_one if input.version == 1

has_action if is_object(input.action)

default outcome_table := {}

outcome_table := data.airlock.outcomes

outcome(f) := checked(outcome_table[f.rule]) if {
	outcome_table[f.rule]
} else := checked(outcome_table[f.category]) if {
	outcome_table[f.category]
} else := "deny"

checked(o) := o if {
	o in actions
} else := "deny"

raised := {outcome(f) | some f in findings}

action := "deny" if {
	"deny" in raised
} else := "escalate" if {
	"escalate" in raised
} else := "allow"

# Sorted by rule, then message, so that both engines return the same bytes. Each key
# ends in "~": rego-cpp compares strings with their closing quote, which would put
# "Login Data For Account" before "Login Data"; with the end mark both engines agree.
reasons := [{"rule": t[2], "category": t[3], "message": t[4]} |
	some t in sort([[sort_key(f.rule), sort_key(f.message), f.rule, f.category, f.message] | some f in findings])
]

sort_key(s) := concat("", [s, "~"])
