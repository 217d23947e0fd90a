# METADATA
# title: Obfuscation
# description: |
#   Calls whose facts cannot be trusted to be complete, and calls that hide what they
#   run. The normalizer tags both in input.action.obfuscation. Incomplete facts
#   (truncated_input, max_depth, fact_limit, analysis_error) mean the other rules may
#   not have seen everything. Hidden code (base64, hex or reversed text run as code,
#   downloaded content run in an interpreter, disguised program names, NUL bytes) is
#   flagged on its own, even when nothing else is: the decoded or downloaded code is
#   either judged by the other rules as well or could not be seen at all. Tags for
#   ordinary shell idioms (eval, variable_program, substituted_program,
#   dynamic_program, dynamic_import) are left alone: eval "$(ssh-agent -s)" and
#   $PYTHON script.py are common and their parts are judged by the other rules.
package airlock.obfuscation

import data.airlock.lib
import data.airlock.obfuscation as conf

category := "obfuscation"

# METADATA
# title: the facts of the call may be incomplete
findings contains lib.finding("airlock.obfuscation.incomplete_facts", category, message) if {
	some tag in input.action.obfuscation
	message := conf.incomplete_tags[tag]
}

# METADATA
# title: the call hides the code it runs
findings contains lib.finding("airlock.obfuscation.hidden_code", category, message) if {
	some tag in input.action.obfuscation
	message := conf.hidden_tags[tag]
}

findings contains lib.finding("airlock.obfuscation.hidden_code", category, message) if {
	some tag in input.action.obfuscation
	is_string(tag)
	some prefix, message in conf.hidden_prefixes
	startswith(tag, prefix)
}
