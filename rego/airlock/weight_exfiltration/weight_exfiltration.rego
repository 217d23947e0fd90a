# METADATA
# title: Weight exfiltration
# description: |
#   Model weights and the agent's own code leaving the host. Every way local files
#   are sent to another host is found (scp, rsync, rclone, cloud storage copies,
#   kubectl cp, HTTP uploads, a socket fed from a file, DNS names built from command
#   output, archives of the working directory piped to a network program) and judged
#   by what is sent: model weights or model directories (weights), the agent's
#   working directory, configuration or this gateway's code (agent_code), or other
#   files (outbound_transfer, a rule of its own so that its outcome can differ).
#   Uploads to a model hub (hf upload, ollama push, git push to huggingface.co,
#   push_to_hub in code) are hub_upload. Downloads and local copies are not transfers.
package airlock.weight_exfiltration

import data.airlock.lib
import data.airlock.weight_exfiltration as conf

category := "weight_exfiltration"

# The category's findings. Most calls give a category nothing to look at (no program
# its tables name, no path, URL or code), and rego-cpp spends tens of microseconds on
# each rule even then; `active` says whether there is anything, in a few builtin calls,
# and only then are the rules below evaluated. The tool-name rule (`named`) stands apart:
# a structured tool's name wakes only it.
findings := found | named if {
	active
} else := named

default active := false

active if count(lib.live(program_hits)) > 0

active if count(lib.urls) > 0

active if count(lib.code_calls) > 0

rule(name) := concat(".", ["airlock", category, name])

# The program table narrowed to this call's programs (see lib.commands). An entry may
# hold `transfers` (copy commands: where the destination is, which flags take values),
# `hub` (verb paths that upload to a model hub), `upload` (an HTTP client's upload
# options), `archive` (an archiver's create modes) and `roles` (which rules below look
# at the program).
program_hits := object.filter(conf.programs, lib.programs)

has_role(c, role) if role in program_hits[c.program].roles

# The commands some rule below looks at; most calls have none.
roled := [] if {
	count(program_hits) == 0
} else := [c | some c in lib.commands; program_hits[c.program].roles]

# METADATA
# title: local files are sent to another host; the rule says what they are
found contains lib.finding(rule(kind(hit[1])), category, msg) if {
	some hit in sent
	msg := concat(" ", [lib.quoted([hit[0]]), conf.messages[kind(hit[1])], concat("", ["(", hit[1], ")"])])
}

# [program, local source] for every source a command sends off the host.
sent contains [c.program, source] if {
	count(program_hits) > 0
	some c in lib.commands
	some spec in program_hits[c.program].transfers
	operands := transfer_operands(c, spec)
	count(operands) > 0
	some source in sources(operands, spec)
	not remote(source)
}

sent contains [c.program, source] if {
	count(program_hits) > 0
	some c in lib.commands
	flags := program_hits[c.program].upload
	remote_url
	some source in uploaded_files(c, flags)
}

# A socket or shell session fed from a file (nc host 9 < file, ssh host 'cat > x' < file).
sent contains [c.program, source] if {
	some c in roled
	has_role(c, "stream_sender")
	count(lib.operands(c)) > 0
	contains(c.raw, "<")
	not contains(c.raw, "<<")
	parts := split(c.raw, "<")
	source := trim_space(split(trim_space(parts[1]), " ")[0])
	source != ""
}

# put in an sftp, ftp or smbclient session (sftp host <<< 'put file', lftp -e 'put file').
sent contains [c.program, source] if {
	some c in roled
	has_role(c, "file_transfer_client")
	some part in array.slice(split(c.raw, "put "), 1, 20)
	source := trim(split(trim_space(part), " ")[0], "'\"")
	source != ""
}

# The operands of a transfer command after its verb path, without flags and flag values.
transfer_operands(c, spec) := [arg |
	some k
	arg := c.args[k]
	not startswith(arg, "-")
	not k in values
	not arg in verb
] if {
	verb := transfer_verb(c, spec)
	values := {j | some k; arg := c.args[k]; arg in spec.value_flags; j := k + 1}
}

transfer_verb(c, spec) := [] if {
	not spec.verbs
} else := ran[0] if {
	ran := lib.ran(c, spec.verbs)
	count(ran) > 0
}

# The sources of a transfer whose destination is another host: the operands before the
# last one when that one is remote, or every operand for uploads that can only go out.
sources(operands, spec) := operands if {
	spec.dest == "any"
} else := array.slice(operands, 0, count(operands) - 1) if {
	spec.dest == "host"
	remote(operands[count(operands) - 1])
} else := array.slice(operands, 0, count(operands) - 1) if {
	spec.dest == "pod"
	pod_path(operands[count(operands) - 1])
} else := array.slice(operands, 0, count(operands) - 1) if {
	spec.dest == "prefix"
	strings.any_prefix_match(lower(operands[count(operands) - 1]), spec.prefixes)
}

# host:path, user@host:path, host::module, scheme://…: a colon with no slash before it.
remote(arg) if {
	i := indexof(arg, ":")
	i > 0
	not contains(substring(arg, 0, i), "/")
}

# pod:path or namespace/pod:path (kubectl cp).
pod_path(arg) if {
	i := indexof(arg, ":")
	i > 0
	count(split(substring(arg, 0, i), "/")) <= 2
}

# The call talks to some host other than this one.
default remote_url := false

remote_url if {
	some u in lib.urls
	not u.host in conf.local_hosts
}

# Files named by an HTTP client's upload options: -T file, -F name=@file, -d @file,
# --post-file=file, and HTTPie's @file and field@file items.
uploaded_files(c, flags) := ({f |
	some k
	arg := c.args[k]
	some f in option_files(arg, c.args[k + 1], flags)
} | {f |
	some k
	arg := c.args[k]
	some f in inline_files(arg, flags)
}) | {f |
	has_role(c, "httpie")
	some arg in lib.operands(c)
	contains(arg, "@")
	f := httpie_file(arg)
}

option_files(arg, value, flags) := {value} if {
	arg in flags.file_flags
} else := {form_file(value)} if {
	arg in flags.form_flags
	form_file(value)
} else := {substring(value, 1, -1)} if {
	arg in flags.data_flags
	startswith(value, "@")
}

inline_files(arg, flags) := {value} if {
	startswith(arg, "--")
	parts := split(arg, "=")
	parts[0] in flags.file_flags
	value := substring(arg, count(parts[0]) + 1, -1)
}

# name=@file;type=x or name=<file: the file.
form_file(value) := trim_space(split(split(value, "@")[1], ";")[0]) if {
	contains(value, "=@")
} else := trim_space(split(split(value, "<")[1], ";")[0]) if {
	contains(value, "=<")
}

httpie_file(arg) := substring(arg, 1, -1) if {
	startswith(arg, "@")
} else := split(arg, "@")[1] if {
	not contains(arg, "://")
	not contains(arg, "==")
	regex.match(`^[A-Za-z0-9_-]+@[^@]+$`, arg)
}

# What a sent file is: weights, the agent's own files, or something else.
kind(source) := "weights" if {
	weights(source)
} else := "agent_code" if {
	agent_file(source)
} else := "outbound_transfer"

weights(source) if lib.path_in(lower(source), conf.weight_paths)

weights(source) if lib.path_in(concat("", ["/", lower(source), "/"]), conf.weight_paths)

agent_file(source) if lib.path_in(source, conf.agent_paths)

agent_file(source) if lib.path_in(concat("", ["/", lower(source)]), conf.agent_paths)

# METADATA
# title: an upload to a model hub (hf upload, ollama push, kaggle models create)
found contains lib.finding(rule("hub_upload"), category, msg) if {
	some shown in hub_runs
	msg := concat(" ", [lib.quoted(shown), conf.messages.hub_upload])
}

hub_runs contains array.concat([c.program], seq) if {
	count(program_hits) > 0
	some c in lib.commands
	some seq in lib.ran(c, program_hits[c.program].hub)
}

# METADATA
# title: git push to a model hub remote
found contains lib.finding(rule("hub_upload"), category, msg) if {
	"git" in lib.programs
	hub_remote
	some c in lib.commands
	c.program == "git"
	"push" in lib.operands(c)
	msg := concat(" ", ["`git push`", conf.messages.hub_upload])
}

default hub_remote := false

hub_remote if {
	some u in lib.urls
	u.host in conf.hub_hosts
}

# METADATA
# title: an HTTP request to a model hub's upload or commit API
found contains lib.finding(rule("hub_upload"), category, msg) if {
	some u in lib.urls
	u.host in conf.hub_hosts
	u.method in {"POST", "PUT", ""}
	some part in conf.hub_api_parts
	contains(u.path, part)
	msg := concat(" ", [u.text, conf.messages.hub_upload])
}

# METADATA
# title: code pushes to a model hub (push_to_hub, HfApi.upload_folder) or uploads files
found contains lib.finding(rule(hit[1]), category, msg) if {
	some hit in code_hits
	msg := concat("", ["code calls ", hit[0], ", which ", conf.messages[hit[1]]])
}

code_hits contains [call, "hub_upload"] if {
	count(lib.code_calls) > 0
	code := input.action.code
	some call in code.calls
	module := conf.hub_calls[last_name(call)]
	lib.imports_module(code, module)
}

code_hits contains [call, "outbound_transfer"] if {
	count(lib.code_calls) > 0
	code := input.action.code
	some call in code.calls
	module := conf.upload_calls[last_name(call)]
	lib.imports_module(code, module)
}

last_name(call) := parts[count(parts) - 1] if parts := split(call, ".")

# METADATA
# title: an archive of the working directory, the agent's files or weights, and a network sender in one call
found contains lib.finding(rule(kind(source)), category, msg) if {
	network_sender
	some source in archived
	kind(source) != "outbound_transfer"
	msg := concat(" ", ["archives", source, "and sends it:", conf.messages[kind(source)]])
}

archived contains source if {
	count(program_hits) > 0
	some c in lib.commands
	modes := program_hits[c.program].archive
	ws := lib.words(c)
	creates(ws, modes)
	some source in ws
	not startswith(source, "-")
}

creates(_, modes) if count(modes) == 0

creates(ws, modes) if {
	some w in ws
	w in modes
}

# tar czf, tar -czf: the mode letter in the first word.
creates(ws, modes) if {
	not startswith(ws[0], "--")
	first := trim_left(ws[0], "-")
	some mode in modes
	count(mode) == 1
	contains(first, mode)
}

# METADATA
# title: model weights read in a call with a socket or shell session (cat w.safetensors | ssh host 'cat > w')
found contains lib.finding(rule("weights"), category, msg) if {
	stream_sender
	some access in input.action.paths
	access.op == "read"
	weights(access.path)
	not reported(access.path)
	msg := concat(" ", ["reads", access.path, "where a network session can carry it:", conf.messages.weights])
}

reported(path) if {
	some [_, source] in sent
	source == path
}

default network_sender := false

network_sender if count(sent) > 0

network_sender if stream_sender

default stream_sender := false

stream_sender if {
	some entry in program_hits
	"stream_sender" in entry.roles
}

# METADATA
# title: a DNS query whose name is built from command output (data smuggled in DNS)
found contains lib.finding(rule("outbound_transfer"), category, msg) if {
	some c in roled
	has_role(c, "dns_client")
	some name in lib.operands(c)
	dynamic(name)
	msg := concat(" ", [lib.quoted([c.program]), "encodes command output into a DNS name"])
}

dynamic(name) if contains(name, "$(")

dynamic(name) if contains(name, "`")

# METADATA
# title: a structured tool whose name says it uploads or exports a model
named contains lib.finding(rule("weights"), category, msg) if {
	lib.tool_matches(conf.tool_words)
	msg := concat(" ", ["tool", input.tool_call.name, "would send model weights off the host"])
}
