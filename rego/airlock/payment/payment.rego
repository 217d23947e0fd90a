# METADATA
# title: Payment
# description: |
#   Setting up a way to pay (accounts, customers, cards, wallets) and moving money
#   (charges, transfers, payouts, crypto sends). Each finding's rule names its kind,
#   airlock.payment.account_setup or airlock.payment.money_movement, so data can give
#   the two kinds different outcomes.
package airlock.payment

import data.airlock.lib

category := "payment"

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

active if count(api_cli_hits) > 0

active if count(lib.urls) > 0

active if count(lib.code_calls) > 0

rule(kind) := concat(".", ["airlock", category, kind])

# The data tables narrowed to this call's programs (see lib.commands).
cli_hits := object.filter(data.airlock.payment_cli, lib.programs)

api_cli_hits := object.filter(data.airlock.payment_cli_api, lib.programs)

# METADATA
# title: a payment or wallet CLI sets up an account or moves money
found contains lib.finding(rule(hit[1]), category, msg) if {
	some hit in cli_runs
	msg := concat(" ", [lib.quoted(hit[0]), describe(hit[1])])
}

cli_runs contains [array.concat([c.program], entry.argv), entry.kind] if {
	count(cli_hits) > 0
	some c in lib.commands
	entries := cli_hits[c.program]
	some entry in entries
	entry.argv in lib.ran(c, [e.argv | some e in entries])
}

# METADATA
# title: a payment CLI's raw API request (stripe post /v1/charges)
found contains lib.finding(rule(hit[1]), category, msg) if {
	some hit in api_cli_runs
	msg := concat(" ", [lib.quoted(hit[0]), describe(hit[1])])
}

api_cli_runs contains [[c.program, ws[0], ws[1]], entry.kind] if {
	count(api_cli_hits) > 0
	some c in lib.commands
	api := api_cli_hits[c.program]
	ws := lib.operands(c)
	lower(ws[0]) in api.verbs
	url := {"method": upper(ws[0]), "host": api.host, "path": ws[1], "query": ""}
	some entry in data.airlock.payment_api
	lib.url_matches(url, entry)
}

# METADATA
# title: an HTTP request to a payment API sets up an account or moves money
found contains lib.finding(rule(hit[1]), category, msg) if {
	some hit in api_hits
	msg := concat(" ", [hit[0], describe(hit[1])])
}

api_hits contains [u.text, entry.kind] if {
	count(lib.urls) > 0
	some u in lib.hosts_in(data.airlock.payment_api)
	some entry in data.airlock.payment_api
	lib.url_matches(u, entry)
}

# METADATA
# title: code calls a payment or wallet SDK
found contains lib.finding(rule(hit[1]), category, msg) if {
	some hit in code_hits
	msg := concat("", ["code calls ", hit[0], ", which ", describe(hit[1])])
}

code_hits contains [call, entry.kind] if {
	count(lib.code_calls) > 0
	code := input.action.code
	some call in code.calls
	some entry in data.airlock.payment_code
	lib.code_call_matches(code, entry, call)
}

# METADATA
# title: a structured tool whose name says it moves money or sets up payment
named contains lib.finding(rule(kind), category, msg) if {
	some kind, vocabulary in data.airlock.payment_tool_words
	lib.tool_matches(vocabulary)
	msg := concat(" ", ["tool", input.tool_call.name, describe(kind)])
}

describe(kind) := "would move money" if {
	kind == "money_movement"
} else := "would set up a payment account or wallet" if {
	kind == "account_setup"
} else := concat(" ", ["would take a payment action:", kind])
