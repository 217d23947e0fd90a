# Command facts: one light view per command, the set of program names, and verb-path
# matching (`aws ec2 run-instances`). lib.rego lists the constructs both engines need.
package airlock.lib

# Lowercased basename of the program, without a Windows ".exe"; falls back to argv[0]
# so that a command fact without `program` is still matched.
program(cmd) := name if {
	is_string(cmd.program)
	name := lower(trim_suffix(basename(cmd.program), ".exe"))
} else := name if {
	is_string(cmd.argv[0])
	name := lower(trim_suffix(basename(cmd.argv[0]), ".exe"))
}

basename(path) := name if {
	parts := split(path, "/")
	name := parts[count(parts) - 1]
}

# Script or tool name without directory, case or common extension.
stem(path) := regex.replace(lower(basename(path)), `\.(py|sh|exe|pl|rb|ps1|bin)$`, "")

# The string arguments after the program.
args(cmd) := [arg | some arg in array.slice(cmd.argv, 1, count(cmd.argv)); is_string(arg)]

is_flag(w) if startswith(w, "-")

# Every command fact as the view rules match against:
#   program  lowercased basename, see program;
#   args     the string arguments after the program;
#   raw      the command's source text ("" when absent).
# rego-cpp spends microseconds on every builtin call and more per element of every
# loop, and a call's commands are mostly ones no rule is about (ls, git, grep). So
# rules first test something computed once per query with a few builtin calls:
#   programs  the program names, to narrow a data table keyed by program with
#             object.filter(table, programs), one builtin call, rather than testing
#             each command against a list or looking it up in an object (both scan);
#   raws      each command's source text, for strings.any_prefix_match and the like;
#   arg_list, arg_text  every argument, as a list and as one newline-separated text;
# and only then read the views (built on first use), words(c) and verbs(c).
commands := array.concat(named, [view(cmd) | some cmd in input.action.commands; not has_program(cmd)])

# (A helper: OPA reads `not is_string(cmd.program)` as undefined when the field is missing.)
has_program(cmd) if is_string(cmd.program)

# The usual case, program given, built inline: a function call per command costs
# rego-cpp more than the view itself.
# (argv is a list of strings in every fact the gateway builds; a list holding anything
# else makes rules that read it undefined on OPA and an error on rego-cpp, which the
# gateway turns into a denial.)
named := [c |
	some cmd in input.action.commands
	is_array(cmd.argv)
	parts := split(cmd.program, "/")
	c := {
		"program": lower(trim_suffix(parts[count(parts) - 1], ".exe")),
		"args": array.slice(cmd.argv, 1, count(cmd.argv)),
		"raw": object.get(cmd, "raw", ""),
	}
]

programs := {lower(trim_suffix(parts[count(parts) - 1], ".exe")) |
	some cmd in input.action.commands
	parts := split(cmd.program, "/")
} | {program(cmd) | some cmd in input.action.commands; not has_program(cmd)}

raws := [raw | some cmd in input.action.commands; raw := cmd.raw; is_string(raw)]

arg_list := [arg |
	some cmd in input.action.commands
	some arg in array.slice(cmd.argv, 1, count(cmd.argv))
	is_string(arg)
]

arg_text := concat("", ["\n", concat("\n", arg_list), "\n"])

view(cmd) := {
	"program": program(cmd),
	"args": args(cmd),
	"raw": object.get(cmd, "raw", ""),
}

# The arguments the program parses itself: up to a bare "--" (after which they belong
# to another program), with "=value" cut off flags so that `--filename=x` reads as
# `--filename`.
words(c) := [word(arg) | some arg in c.args] if {
	not "--" in c.args
} else := [word(arg) | some i; arg := c.args[i]; i < stop] if {
	stop := [i | some i; arg := c.args[i]; arg == "--"][0]
}

word(arg) := regex.replace(arg, `^(-[^=]*)=.*$`, "$1")

# The operands of a command: its arguments that are not flags, up to a bare "--", with
# their "=" values (`HISTFILE=/dev/null`).
operands(c) := [arg | some arg in c.args; not startswith(arg, "-")] if {
	not "--" in c.args
} else := [arg | some i; arg := c.args[i]; i < stop; not startswith(arg, "-")] if {
	stop := [i | some i; arg := c.args[i]; arg == "--"][0]
}

# What verb-path matching reads, for one command view `c`:
#   words    see words;
#   lead     index of the first operand, the first word that is neither a flag, a
#            flag's value nor a release-track word (gcloud beta …);
#   wordset  the words as a set, so that a verb path whose words are not all there is
#            ruled out with one set difference;
#   help     a help word ("--help", "help") is among the words.
verbs(c) := {
	"words": ws,
	"lead": first_operand(ws),
	"wordset": wordset,
	"help": count(wordset & {w | some w in data.airlock.cli.help_words}) > 0,
} if {
	ws := words(c)
	wordset := {w | some w in ws}
}

# rego-cpp's min, max and sort compare numbers as text (min({2, 10}) is 10 there), so
# the smallest index is the first of an array comprehension, which walks in order.
first_operand(ws) := found[0] if {
	before := array.concat([""], ws)
	found := array.concat(
		[k |
			some k
			w := ws[k]
			not startswith(w, "-")
			not startswith(before[k], "-")
			not w in data.airlock.cli.transparent_words
		],
		[count(ws)],
	)
}

# The verb paths of `seqs` that the command runs, in the order listed (empty when it
# runs none). Computing verbs(c) costs rego-cpp far more than testing whether a
# path's first word is among the arguments at all, so that comes first.
ran(c, seqs) := runs_any(c, candidates) if {
	candidates := [seq | some seq in seqs; seq[0] in c.args]
}

# A function of its own: rego-cpp evaluates a body's statements in the order their
# variables allow, not as written, and would compute verbs(c) before any test on
# `candidates` that does not feed it.
runs_any(c, candidates) := [] if {
	count(candidates) == 0
} else := [seq | some seq in present; runs(v, seq)] if {
	v := verbs(c)
	present := [seq | some seq in candidates; count({w | some w in seq} - v.wordset) == 0]
}

# The command (its verbs view `v`) runs the verb path `seq`, e.g. ["ec2", "run-instances"],
# and does not merely ask for help about it. The first verb word comes no later than
# the first operand; later verb words follow in order, with flags and their values
# allowed in between. Greedy matching (earliest position for each verb word) is exact
# for "is a subsequence" and linear.
runs(v, seq) if {
	count(seq) > 0
	count(seq) <= max_verbs
	at := position(v.words, seq[0], -1)
	at <= v.lead
	follows(v.words, seq, at)
	not is_help(v, seq)
}

# Longest verb path runs understands; data tests hold every list to it.
max_verbs := 4

follows(_, seq, _) if count(seq) == 1

follows(ws, seq, at) if {
	count(seq) == 2
	position(ws, seq[1], at) > at
}

follows(ws, seq, at) if {
	count(seq) == 3
	second := position(ws, seq[1], at)
	position(ws, seq[2], second) > second
}

follows(ws, seq, at) if {
	count(seq) == 4
	second := position(ws, seq[1], at)
	third := position(ws, seq[2], second)
	position(ws, seq[3], third) > third
}

# Index of the first `w` in `ws` after index `after`; undefined when there is none.
position(ws, w, after) := found[0] if {
	found := [k | some k; x := ws[k]; x == w; k > after]
}

# Only asking for help about `seq`: a help word and no operand besides the verb path
# and such words (an operand such as an image or a script may be where a trailing
# "help" goes).
is_help(v, seq) if {
	v.help
	count(plain_words(v.words, seq)) == 0
}

plain_words(ws, seq) := {w |
	some w in ws
	not startswith(w, "-")
	not w in data.airlock.cli.help_words
	not w in data.airlock.cli.transparent_words
	not w in seq
}
