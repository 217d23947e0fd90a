# Command facts: one view per command, and verb-path matching
# (`aws ec2 run-instances`) against it. lib.rego lists the constructs both engines need.
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
args(cmd) := [arg |
	some i
	arg := cmd.argv[i]
	is_string(arg)
	i > 0
]

is_flag(w) if startswith(w, "-")

# Every command fact, read once per query into the view that rules match against
# (rego-cpp would otherwise recompute a per-command value for every data entry a
# rule loops over):
#   program  lowercased basename, see program;
#   args     the string arguments after the program;
#   words    the arguments the program parses itself: up to a bare "--" (after which
#            they belong to another program), with "=value" cut off flags so that
#            `--filename=x` reads as `--filename`;
#   lead     index of the first operand, the first word that is neither a flag, a
#            flag's value nor a release-track word (gcloud beta …);
#   heads    the words up to the first operand, where a verb path may start. Rules
#            test `seq[0] in c.heads` first: it rules out most verb paths cheaply;
#   wordset  the words as a set;
#   help     a help word ("--help", "help") is among the words;
#   plain    the words that are not flags, help or release-track words.
commands := [view(cmd) | some cmd in input.action.commands]

view(cmd) := {
	"program": program(cmd),
	"args": given,
	"words": ws,
	"lead": lead,
	"heads": {w | some k; w := ws[k]; k <= lead},
	"wordset": {w | some w in ws},
	"help": count(asked) > 0,
	"plain": (({w | some w in ws} - {w | some w in ws; startswith(w, "-")}) - help) - tracks,
} if {
	given := args(cmd)
	stop := min({i | some i; arg := given[i]; arg == "--"} | {count(given)})
	ws := [word(arg) | some i; arg := given[i]; i < stop]
	lead := first_operand(ws)
	help := {w | some w in data.airlock.cli.help_words}
	tracks := {w | some w in data.airlock.cli.transparent_words}
	asked := {w | some w in ws} & help
}

word(w) := split(w, "=")[0] if {
	startswith(w, "-")
} else := w

# Built from set differences rather than `not` inside a loop, which rego-cpp makes
# costly.
first_operand(ws) := min(((((indexes - flags) - values) - tracks) | {count(ws)})) if {
	indexes := {k | some k; w := ws[k]; is_string(w)}
	flags := {k | some k; w := ws[k]; startswith(w, "-")}
	values := {j | some k; w := ws[k]; startswith(w, "-"); j := k + 1}
	tracks := {k | some k; w := ws[k]; w in data.airlock.cli.transparent_words}
}

# The command (its view `c`) runs the verb path `seq`, e.g. ["ec2", "run-instances"],
# and does not merely ask for help about it. The first verb word comes no later than
# the first operand; later verb words follow in order, with flags and their values
# allowed in between. Greedy matching (earliest position for each verb word) is exact
# for "is a subsequence" and linear.
runs(c, seq) if {
	count(seq) > 0
	count(seq) <= max_verbs
	count({s | some s in seq} - c.wordset) == 0
	at := position(c.words, seq[0], -1)
	at <= c.lead
	follows(c.words, seq, at)
	not is_help(c, seq)
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
position(ws, w, after) := min(found) if {
	found := {k | some k; x := ws[k]; x == w; k > after}
	count(found) > 0
}

# Only asking for help about `seq`: a help word and no operand besides the verb path
# (an operand such as an image or a script may be where a trailing "help" goes).
is_help(c, seq) if {
	c.help
	count(c.plain - {s | some s in seq}) == 0
}
