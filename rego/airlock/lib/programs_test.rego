package airlock.lib_test

import data.airlock.fixtures
import data.airlock.lib

call(argvs) := fixtures.shell(argvs)

matches(argv, spec, lists) := found if {
	found := lib.spec_matches({argv[0]: {"specs": [spec]}}, lists) with input as call([argv])
}

hit(argv, spec) if count(matches(argv, object.union({"rule": "r", "what": "w"}, spec), {"names": ["audit"]})) > 0

test_spec_without_conditions_matches_any_use if {
	matches(["nmap", "host"], {"rule": "scanner", "what": "scans"}, {}) == [["scanner", ["nmap"], "scans"]]
	hit(["nmap"], {})
}

test_spec_matches_nothing_for_help_or_version if {
	not hit(["nmap", "--version"], {})
	not hit(["qemu-system-x86_64", "-M", "help"], {})
	hit(["nmap", "-h", "host"], {})
}

test_spec_verbs_show_the_path_run if {
	matches(["aws", "iam", "create-user"], {"rule": "r", "what": "w", "verbs": [["iam", "list-users"], ["iam", "create-user"]]}, {}) == [["r", ["aws", "iam", "create-user"], "w"]]
	not hit(["aws", "iam", "list-users"], {"verbs": [["iam", "create-user"]]})
	not hit(["aws", "create-user", "iam"], {"verbs": [["iam", "create-user"]]})
}

test_spec_flags_letters_and_exemptions if {
	hit(["history", "-c"], {"any": ["-c"]})
	hit(["history", "-cr"], {"letters": ["c"]})
	not hit(["history", "--clear"], {"letters": ["c"]})
	hit(["set", "+o", "history"], {"all": ["+o", "history"]})
	not hit(["set", "+o", "vi"], {"all": ["+o", "history"]})
	not hit(["crontab", "-l"], {"without": ["-l"]})
	hit(["journalctl", "--vacuum-time=1s"], {"any": ["--vacuum-time"]})
	hit(["auditctl", "-e", "0"], {"after": ["-e", "0"]})
	not hit(["auditctl", "-e", "1"], {"after": ["-e", "0"]})
}

test_spec_operands_from_named_lists if {
	hit(["systemctl", "stop", "auditd.service"], {"operand": "names"})
	not hit(["systemctl", "stop", "nginx"], {"operand": "names"})
	hit(["sysrc", "auditd_enable=NO"], {"operand": "names", "operand_has": ["_enable=no"]})
	not hit(["sysrc", "auditd_enable=YES"], {"operand": "names", "operand_has": ["_enable=no"]})
}

test_spec_matches_empty_table_is_empty if {
	lib.spec_matches({}, {}) == [] with input as call([["ls"]])
}

test_path_classes_by_prefix_suffix_name_and_part if {
	classes := {
		"a": {"prefixes": ["/etc/cron"], "suffixes": [], "names": [], "parts": []},
		"b": {"prefixes": [], "suffixes": [".service"], "names": [".bashrc"], "parts": ["/LaunchAgents/"]},
	}
	lib.path_classes("/etc/cron.d/x", classes) == {"a"}
	lib.path_classes("/tmp/x.service", classes) == {"b"}
	lib.path_classes("/home/u/.bashrc", classes) == {"b"}
	lib.path_classes("/Users/u/Library/LaunchAgents/x.plist", classes) == {"b"}
	lib.path_classes("/tmp/notes.txt", classes) == set()
}

test_inert_writes_are_touch_and_mkdir_only if {
	lib.inert_write("a.txt") with input as call([["touch", "a.txt"], ["ls"]])
	not lib.inert_write("a.txt") with input as call([["touch", "a.txt"], ["tee", "a.txt"]])
	not lib.inert_write("a.txt") with input as call([["ls"]])
}

test_call_texts_hold_every_argument_and_raw if {
	inp := call([["ls", "-la"], ["cat", "a b"]])
	lib.arg_list == ["-la", "a b"] with input as inp
	lib.arg_text == "\n-la\na b\n" with input as inp
	lib.raws == ["ls -la", "cat a b"] with input as inp
}

test_generic_tool_names_match_no_vocabulary if {
	not lib.named_tool with input as fixtures.tool("bash", {})
	not lib.named_tool with input as fixtures.tool("run_command", {})
	not lib.named_tool with input as fixtures.tool("strReplaceEditor", {})
	lib.named_tool with input as fixtures.tool("send_money", {})
}
