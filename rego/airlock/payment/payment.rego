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

rule(kind) := concat(".", ["airlock", category, kind])

# METADATA
# title: a payment or wallet CLI sets up an account or moves money
findings contains lib.finding(rule(entry.kind), category, msg) if {
	some c in lib.commands
	some entry in data.airlock.payment_cli[c.program]
	entry.argv[0] in c.heads
	lib.runs(c, entry.argv)
	msg := concat(" ", [lib.quoted(array.concat([c.program], entry.argv)), describe(entry.kind)])
}

# METADATA
# title: a payment CLI's raw API request (stripe post /v1/charges)
findings contains lib.finding(rule(entry.kind), category, msg) if {
	some c in lib.commands
	api := data.airlock.payment_cli_api[c.program]
	ws := [w | some w in c.words; not lib.is_flag(w)]
	lower(ws[0]) in api.verbs
	url := {"method": upper(ws[0]), "host": api.host, "path": ws[1]}
	some entry in data.airlock.payment_api
	lib.url_matches(url, entry)
	msg := concat(" ", [lib.quoted([c.program, ws[0], ws[1]]), describe(entry.kind)])
}

# METADATA
# title: an HTTP request to a payment API sets up an account or moves money
findings contains lib.finding(rule(entry.kind), category, msg) if {
	some url in input.action.urls
	some entry in data.airlock.payment_api
	lib.url_matches(url, entry)
	msg := concat(" ", [lib.url_text(url), describe(entry.kind)])
}

# METADATA
# title: code calls a payment or wallet SDK
findings contains lib.finding(rule(entry.kind), category, msg) if {
	code := input.action.code
	some call in code.calls
	some entry in data.airlock.payment_code
	lib.code_call_matches(code, entry, call)
	msg := concat("", ["code calls ", call, ", which ", describe(entry.kind)])
}

# METADATA
# title: a structured tool whose name says it moves money or sets up payment
findings contains lib.finding(rule(kind), category, msg) if {
	name := input.tool_call.name
	some kind, vocabulary in data.airlock.payment_tool_words
	lib.name_matches(name, vocabulary)
	msg := concat(" ", ["tool", name, describe(kind)])
}

describe(kind) := "would move money" if {
	kind == "money_movement"
} else := "would set up a payment account or wallet" if {
	kind == "account_setup"
} else := concat(" ", ["would take a payment action:", kind])
