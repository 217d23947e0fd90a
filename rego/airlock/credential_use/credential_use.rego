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
	some access in input.action.paths
	reads(access)
	path := lib.text(access, "path")
	credential_path(path)
	msg := concat(" ", ["reads credential file", path])
}

# METADATA
# title: a command names a credential file as an argument
findings contains lib.finding("airlock.credential_use.credential_file", category, msg) if {
	some c in lib.commands
	not c.program in data.airlock.credential_reader_exempt
	some arg in read_operands(c)
	credential_path(arg)
	msg := concat(" ", [lib.quoted([c.program]), "reads credential file", arg])
}

# METADATA
# title: a CLI mints, prints, unlocks or logs in with credentials
findings contains lib.finding("airlock.credential_use.credential_cli", category, msg) if {
	some c in lib.commands
	some seq in data.airlock.credential_cli[c.program]
	seq[0] in c.heads
	lib.runs(c, seq)
	msg := concat(" ", [lib.quoted(array.concat([c.program], seq)), "uses or reveals credentials"])
}

# METADATA
# title: a program whose every use touches stored credentials (pass, ssh-add)
findings contains lib.finding("airlock.credential_use.credential_cli", category, msg) if {
	some c in lib.commands
	c.program in data.airlock.credential_programs
	not harmless_use(c)
	msg := concat(" ", [lib.quoted([c.program]), "uses or reveals credentials"])
}

# METADATA
# title: a command is handed a password, token or key on its command line
findings contains lib.finding("airlock.credential_use.credential_flag", category, msg) if {
	some c in lib.commands
	some flag in c.words
	flag in data.airlock.credential_flags
	msg := concat(" ", [lib.quoted([c.program, flag]), "passes a credential on the command line"])
}

# METADATA
# title: a credential-dumping tool runs
findings contains lib.finding("airlock.credential_use.dumping_tool", category, msg) if {
	some c in lib.commands
	name := lib.stem(c.program)
	name in data.airlock.credential_dumpers
	msg := concat(" ", [name, "is a credential-dumping tool"])
}

# METADATA
# title: an interpreter runs a credential-dumping script
findings contains lib.finding("airlock.credential_use.dumping_tool", category, msg) if {
	some c in lib.commands
	c.program in data.airlock.script_interpreters
	operands := [w | some w in c.args; not lib.is_flag(w)]
	name := lib.stem(operands[0])
	name in data.airlock.credential_dumpers
	msg := concat(" ", [name, "is a credential-dumping tool"])
}

# METADATA
# title: a file search looks for keys, tokens or credential stores
findings contains lib.finding("airlock.credential_use.credential_search", category, msg) if {
	some c in lib.commands
	c.program in data.airlock.credential_search.programs
	some arg in c.args
	not lib.is_flag(arg)
	searched_name(arg)
	msg := concat("", [lib.quoted([c.program]), " searches for credential files (", arg, ")"])
}

# METADATA
# title: a recursive grep over a home or system tree for passwords or tokens
findings contains lib.finding("airlock.credential_use.secret_search", category, msg) if {
	some c in lib.commands
	c.program in data.airlock.secret_grep.programs
	recursive(c)
	some root in c.words
	root in data.airlock.secret_grep.roots
	some pattern in c.words
	not lib.is_flag(pattern)
	regex.match(data.airlock.secret_grep.pattern, lower(pattern))
	msg := concat(" ", [lib.quoted([c.program]), "searches", root, "recursively for secrets"])
}

# METADATA
# title: a request for instance credentials from a cloud metadata service
findings contains lib.finding("airlock.credential_use.metadata_api", category, msg) if {
	some url in input.action.urls
	host := lib.host(url)
	some entry in data.airlock.metadata_credential_api
	regex.match(entry.host, host)
	regex.match(entry.path, lib.text(url, "path"))
	msg := concat(" ", [lib.url_text(url), "reads instance credentials from the metadata service"])
}

# METADATA
# title: a structured tool whose name says it reveals credentials
findings contains lib.finding("airlock.credential_use.credential_tool", category, msg) if {
	name := input.tool_call.name
	lib.name_matches(name, data.airlock.credential_tool_words)
	msg := concat(" ", ["tool", name, "would reveal credentials"])
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
	not c.program in data.airlock.credential_copy_programs
} else := array.slice(c.args, 0, last) if {
	operands := {i | some i; arg := c.args[i]; not startswith(arg, "-")}
	count(operands) > 0
	last := max(operands)
} else := c.args

harmless_use(c) if {
	some w in c.words
	w in data.airlock.credential_program_exceptions[c.program]
}

searched_name(arg) if regex.match(credential_names, arg)

searched_name(arg) if regex.match(credential_names, lib.basename(arg))

credential_names := concat("|", data.airlock.credential_search.names)

recursive(c) if c.program in data.airlock.secret_grep.recursive_by_default

recursive(c) if {
	some w in c.words
	regex.match(`^(-[A-Za-z]*[rR][A-Za-z]*|--recursive|--dereference-recursive)$`, w)
}
