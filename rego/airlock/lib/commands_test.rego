package airlock.lib_test

import data.airlock.lib

view(argv) := lib.view({"program": argv[0], "argv": argv})

test_view_cuts_flag_values_and_double_dash if {
	c := view(["kubectl", "--context=dev", "exec", "pod", "--", "run", "x"])
	c.words == ["--context", "exec", "pod"]
	c.args == ["--context=dev", "exec", "pod", "--", "run", "x"]
	c.program == "kubectl"
}

test_view_first_operand_skips_flag_values if {
	c := view(["aws", "--profile", "p", "--region", "r", "ec2", "run-instances"])
	c.lead == 4
	c.heads == {"--profile", "p", "--region", "r", "ec2"}
}

test_view_without_arguments_is_empty if {
	c := view(["terraform"])
	c.words == []
	c.lead == 0
	c.heads == set()
}

test_program_is_lowercase_basename_without_exe if {
	lib.program({"program": "/usr/bin/AWS.exe", "argv": []}) == "aws"
	lib.program({"argv": ["C/bin/gcloud"]}) == "gcloud"
	not lib.program({"argv": []})
}

test_runs_matches_subsequence_in_order if {
	lib.runs(view(["gcloud", "compute", "--project", "p", "instances", "create"]), ["compute", "instances", "create"])
	not lib.runs(view(["gcloud", "compute", "instances", "list", "create"]), ["compute", "create", "instances"])
	not lib.runs(view(["kubectl", "get", "pods", "run"]), ["run"])
}

test_runs_rejects_long_verb_paths if {
	not lib.runs(view(["x", "a", "b", "c", "d", "e"]), ["a", "b", "c", "d", "e"])
}
