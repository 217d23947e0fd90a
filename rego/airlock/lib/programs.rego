# Program tables: what a command does, described in data rather than in rules, and
# path classes for the paths a call writes or deletes.
package airlock.lib

# The matches of a category's program table against the call's commands, each as
# [rule, shown words, what]. `table` maps a program name to an entry whose `specs` is a
# list of specs (other keys are the category's own), narrowed first with
# object.filter(table, programs) (see commands). A spec:
#   rule         the finding's rule name within the category (required);
#   what         what the command does, for the message (required);
#   verbs        verb paths, one of which the command must run (see runs);
#   any          words of which one must be among the command's words;
#   letters      letters of which one must be in a short-flag cluster (-cr has c and r);
#                with `any`, either suffices;
#   all          words that must all be among the command's words;
#   without      words whose presence means the command is not this use (crontab -l);
#   operand      name of a list in `lists` (the category's data.lists): an operand must
#                contain one of its entries, compared lowercased;
#   operand_has  substrings of which that same operand must also contain one;
#   after        [flag, text]: the word after `flag` contains `text` (auditctl -e 0).
# A command that only asks for help or a version (see info_only) matches nothing.
spec_matches(table, lists) := [] if {
	count(table) == 0
} else := [[spec.rule, shown, spec.what] |
	some c in commands
	some spec in table[c.program].specs
	shown := does(c, words(c), spec, lists)
]

does(c, ws, spec, lists) := shown if {
	not info_only(ws)
	shown := shown_verb(c, spec)
	flags_ok(ws, spec)
	all_ok(ws, spec)
	not exempt(ws, spec)
	operand_ok(ws, spec, lists)
	after_ok(ws, spec)
}

# Asking for help or a version: an information word and no operand besides such words
# (`qemu-system-x86_64 -M help`, `nmap --version`).
info_only(ws) if {
	info := {w | some w in data.airlock.lib.info_words}
	count({w | some w in ws} & info) > 0
	count({w | some w in ws; not startswith(w, "-")} - info) == 0
}

# The program and the verb path it runs, for the message; the first path listed wins
# so that the function has one value.
shown_verb(c, spec) := [c.program] if {
	not spec.verbs
} else := array.concat([c.program], seqs[0]) if {
	seqs := ran(c, spec.verbs)
	count(seqs) > 0
}

flags_ok(_, spec) if {
	not spec.any
	not spec.letters
}

flags_ok(ws, spec) if {
	some w in ws
	w in spec.any
}

flags_ok(ws, spec) if {
	some w in ws
	short_cluster(w)
	has_letter(w, spec.letters)
}

has_letter(w, letters) if {
	some letter in letters
	contains(w, letter)
}

short_cluster(w) if {
	startswith(w, "-")
	not startswith(w, "--")
	count(w) > 1
}

all_ok(_, spec) if not spec.all

all_ok(ws, spec) if count({w | some w in spec.all} - {w | some w in ws}) == 0

exempt(ws, spec) if {
	some w in ws
	w in spec.without
}

operand_ok(_, spec, _) if not spec.operand

operand_ok(ws, spec, lists) if {
	some w in ws
	not startswith(w, "-")
	operand := lower(w)
	names_in(operand, lists[spec.operand])
	operand_has(operand, spec)
}

names_in(operand, names) if {
	some name in names
	contains(operand, name)
}

operand_has(_, spec) if not spec.operand_has

operand_has(operand, spec) if {
	some part in spec.operand_has
	contains(operand, part)
}

after_ok(_, spec) if not spec.after

after_ok(ws, spec) if {
	some k
	flag := ws[k]
	flag == spec.after[0]
	contains(ws[k + 1], spec.after[1])
}

# The entries of a narrowed program table that wake the category for this call: an entry
# with `when` words (or `when_prefix` prefixes) wakes it only if one of them is among the
# call's arguments, so that `git status` or `find . -name x` does not wake a category
# whose rules are about `git push` or `find -delete` (`"when": []`: never by itself, as
# for echo, which matters only with a path the call writes, itself a reason to wake).
# Data tests hold `when` to the first words of the entry's verb paths.
live(hits) := {name: entry | some name; entry := hits[name]; awake(entry)}

awake(entry) if {
	not entry.when
	not entry.when_prefix
}

awake(entry) if {
	some w in entry.when
	w in arg_list
}

awake(entry) if strings.any_prefix_match(arg_list, entry.when_prefix)

# Paths the call writes (op "write", or no op: unknown access is not innocent) and
# deletes, as given.
written := [p | some access in input.action.paths; text(access, "op") in {"write", ""}; p := text(access, "path"); p != ""]

deleted := [p | some access in input.action.paths; text(access, "op") == "delete"; p := text(access, "path"); p != ""]

# A written path that only touch or mkdir name: an empty file or a directory, no content.
inert_write(path) if {
	inert_writers_run
	writers := [c.program | some c in commands; contains(c.raw, path)]
	count(writers) > 0
	count([p | some p in writers; not data.airlock.lib.inert_writers[p]]) == 0
}

default inert_writers_run := false

inert_writers_run if count(object.filter(data.airlock.lib.inert_writers, programs)) > 0

# The path is in a path class {"prefixes", "suffixes", "names", "parts"}: it starts or
# ends with, has a basename in, or contains one of them (all four keys are required;
# data tests hold every class to that).
path_in(path, class) if strings.any_prefix_match(path, class.prefixes)

path_in(path, class) if strings.any_suffix_match(path, class.suffixes)

path_in(path, class) if basename(path) in class.names

path_in(path, class) if {
	some part in class.parts
	contains(path, part)
}

# The names of the path classes ({name: class}) that a path is in.
path_classes(path, classes) := {name | some name; class := classes[name]; path_in(path, class)}
