package airlock.screen_test

import data.airlock.fixtures
import data.airlock.screen

# How each category's rules read its program tables, hence when a program wakes it.
# Entries of these wake by their own `when` words or `when_prefix` prefixes (lib.live);
# an entry with neither always wakes, one with `"when": []` never by itself.
live_tables := {
	"instance_creation": data.airlock.instance_creation.programs,
	"monitoring_evasion": data.airlock.monitoring_evasion.programs,
	"network_exploitation": data.airlock.network_exploitation.programs,
	"persistence": data.airlock.persistence.programs,
	"weight_exfiltration": data.airlock.weight_exfiltration.programs,
}

# Program → verb paths, matched by lib.ran, which needs a path's first word.
verb_tables := {
	"credential_use": data.airlock.credential_cli,
	"instance_creation": data.airlock.compute_cli,
	"payment": {p: [e.argv | some e in entries] | some p, entries in data.airlock.payment_cli},
}

# Programs any use of which may concern the category.
open_tables := {
	"credential_use": [
		data.airlock.credential_programs, data.airlock.script_interpreters,
		data.airlock.credential_search.programs, data.airlock.secret_grep.programs,
		data.airlock.credential_dumpers,
	],
	"payment": [object.keys(data.airlock.payment_cli_api)],
}

# [program, category, when words, when prefixes]; null words: always.
sources contains [p, c, null, null] if {
	some c, tables in open_tables
	some table in tables
	some p in table
}

sources contains [p, c, null, null] if {
	some c, table in live_tables
	some p, entry in table
	not entry.when
	not entry.when_prefix
}

sources contains [p, c, object.get(entry, "when", []), object.get(entry, "when_prefix", [])] if {
	some c, table in live_tables
	some p, entry in table
	conditional(entry)
}

sources contains [p, c, [seq[0] | some seq in seqs], []] if {
	some c, table in verb_tables
	some p, seqs in table
}

conditional(entry) if is_array(entry.when)

conditional(entry) if is_array(entry.when_prefix)

always contains [p, c] if {
	some [p, c, words, _] in sources
	words == null
}

expected contains [p, c, true] if some [p, c] in always

expected contains [p, c, {"when": sort(words), "when_prefix": sort(prefixes)}] if {
	some [p, c, w, _] in sources
	w != null
	not [p, c] in always
	words := {x | some [q, d, ws, _] in sources; [q, d] == [p, c]; ws != null; some x in ws}
	prefixes := {x | some [q, d, ws, ps] in sources; [q, d] == [p, c]; ws != null; some x in ps}
	count(words) + count(prefixes) > 0
}

indexed contains [p, c, condition] if {
	some _, entries in screen.programs
	some p, conditions in entries
	some c, condition in conditions
}

test_index_lists_every_table_program if {
	missing := expected - indexed
	count(missing) == 0
}

test_index_lists_nothing_else if {
	extra := indexed - expected
	count(extra) == 0
}

test_index_files_programs_under_their_initial if {
	misfiled := {p | some initial, entries in screen.programs; some p, _ in entries; substring(p, 0, 1) != initial}
	count(misfiled) == 0
}

test_index_lists_each_program_once if {
	every entry in indexed {
		count({i | some i, entries in screen.programs; entries[entry[0]]}) == 1
	}
}

test_quiet_command_wakes_nothing if {
	count(screen.awake) == 0 with input as fixtures.run(["ls", "-la", "/tmp/x"])
}

test_program_wakes_its_categories if {
	screen.awake == {"network_exploitation"} with input as fixtures.run(["nmap", "-sV", "10.0.0.1"])
	screen.awake == {"payment"} with input as fixtures.run(["stripe", "payouts", "create"])
}

test_url_wakes_url_categories if {
	awake := screen.awake with input as fixtures.request("GET", "example.com", "/")
	awake == {"credential_use", "instance_creation", "monitoring_evasion", "payment", "weight_exfiltration"}
}

test_written_path_wakes_what_watches_it if {
	count(screen.awake) == 0 with input as fixtures.writes(["tee", "out.txt"], "src/out.txt")
	screen.awake == {"persistence"} with input as fixtures.writes(["tee", "-a", "~/.bashrc"], "~/.bashrc")
	screen.awake == {"monitoring_evasion"} with input as fixtures.writes(["tee", "/var/log/auth.log"], "/var/log/auth.log")
	inp := fixtures.shell_with_paths([["echo", "OPENAI_BASE_URL=http://x"]], [[".env", "write"]])
	"monitoring_evasion" in screen.awake with input as inp
}

test_exported_covers_every_variable_the_gates_read if {
	lists := [
		data.airlock.monitoring_evasion.provider_assignments,
		data.airlock.monitoring_evasion.history_assignments,
		data.airlock.persistence.preload_variables,
	]
	every list in lists {
		every variable in list {
			strings.any_prefix_match(variable, screen.exported)
		}
	}
}

test_exporter_wakes_by_the_variable_it_sets if {
	count(screen.awake) == 0 with input as fixtures.run(["declare", "VERSION=1.2.3"])
	count(screen.awake) == 0 with input as fixtures.run(["export", "-n", "PATH=/usr/bin"])
	both := {"monitoring_evasion", "persistence"}
	screen.awake == both with input as fixtures.run(["declare", "HISTFILE=/dev/null"])
	screen.awake == both with input as fixtures.run(["env", "OPENAI_BASE_URL=http://x", "true"])
	screen.awake == both with input as fixtures.run(["export", "LD_PRELOAD=/tmp/x.so"])
}

test_read_path_wakes_credential_use_only_with_a_hint if {
	count(screen.awake) == 0 with input as fixtures.reads("src/main.py")
	screen.awake == {"credential_use"} with input as fixtures.reads("/home/u/.aws/credentials")
}

test_credential_flag_wakes_credential_use if {
	screen.awake == {"credential_use"} with input as fixtures.run(["mytool", "--password=x"])
}

test_dotted_program_wakes_credential_use if {
	screen.awake == {"credential_use"} with input as fixtures.run(["laZagne.py", "all"])
}

test_named_tool_wakes_every_category if {
	awake := screen.awake with input as fixtures.tool("create_vm", {})
	awake == {c | some c in screen.categories}
}

test_secret_wakes_credential_use if {
	awake := screen.awake with input as fixtures.with_action({"secrets": [{"type": "api_key"}]})
	awake == {"credential_use"}
}

test_preload_wakes_persistence if {
	inp := fixtures.with_action({"commands": [fixtures.raw_command(["ls"], "LD_PRELOAD=/tmp/x.so ls")]})
	screen.awake == {"persistence"} with input as inp
}

test_program_that_never_wakes_alone_wakes_nothing if {
	count(screen.awake) == 0 with input as fixtures.run(["cat", "README.md"])
}

test_verb_cli_wakes_only_with_a_verb if {
	count(screen.awake) == 0 with input as fixtures.run(["git", "status"])
	screen.awake == {"weight_exfiltration"} with input as fixtures.run(["git", "push", "origin"])
	count(screen.awake) == 0 with input as fixtures.run(["npm", "test"])
	screen.awake == {"credential_use"} with input as fixtures.run(["npm", "token", "create"])
}

test_code_wakes_its_categories_only_with_calls if {
	count(screen.awake) == 0 with input as fixtures.code(["pytest"], [])
	awake := screen.awake with input as fixtures.code(["boto3"], ["ec2.run_instances"])
	awake == {"instance_creation", "network_exploitation", "payment", "weight_exfiltration"}
}
