package airlock.quarantine_test

import data.airlock.fixtures
import data.airlock.quarantine

with_denials(ages) := object.union(fixtures.run(["ls"]), {"usage": {"recent_denials_seconds_ago": ages}})

test_three_recent_denials_escalate if {
	decision := data.airlock.decision with input as with_denials([5, 120, 599])
	decision == {"action": "escalate", "reasons": [{
		"rule": "airlock.quarantine.recent_denials",
		"category": "quarantine",
		"message": "the agent had 3 denied tool calls in the last 600 seconds; every call now needs approval",
	}]}
}

test_denials_outside_the_window_allowed if {
	fixtures.action(with_denials([5, 120, 601, 3000])) == "allow"
	fixtures.action(with_denials([5, 120])) == "allow"
}

test_window_and_count_are_data_escalates if {
	d := data.airlock.decision with input as with_denials([30])
		with data.airlock.quarantine.denials as 1
		with data.airlock.quarantine.window_seconds as 60
	d.action == "escalate"
	d.reasons[0].message == "the agent had 1 denied tool calls in the last 60 seconds; every call now needs approval"
}

test_quarantine_does_not_soften_a_denial_denied if {
	inp := object.union(fixtures.run(["nmap", "10.0.0.1"]), {"usage": {"recent_denials_seconds_ago": [1, 2, 3]}})
	fixtures.action(inp) == "deny"
}

test_absent_or_malformed_usage_allowed if {
	fixtures.action(with_denials([])) == "allow"
	fixtures.action(with_denials(["5", null, -3, 4])) == "allow"
	inp := object.remove(fixtures.run(["ls"]), ["usage"])
	count(quarantine.findings) == 0 with input as inp
	fixtures.action(inp) == "allow"
	fixtures.action(object.union(fixtures.run(["ls"]), {"usage": {"recent_denials_seconds_ago": "3"}})) == "allow"
}
