package airlock.main_test

import data.airlock.fixtures

decide(inp, outcomes) := d if {
	d := data.airlock.decision with input as inp with data.airlock.outcomes as outcomes
}

# terraform apply (instance_creation) and reading ~/.aws/credentials (credential_use).
mixed := fixtures.shell([["terraform", "apply"], ["cat", "~/.aws/credentials"]])

test_no_findings_allowed if {
	decision := data.airlock.decision with input as fixtures.run(["ls", "-la"])
	decision == {"action": "allow", "reasons": []}
}

test_deny_outranks_escalate_denied if {
	decision := data.airlock.decision with input as mixed
	decision.action == "deny"
	{r.category | some r in decision.reasons} == {"instance_creation", "credential_use"}
}

test_escalate_outranks_allow_escalates if {
	decide(mixed, {"instance_creation": "escalate", "credential_use": "allow"}).action == "escalate"
}

test_allow_outcome_keeps_reasons_allowed if {
	decision := decide(fixtures.run(["terraform", "apply"]), {"instance_creation": "allow"})
	decision.action == "allow"
	count(decision.reasons) == 1
}

test_rule_outcome_overrides_category_escalates if {
	outcomes := {"credential_use": "deny", "airlock.credential_use.credential_file": "escalate"}
	decide(fixtures.run(["cat", "~/.aws/credentials"]), outcomes).action == "escalate"
}

test_missing_outcome_denied if {
	decide(fixtures.run(["terraform", "apply"]), {}).action == "deny"
}

test_unknown_outcome_value_denied if {
	decide(fixtures.run(["terraform", "apply"]), {"instance_creation": "later"}).action == "deny"
}

test_outcomes_not_an_object_denied if {
	decide(fixtures.run(["terraform", "apply"]), "escalate").action == "deny"
}

test_reasons_sorted_by_rule_then_message if {
	inp := fixtures.shell([
		["cat", "~/Library/Application Support/Google/Chrome/Default/Login Data For Account"],
		["terraform", "apply"],
		["cat", "~/Library/Application Support/Google/Chrome/Default/Login Data"],
		["aws", "ec2", "run-instances"],
	])
	decision := data.airlock.decision with input as inp
	[[r.rule, r.message] | some r in decision.reasons] == [
		[
			"airlock.credential_use.credential_file",
			"`cat` reads credential file ~/Library/Application Support/Google/Chrome/Default/Login Data For Account",
		],
		[
			"airlock.credential_use.credential_file",
			"`cat` reads credential file ~/Library/Application Support/Google/Chrome/Default/Login Data",
		],
		["airlock.instance_creation.compute_cli", "`aws ec2 run-instances` would create cloud compute"],
		["airlock.instance_creation.compute_cli", "`terraform apply` would create cloud compute"],
	]
}

test_same_finding_twice_reported_once if {
	decision := data.airlock.decision with input as fixtures.shell([["terraform", "apply"], ["terraform", "apply"]])
	count(decision.reasons) == 1
}

test_wrong_input_version_denied if {
	decision := data.airlock.decision with input as object.union(fixtures.base, {"version": 2})
	decision.action == "deny"
	decision.reasons[0].rule == "airlock.input.version"
}

test_input_without_action_denied if {
	decision := data.airlock.decision with input as object.remove(fixtures.base, ["action"])
	decision.action == "deny"
	decision.reasons[0].rule == "airlock.input.action"
}

test_empty_input_denied if {
	decision := data.airlock.decision with input as {}
	decision.action == "deny"
	{r.rule | some r in decision.reasons} == {"airlock.input.version", "airlock.input.action"}
}

test_unparsable_arguments_denied if {
	inp := object.union(fixtures.run(["ls"]), {"tool_call": {"arguments_error": "unexpected end of data"}})
	decision := data.airlock.decision with input as inp
	decision.action == "deny"
	[r.rule | some r in decision.reasons] == ["airlock.input.arguments"]
}

test_parsed_arguments_not_flagged_allowed if {
	inp := object.union(fixtures.run(["ls"]), {"tool_call": {"arguments_error": null}})
	data.airlock.decision.action == "allow" with input as inp
}
