package airlock.lib_test

import data.airlock.lib

test_clean_keeps_messages_on_one_line if {
	lib.clean("a\"b\\c\nd\te") == "a'b/c d e"
}

# The data lists must fit the matchers and read the same on both engines.

verb_paths contains ["compute_cli", program, seq] if {
	some program, seqs in data.airlock.compute_cli
	some seq in seqs
}

verb_paths contains ["credential_cli", program, seq] if {
	some program, seqs in data.airlock.credential_cli
	some seq in seqs
}

verb_paths contains ["payment_cli", program, entry.argv] if {
	some program, entries in data.airlock.payment_cli
	some entry in entries
}

test_data_verb_paths_fit_the_matcher if {
	bad := {p | some p in verb_paths; not fits(p[2])}
	print("bad verb paths:", bad)
	count(bad) == 0
}

fits(seq) if {
	count(seq) > 0
	count(seq) <= lib.max_verbs
	every w in seq {
		is_string(w)
		w != ""
	}
}

test_data_programs_are_lowercase if {
	programs := {p | some p in verb_paths}
	bad := {p[1] | some p in programs; p[1] != lower(p[1])}
	print("not lowercase:", bad)
	count(bad) == 0
}

test_data_payment_kinds_known if {
	kinds := {e.kind | some _, entries in data.airlock.payment_cli; some e in entries} | {e.kind |
		some e in array.concat(data.airlock.payment_api, data.airlock.payment_code)
	}
	kinds == {"account_setup", "money_movement"}
}

regexes contains r if {
	some r in array.concat(data.airlock.credential_paths, data.airlock.credential_path_exceptions)
}

regexes contains r if some r in data.airlock.credential_search.names

regexes contains data.airlock.secret_grep.pattern

regexes contains r if {
	some entry in array.concat(
		array.concat(data.airlock.compute_api, data.airlock.payment_api),
		data.airlock.metadata_credential_api,
	)
	some key in ["host", "path", "query"]
	r := entry[key]
}

regexes contains r if {
	some entry in array.concat(data.airlock.compute_code, data.airlock.payment_code)
	r := entry.call
}

# rego-cpp has no inline flags such as (?i); a regex using them would never match there.
test_data_regexes_valid_on_both_engines if {
	invalid := {r | some r in regexes; not regex.is_valid(r)}
	flagged := {r | some r in regexes; contains(r, "(?")}
	print("invalid:", invalid, "inline flags:", flagged)
	count(invalid) == 0
	count(flagged) == 0
}

test_data_outcomes_are_actions if {
	bad := {k | some k, v in data.airlock.outcomes; not v in {"deny", "escalate", "allow"}}
	count(bad) == 0
}
