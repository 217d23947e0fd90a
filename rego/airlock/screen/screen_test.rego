package airlock.screen_test

import data.airlock.fixtures
import data.airlock.screen

# Every program table of every category, by category: the index holds exactly their
# programs, but for entries that never wake a category alone.
tables := {
	"credential_use": [
		data.airlock.credential_cli, data.airlock.credential_programs, data.airlock.script_interpreters,
		data.airlock.credential_search.programs, data.airlock.secret_grep.programs, data.airlock.credential_dumpers,
	],
	"instance_creation": [data.airlock.compute_cli, data.airlock.instance_creation.programs],
	"monitoring_evasion": [data.airlock.monitoring_evasion.programs],
	"network_exploitation": [data.airlock.network_exploitation.programs],
	"payment": [data.airlock.payment_cli, data.airlock.payment_cli_api],
	"persistence": [data.airlock.persistence.programs],
	"weight_exfiltration": [data.airlock.weight_exfiltration.programs],
}

# An entry with `"when": []` never wakes its category by itself (lib.live), so the
# screen need not know its program either.
names(table) := {p | some p, entry in table; not never_alone(entry)} if is_object(table)

never_alone(entry) if {
	entry.when == []
	not entry.when_prefix
}

names(table) := {p | some p in table} if is_array(table)

tabled := {[p, c] | some c, ts in tables; some t in ts; some p in names(t)}

indexed := {[p, c] | some initial, entries in screen.programs; some p, cs in entries; some c in cs}

test_index_lists_every_table_program if {
	missing := tabled - indexed
	count(missing) == 0
}

test_index_lists_nothing_else if {
	extra := indexed - tabled
	count(extra) == 0
}

test_index_files_programs_under_their_initial if {
	misfiled := {p | some initial, entries in screen.programs; some p, _ in entries; substring(p, 0, 1) != initial}
	count(misfiled) == 0
}

test_index_lists_each_program_once if {
	counts := {p: n | some [p, _] in indexed; n := count({i | some i, entries in screen.programs; entries[p]})}
	every _, n in counts { n == 1 }
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

test_written_path_wakes_persistence_and_monitoring if {
	awake := screen.awake with input as fixtures.writes(["tee", "out.txt"], "out.txt")
	{"monitoring_evasion", "persistence"} == awake & {"monitoring_evasion", "persistence"}
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
