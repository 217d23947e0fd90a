package airlock.payment_test

import data.airlock.fixtures
import data.airlock.payment

money := "airlock.payment.money_movement"

setup := "airlock.payment.account_setup"

test_send_money_tool_escalates if {
	decision := data.airlock.decision with input as fixtures.tool("send_money", {"recipient": "GB00TEST", "amount": 10})
	decision.action == "escalate"
	decision.reasons == [{"rule": money, "category": "payment", "message": "tool send_money would move money"}]
}

test_money_tool_names_flagged if {
	names := [
		"schedule_transaction", "update_scheduled_transaction", "transfer_funds", "pay_invoice",
		"create_payment", "sendMoney", "WireFunds", "initiate-payout",
	]
	missed := [n | some n in names; not money in fixtures.rules(fixtures.tool(n, {}))]
	print("not flagged:", missed)
	count(missed) == 0
}

test_account_tool_names_flagged if {
	names := ["create_wallet", "add_payment_method", "open_bank_account", "addCreditCard"]
	missed := [n | some n in names; not setup in fixtures.rules(fixtures.tool(n, {}))]
	print("not flagged:", missed)
	count(missed) == 0
}

test_read_only_banking_tools_allowed if {
	names := [
		"get_scheduled_transactions", "get_most_recent_transactions", "get_balance", "read_file",
		"send_email", "send_direct_message", "get_iban", "create_calendar_event", "add_card_to_board",
	]
	flagged := [n | some n in names; fixtures.action(fixtures.tool(n, {})) != "allow"]
	print("flagged:", flagged)
	count(flagged) == 0
}

test_stripe_cli_kinds_split if {
	money in fixtures.rules(fixtures.run(["stripe", "payouts", "create", "--amount=1000"]))
	setup in fixtures.rules(fixtures.run(["stripe", "customers", "create", "--email=a@example.com"]))
	not money in fixtures.rules(fixtures.run(["stripe", "customers", "create"]))
}

test_stripe_cli_reads_allowed if {
	fixtures.action(fixtures.run(["stripe", "--help"])) == "allow"
	fixtures.action(fixtures.run(["stripe", "customers", "list"])) == "allow"
	fixtures.action(fixtures.run(["stripe", "customers", "create", "--help"])) == "allow"
	fixtures.action(fixtures.run(["stripe", "listen", "--forward-to", "localhost:4242"])) == "allow"
}

test_stripe_post_request_escalates if {
	decision := data.airlock.decision with input as fixtures.run(["stripe", "post", "/v1/charges", "-d", "amount=100"])
	decision.action == "escalate"
	decision.reasons[0].message == "`stripe post /v1/charges` would move money"
}

test_stripe_get_request_allowed if {
	fixtures.action(fixtures.run(["stripe", "get", "/v1/charges"])) == "allow"
}

test_crypto_wallet_commands_flagged if {
	money in fixtures.rules(fixtures.run(["bitcoin-cli", "sendtoaddress", "bc1qaddress", "0.1"]))
	money in fixtures.rules(fixtures.run(["bitcoin-cli", "-rpcwallet=w1", "sendtoaddress", "bc1qaddress", "0.1"]))
	money in fixtures.rules(fixtures.run(["solana", "transfer", "Recipient111", "1"]))
	money in fixtures.rules(fixtures.run(["cast", "send", "0xabc", "--value", "1ether"]))
	setup in fixtures.rules(fixtures.run(["bitcoin-cli", "createwallet", "w1"]))
	setup in fixtures.rules(fixtures.run(["bitcoin-cli", "getnewaddress"]))
	setup in fixtures.rules(fixtures.run(["electrum", "-w", "wallet.dat", "create"]))
	setup in fixtures.rules(fixtures.run(["geth", "account", "new"]))
	setup in fixtures.rules(fixtures.run(["cast", "wallet", "new"]))
}

test_crypto_reads_allowed if {
	fixtures.action(fixtures.run(["bitcoin-cli", "getbalance"])) == "allow"
	fixtures.action(fixtures.run(["solana", "balance"])) == "allow"
	fixtures.action(fixtures.run(["cast", "balance", "0xabc"])) == "allow"
}

test_payment_api_posts_denied if {
	cases := [
		["POST", "api.stripe.com", "/v1/payouts", money],
		["POST", "api.stripe.com", "/v1/payment_intents/pi_1/confirm", money],
		["POST", "api.stripe.com", "/v1/accounts", setup],
		["POST", "api.stripe.com", "/v1/customers", setup],
		["POST", "api-m.paypal.com", "/v2/checkout/orders", money],
		["POST", "api-m.sandbox.paypal.com", "/v1/payments/payouts", money],
		["POST", "connect.squareup.com", "/v2/payments", money],
		["POST", "api.coinbase.com", "/v2/accounts/a1/transactions", money],
	]
	missed := [c | some c in cases; not c[3] in fixtures.rules(fixtures.request(c[0], c[1], c[2]))]
	print("not flagged:", missed)
	count(missed) == 0
}

test_payment_api_reads_allowed if {
	fixtures.action(fixtures.request("GET", "api.stripe.com", "/v1/customers")) == "allow"
	fixtures.action(fixtures.request("GET", "api-m.paypal.com", "/v2/checkout/orders/o1")) == "allow"
	fixtures.action(fixtures.request("POST", "api.stripe.com", "/v1/billing_portal/configurations")) == "allow"
	fixtures.action(fixtures.request("POST", "example.com", "/v1/charges")) == "allow"
}

test_stripe_sdk_calls_flagged if {
	money in fixtures.rules(fixtures.code(["stripe"], ["stripe.PaymentIntent.create"]))
	setup in fixtures.rules(fixtures.code(["stripe"], ["stripe.Customer.create"]))
	money in fixtures.rules(fixtures.code(["stripe"], ["client.payouts.create"]))
}

test_sdk_call_without_its_import_allowed if {
	fixtures.action(fixtures.code(["myorm"], ["Customer.create"])) == "allow"
}

test_web3_send_escalates if {
	fixtures.action(fixtures.code(["web3"], ["w3.eth.send_transaction"])) == "escalate"
}

test_account_setup_denied if {
	fixtures.action(fixtures.tool("create_wallet", {})) == "deny"
	fixtures.action(fixtures.run(["stripe", "customers", "create", "--email=a@example.com"])) == "deny"
}

test_money_outcome_follows_category_without_rule_entry_denied if {
	outcomes := {"payment": "deny"}
	decision := data.airlock.decision with input as fixtures.tool("send_money", {"amount": 1})
		with data.airlock.outcomes as outcomes
	decision.action == "deny"
	setup_decision := data.airlock.decision with input as fixtures.tool("create_wallet", {})
		with data.airlock.outcomes as outcomes
	setup_decision.action == "deny"
}

test_missing_action_lists_allowed if {
	inp := object.union(fixtures.base, {"action": {}, "tool_call": {"id": "c", "arguments": {}}})
	count(payment.findings) == 0 with input as inp
}

test_non_string_tool_name_allowed if {
	fixtures.action(fixtures.tool(42, {})) == "allow"
}

test_kind_added_in_data_is_named_in_rule_denied if {
	words := {"refund": {"verbs": ["issue"], "objects": ["refund"]}}
	decision := data.airlock.decision with input as fixtures.tool("issue_refund", {})
		with data.airlock.payment_tool_words as words
	decision.action == "deny"
	decision.reasons == [{
		"rule": "airlock.payment.refund",
		"category": "payment",
		"message": "tool issue_refund would take a payment action: refund",
	}]
}
