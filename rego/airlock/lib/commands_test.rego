package airlock.lib_test

import data.airlock.lib

view(argv) := lib.view({"program": argv[0], "argv": argv, "raw": concat(" ", argv)})

verbs(argv) := lib.verbs(view(argv))

test_view_cuts_flag_values_and_double_dash if {
	c := view(["kubectl", "--context=dev", "exec", "pod", "--", "run", "x"])
	lib.words(c) == ["--context", "exec", "pod"]
	c.args == ["--context=dev", "exec", "pod", "--", "run", "x"]
	c.program == "kubectl"
	c.raw == "kubectl --context=dev exec pod -- run x"
}

test_view_without_raw_is_empty_text if {
	lib.view({"program": "ls", "argv": ["ls"]}).raw == ""
}

test_verbs_first_operand_skips_flag_values if {
	v := verbs(["aws", "--profile", "p", "--region", "r", "ec2", "run-instances"])
	v.lead == 4
	verbs(["gcloud", "beta", "compute", "instances", "create"]).lead == 1
}

test_verbs_without_arguments_is_empty if {
	v := verbs(["terraform"])
	v.words == []
	v.lead == 0
}

test_ran_lists_the_verb_paths_run_in_order if {
	c := view(["aws", "s3", "cp", "a", "s3://b"])
	lib.ran(c, [["s3", "ls"], ["s3", "cp"], ["s3"]]) == [["s3", "cp"], ["s3"]]
	lib.ran(c, [["ec2", "run-instances"]]) == []
	lib.ran(view(["aws", "s3", "cp", "help"]), [["s3", "cp"]]) == []
}

test_programs_are_the_call_programs if {
	inp := {"action": {"commands": [
		{"program": "/usr/bin/AWS", "argv": ["aws", "s3", "ls"]},
		{"program": "ls", "argv": ["ls"]},
		{"program": 7},
	]}}
	lib.programs == {"aws", "ls"} with input as inp
}

test_operands_leave_out_flags if {
	lib.operands(view(["rsync", "-av", "--delete", "src/", "host:dst"])) == ["src/", "host:dst"]
}

test_program_is_lowercase_basename_without_exe if {
	lib.program({"program": "/usr/bin/AWS.exe", "argv": []}) == "aws"
	lib.program({"argv": ["C/bin/gcloud"]}) == "gcloud"
	not lib.program({"argv": []})
}

test_runs_matches_subsequence_in_order if {
	lib.runs(verbs(["gcloud", "compute", "--project", "p", "instances", "create"]), ["compute", "instances", "create"])
	not lib.runs(verbs(["gcloud", "compute", "instances", "list", "create"]), ["compute", "create", "instances"])
	not lib.runs(verbs(["kubectl", "get", "pods", "run"]), ["run"])
}

test_runs_rejects_long_verb_paths if {
	not lib.runs(verbs(["x", "a", "b", "c", "d", "e"]), ["a", "b", "c", "d", "e"])
}
