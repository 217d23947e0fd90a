# METADATA
# title: Credential use
# description: |
#   The agent reaching for credentials it was not given: secrets in its own
#   arguments, credential files and stores, commands that mint, print or unlock
#   credentials, dumping tools, searches for keys and passwords, and the cloud
#   metadata endpoints that hand out instance credentials. Listing a directory
#   (ls ~/.ssh) or grepping a project for a word is not credential use.
package airlock.credential_use

import data.airlock.lib

category := "credential_use"

# METADATA
# title: a secret appears in the tool call's arguments
findings contains lib.finding("airlock.credential_use.secret_in_arguments", category, msg) if {
	some secret in input.action.secrets
	msg := concat("", ["the call carries a ", label(secret, "type", "secret"), " (at ", label(secret, "at", "arguments"), ")"])
}

# METADATA
# title: a path fact reads a credential file
findings contains lib.finding("airlock.credential_use.credential_file", category, msg) if {
	hinted
	some path in read_paths
	credential_path(path)
	msg := concat(" ", ["reads credential file", path])
}

# METADATA
# title: a command names a credential file as an argument
findings contains lib.finding("airlock.credential_use.credential_file", category, msg) if {
	hinted
	some hit in read_args
	credential_path(hit[1])
	msg := concat(" ", [lib.quoted([hit[0]]), "reads credential file", hit[1]])
}

read_paths contains path if {
	some access in input.action.paths
	reads(access)
	path := lib.text(access, "path")
}

# The programs of this call in each list, found once per query in one pass; rules test
# commands against these small sets rather than against the data lists.
listed := {[p, i] |
	lists := [
		data.airlock.credential_programs, data.airlock.script_interpreters,
		data.airlock.credential_search.programs, data.airlock.secret_grep.programs,
	]
	some p in lib.programs
	some i
	list := lists[i]
	p in list
}

exempt_readers := {p | some p in lib.programs; p in data.airlock.credential_reader_exempt}

copiers := {p | some p in lib.programs; p in data.airlock.credential_copy_programs}

# Built only with a hint: rego-cpp would otherwise build it before testing `hinted`.
read_args := [[c.program, arg] |
	some c in lib.commands
	not c.program in exempt_readers
	some arg in read_operands(c)
] if {
	hinted
} else := []

# The credential_paths regexes are one alternation that rego-cpp compiles anew for every
# argument, so arguments are tried only when some part of a path in the call (an
# argument or a read path, split at "/") is a hint: a name such as .aws or Keychains, or
# a part starting or ending like a credential file (.env…, id_…, …_history, ….pem). The
# hints are a superset of what credential_paths can match; a pattern added there needs
# its hint here (the credential_use tests list a file for every pattern).
default hinted := false

hinted if count(object.filter(data.airlock.credential_use.path_hint_names, hint_parts)) > 0

hinted if strings.any_prefix_match(hint_parts, data.airlock.credential_use.path_hint_prefixes)

hinted if strings.any_suffix_match(hint_parts, data.airlock.credential_use.path_hint_suffixes)

hint_parts := {part |
	some path in array.concat(lib.arg_list, [p | some p in read_paths])
	some part in split(path, "/")
}

# METADATA
# title: a CLI mints, prints, unlocks or logs in with credentials
findings contains lib.finding("airlock.credential_use.credential_cli", category, msg) if {
	some run in cli_runs
	msg := concat(" ", [lib.quoted(run), "uses or reveals credentials"])
}

cli_hits := object.filter(data.airlock.credential_cli, lib.programs)

cli_runs contains array.concat([c.program], seq) if {
	count(cli_hits) > 0
	some c in lib.commands
	some seq in lib.ran(c, cli_hits[c.program])
}

# METADATA
# title: a program whose every use touches stored credentials (pass, ssh-add)
findings contains lib.finding("airlock.credential_use.credential_cli", category, msg) if {
	count(credential_programs) > 0
	some c in lib.commands
	c.program in credential_programs
	not harmless_use(c)
	msg := concat(" ", [lib.quoted([c.program]), "uses or reveals credentials"])
}

credential_programs := {m[0] | some m in listed; m[1] == 0}

# METADATA
# title: a command is handed a password, token or key on its command line
findings contains lib.finding("airlock.credential_use.credential_flag", category, msg) if {
	some hit in flag_hits
	msg := concat(" ", [lib.quoted(hit), "passes a credential on the command line"])
}

flag_hits contains [c.program, flag] if {
	strings.any_prefix_match(lib.arg_list, data.airlock.credential_flags)
	some c in lib.commands
	some arg in c.args
	startswith(arg, "-")
	flag := split(arg, "=")[0]
	flag in data.airlock.credential_flags
}

# METADATA
# title: a credential-dumping tool runs
findings contains lib.finding("airlock.credential_use.dumping_tool", category, msg) if {
	some name in dumpers
	msg := concat(" ", [name, "is a credential-dumping tool"])
}

dumpers contains p if {
	some p in lib.programs
	p in data.airlock.credential_dumpers
}

# A script or binary named with its extension (laZagne.py, mimikatz.exe).
dumpers contains name if {
	some p in lib.programs
	contains(p, ".")
	name := lib.stem(p)
	name in data.airlock.credential_dumpers
}

# METADATA
# title: an interpreter runs a credential-dumping script
findings contains lib.finding("airlock.credential_use.dumping_tool", category, msg) if {
	some name in dumping_scripts
	msg := concat(" ", [name, "is a credential-dumping tool"])
}

interpreters := {m[0] | some m in listed; m[1] == 1}

dumping_scripts contains name if {
	count(interpreters) > 0
	some c in lib.commands
	c.program in interpreters
	operands := [w | some w in c.args; not lib.is_flag(w)]
	name := lib.stem(operands[0])
	name in data.airlock.credential_dumpers
}

# METADATA
# title: a file search looks for keys, tokens or credential stores
findings contains lib.finding("airlock.credential_use.credential_search", category, msg) if {
	some hit in searches
	msg := concat("", [lib.quoted([hit[0]]), " searches for credential files (", hit[1], ")"])
}

searchers := {m[0] | some m in listed; m[1] == 2}

searches contains [c.program, arg] if {
	count(searchers) > 0
	some c in lib.commands
	c.program in searchers
	some arg in searched_args(c)
	searched_name(arg)
}

# What a search looks for: the values of find's name options (find -name x) and, when the
# call holds a credential path hint, its roots (find ~/.aws); every operand of the other
# search programs (locate x). Each is a regex match, so roots such as `find /src` are
# not tried without a hint.
searched_args(c) := array.concat(name_values(c), roots(c)) if {
	c.program in data.airlock.credential_use.search_root_programs
} else := [arg | some arg in c.args; not lib.is_flag(arg)]

name_values(c) := [arg | some k; arg := c.args[k]; c.args[k - 1] in data.airlock.credential_use.search_name_flags]

roots(c) := [arg | some arg in c.args; not lib.is_flag(arg)] if {
	hinted
} else := []

# METADATA
# title: a recursive grep over a home or system tree for passwords or tokens
findings contains lib.finding("airlock.credential_use.secret_search", category, msg) if {
	some hit in secret_greps
	msg := concat(" ", [lib.quoted([hit[0]]), "searches", hit[1], "recursively for secrets"])
}

greps := {m[0] | some m in listed; m[1] == 3}

secret_greps contains [c.program, root] if {
	count(greps) > 0
	some c in lib.commands
	c.program in greps
	ws := lib.words(c)
	recursive(c, ws)
	some root in secret_roots(ws, [r | some r in ws; r in data.airlock.secret_grep.roots])
}

# The roots searched, when the search is for a secret; the pattern (a regex per word) is
# tried only when a root is searched (an else chain is the order rego-cpp keeps).
secret_roots(ws, roots) := [] if {
	count(roots) == 0
} else := roots if {
	secret_pattern(ws)
} else := []

secret_pattern(ws) if {
	some pattern in ws
	not lib.is_flag(pattern)
	regex.match(data.airlock.secret_grep.pattern, lower(pattern))
}

# METADATA
# title: a request for instance credentials from a cloud metadata service
findings contains lib.finding("airlock.credential_use.metadata_api", category, msg) if {
	some u in metadata_hits
	msg := concat(" ", [u.text, "reads instance credentials from the metadata service"])
}

metadata_hits contains u if {
	count(lib.urls) > 0
	some u in lib.hosts_in(data.airlock.metadata_credential_api)
	some entry in data.airlock.metadata_credential_api
	regex.match(entry.host, u.host)
	regex.match(entry.path, u.path)
}

# METADATA
# title: a structured tool whose name says it reveals credentials
findings contains lib.finding("airlock.credential_use.credential_tool", category, msg) if {
	lib.tool_matches(data.airlock.credential_tool_words)
	msg := concat(" ", ["tool", input.tool_call.name, "would reveal credentials"])
}

label(fact, key, fallback) := value if {
	value := lib.text(fact, key)
	value != ""
} else := fallback

# A path fact without an op is treated as a read: unknown access is not innocent.
reads(access) if lib.text(access, "op") in data.airlock.credential_path_ops

reads(access) if lib.text(access, "op") == ""

# One alternation per list, so that each argument costs one regex match; arguments
# with neither "/" nor "." cannot name a credential file and are skipped first.
credential_paths := concat("|", data.airlock.credential_paths)

credential_path_exceptions := concat("|", data.airlock.credential_path_exceptions)

credential_path(path) if {
	regex.match(`[./]`, path)
	regex.match(credential_paths, path)
	not regex.match(credential_path_exceptions, path)
}

# The arguments a command may read. For copying programs the last operand is the
# destination (`cp .env.example .env` writes .env and reads nothing secret).
read_operands(c) := c.args if {
	not c.program in copiers
} else := array.slice(c.args, 0, last) if {
	operands := [i | some i; arg := c.args[i]; not startswith(arg, "-")]
	count(operands) > 0
	last := operands[count(operands) - 1]
} else := c.args

harmless_use(c) if {
	some w in lib.words(c)
	w in data.airlock.credential_program_exceptions[c.program]
}

searched_name(arg) if regex.match(credential_names, arg)

searched_name(arg) if regex.match(credential_names, lib.basename(arg))

credential_names := concat("|", data.airlock.credential_search.names)

recursive(c, _) if c.program in data.airlock.secret_grep.recursive_by_default

recursive(_, ws) if {
	some w in ws
	regex.match(`^(-[A-Za-z]*[rR][A-Za-z]*|--recursive|--dereference-recursive)$`, w)
}
