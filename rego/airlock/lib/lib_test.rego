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

# The categories' program tables ({program: {"specs", "roles", …}}), named explicitly:
# data.airlock[category] would include this test package.
program_tables := {
	"instance_creation": data.airlock.instance_creation.programs,
	"network_exploitation": data.airlock.network_exploitation.programs,
	"persistence": data.airlock.persistence.programs,
	"monitoring_evasion": data.airlock.monitoring_evasion.programs,
	"weight_exfiltration": data.airlock.weight_exfiltration.programs,
}

operand_lists := {"monitoring_evasion": data.airlock.monitoring_evasion.lists}

verb_paths contains [category, program, seq] if {
	some category, table in program_tables
	some program, entry in table
	some spec in object.get(entry, "specs", [])
	some seq in object.get(spec, "verbs", [])
}

verb_paths contains [category, program, seq] if {
	some category, table in program_tables
	some program, entry in table
	some seq in object.get(entry, "hub", [])
}

verb_paths contains ["weight_exfiltration", program, seq] if {
	some program, entry in data.airlock.weight_exfiltration.programs
	some spec in object.get(entry, "transfers", [])
	some seq in object.get(spec, "verbs", [])
}

spec_fields := {"rule", "what", "verbs", "any", "letters", "all", "without", "operand", "operand_has", "after"}

test_data_specs_are_well_formed if {
	bad := {[category, program] |
		some category, table in program_tables
		some program, entry in table
		some spec in object.get(entry, "specs", [])
		not well_formed(spec, category)
	}
	print("bad specs:", bad)
	count(bad) == 0
}

well_formed(spec, category) if {
	is_string(spec.rule)
	is_string(spec.what)
	count({k | some k, _ in spec} - spec_fields) == 0
	operand_list_known(spec, category)
}

operand_list_known(spec, _) if not spec.operand

operand_list_known(spec, category) if is_array(operand_lists[category][spec.operand])

# An entry's `when` words must include the first word of each of its verb paths, or a
# command running one of them would not wake the category.
test_data_when_words_cover_verb_paths if {
	bad := {[category, program, seq] |
		some category, table in program_tables
		some program, entry in table
		is_array(entry.when)
		count(entry.when) > 0
		some spec in array.concat(object.get(entry, "specs", []), object.get(entry, "transfers", []))
		some seq in object.get(spec, "verbs", [])
		not seq[0] in entry.when
	} | {[category, program, seq] |
		some category, table in program_tables
		some program, entry in table
		is_array(entry.when)
		count(entry.when) > 0
		some seq in object.get(entry, "hub", [])
		not seq[0] in entry.when
	}
	print("verb paths outside when:", bad)
	count(bad) == 0
}

test_data_path_classes_have_all_four_lists if {
	classes := object.union(
		{name: class | some name, class in data.airlock.persistence.path_classes},
		{
			"monitoring": data.airlock.monitoring_evasion.path_classes.logs,
			"weights": data.airlock.weight_exfiltration.weight_paths,
			"agent": data.airlock.weight_exfiltration.agent_paths,
		},
	)
	all_classes := object.union(classes, {concat("", ["m_", name]): class | some name, class in data.airlock.monitoring_evasion.path_classes})
	bad := {name |
		some name, class in all_classes
		some key in ["prefixes", "suffixes", "names", "parts"]
		not is_array(class[key])
	}
	print("bad classes:", bad)
	count(bad) == 0
}

test_data_tables_are_keyed_by_lowercase_program if {
	bad := {program |
		some _, table in program_tables
		some program, _ in table
		program != lower(program)
	}
	count(bad) == 0
}

# Every vocabulary a tool-name rule reads.
vocabularies contains v if some v in [data.airlock.compute_tool_words, data.airlock.credential_tool_words]

vocabularies contains v if some _, v in data.airlock.payment_tool_words

vocabularies contains v if {
	some v in [
		data.airlock.network_exploitation.tool_words, data.airlock.persistence.tool_words,
		data.airlock.monitoring_evasion.tool_words, data.airlock.weight_exfiltration.tool_words,
	]
}

# lib.named_tool skips names made only of generic words; that is sound only if no
# vocabulary object can be spelled with generic words alone.
test_data_generic_tool_words_spell_no_object if {
	generic := {w | some w, _ in data.airlock.lib.generic_tool_words}
	bad := {object |
		some v in vocabularies
		some object in v.objects
		count({p | some p in split(object, "_")} - generic) == 0
	}
	print("objects spelled by generic words:", bad)
	count(bad) == 0
}

test_data_generic_tool_names_are_generic if {
	generic := {w | some w, _ in data.airlock.lib.generic_tool_words}
	bad := {name |
		some name, _ in data.airlock.lib.generic_tool_names
		count({w | some w in lib.name_words(name)} - generic) > 0
	}
	print("generic names with other words:", bad)
	count(bad) == 0
}

test_data_every_category_has_an_outcome if {
	categories := {
		"credential_use", "instance_creation", "payment", "weight_exfiltration",
		"network_exploitation", "persistence", "monitoring_evasion", "obfuscation", "quarantine",
	}
	missing := {c | some c in categories; not data.airlock.outcomes[c]}
	count(missing) == 0
}

test_data_default_outcomes_follow_the_threat_model if {
	o := data.airlock.outcomes
	o.credential_use == "deny"
	o.weight_exfiltration == "deny"
	o.network_exploitation == "deny"
	o.monitoring_evasion == "deny"
	o["airlock.payment.account_setup"] == "deny"
	o.instance_creation == "escalate"
	o["airlock.payment.money_movement"] == "escalate"
	o.persistence == "escalate"
	o.obfuscation == "escalate"
	o.quarantine == "escalate"
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
