package airlock.obfuscation_test

import data.airlock.fixtures
import data.airlock.obfuscation

rules(tags) := fixtures.rules(fixtures.obfuscated(tags))

test_incomplete_facts_escalate if {
	decision := data.airlock.decision with input as fixtures.obfuscated(["truncated_input"])
	decision == {"action": "escalate", "reasons": [{
		"rule": "airlock.obfuscation.incomplete_facts",
		"category": "obfuscation",
		"message": "part of the call was too large to examine, so its facts may be incomplete",
	}]}
	every tag in ["max_depth", "fact_limit", "analysis_error"] {
		"airlock.obfuscation.incomplete_facts" in rules([tag])
	}
}

test_hidden_code_escalates if {
	every tag in ["base64_to_shell", "hex_to_shell", "reversed_to_python", "remote_to_shell", "remote_to_python", "escaped_program_name", "nul_bytes"] {
		"airlock.obfuscation.hidden_code" in rules([tag])
	}
	fixtures.action(fixtures.obfuscated(["remote_to_shell"])) == "escalate"
}

test_hidden_code_with_a_denied_payload_denied if {
	inp := object.union(fixtures.run(["nmap", "10.0.0.0/24"]), {"action": {"obfuscation": ["base64_to_shell"]}})
	decision := data.airlock.decision with input as inp
	decision.action == "deny"
	{r.category | some r in decision.reasons} == {"network_exploitation", "obfuscation"}
}

test_common_shell_idioms_allowed if {
	every tag in ["eval", "variable_program", "substituted_program", "dynamic_program", "dynamic_import"] {
		fixtures.action(fixtures.obfuscated([tag])) == "allow"
	}
}

test_unknown_and_malformed_tags_allowed if {
	fixtures.action(fixtures.obfuscated(["something_new", 7, null])) == "allow"
}

test_missing_obfuscation_allowed if {
	inp := object.union(fixtures.base, {"action": {"code": null}})
	count(obfuscation.findings) == 0 with input as inp
}
