# Tool-name, code and URL facts matched against data entries.
package airlock.lib

# Words of a tool name, lowercased, plus adjacent pairs joined by "_", so that
# "sendMoney", "send_money" and "add_payment_method" all meet the data lists.
name_tokens(name) := tokens(name_words(name))

name_words(name) := [lower(w) | some w in regex.find_n(`[A-Z]+[a-z0-9]*|[a-z0-9]+`, name, -1)]

tokens(singles) := {t | some t in singles} | {concat("_", [w, singles[i + 1]]) | some i; w := singles[i]}

# The words and tokens of this call's tool name, read once per query (every category asks).
tool_words := name_words(text(input.tool_call, "name"))

tool_tokens := tokens(tool_words)

# A tool name made only of generic words (bash, run_command, str_replace_editor) names
# no action of its own, so the tool-name rules skip it without walking their lists; the
# commonest such names are looked up whole first (generic_tool_names). Data
# tests hold the vocabularies to words that generic ones cannot spell. (A boolean rule
# gets a default: rego-cpp caches a rule's value but evaluates an undefined rule anew
# at every reference.)
default named_tool := false

named_tool if {
	not data.airlock.lib.generic_tool_names[text(input.tool_call, "name")]
	count(object.filter(data.airlock.lib.generic_tool_words, tool_words)) < count({w | some w in tool_words})
}

# The tool name has a verb and an object from `vocabulary` ({"verbs", "objects"}).
tool_matches(vocabulary) if {
	named_tool
	has_token(vocabulary.verbs)
	has_token(vocabulary.objects)
}

# Written as its own function so that rego-cpp tries the objects only after a verb is
# found, not for every pair of tokens. (Joining the list and searching the text is
# slower on rego-cpp than `in`.) The list is joined once (one builtin) and each of
# the few tokens looked for in it, rather than the list walked element by element.
has_token(words) if {
	some t in tool_tokens
	t in words
}

# The code facts' calls, [] when there is no code: rules test this before walking their
# data lists (rego-cpp would walk a list that does not depend on the call first).
code_calls := input.action.code.calls if {
	is_array(input.action.code.calls)
} else := []

# A code-call data entry ({"call": regex, "import"?: module}) matches the code facts.
code_call_matches(code, entry, call) if {
	regex.match(entry.call, call)
	imports_module(code, object.get(entry, "import", ""))
}

imports_module(_, module) if module == ""

imports_module(code, module) if {
	some imported in code.imports
	imported == module
}

imports_module(code, module) if {
	some imported in code.imports
	startswith(imported, concat("", [module, "."]))
}

# Every URL fact, read once per query: method uppercased, host lowercased without a
# trailing dot or a ":port", path, query, scheme, and the text messages show.
urls := [url_view(url) | some url in input.action.urls]

url_view(url) := {
	"method": upper(text(url, "method")),
	"host": h,
	"path": p,
	"query": text(url, "query"),
	"scheme": lower(text(url, "scheme")),
	"text": trim_left(concat("", [upper(text(url, "method")), " ", h, p]), " "), # the method may be unknown
} if {
	h := host(url)
	p := text(url, "path")
}

# A URL data entry ({"host": regex, "methods": [...], "path": regex, "query"?: regex,
# "ignore_case"?: bool}) matches a URL view. An empty regex matches anything; a fact
# without a method matches every method, so a half-parsed request is not waved through.
url_matches(u, entry) if {
	regex.match(entry.host, u.host)
	method_matches(u.method, entry.methods)
	regex.match(entry.path, url_path(u, entry))
	regex.match(object.get(entry, "query", ""), u.query)
}

# An entry marked ignore_case holds a lowercase regex for the lowercased path.
url_path(u, entry) := lower(u.path) if {
	object.get(entry, "ignore_case", false) == true
} else := u.path

method_matches(method, methods) if method in methods

method_matches(method, _) if method == ""

# The URL views whose host matches one of the entries' host regexes: one regex per
# URL (the alternation of the table's hosts) instead of one per entry, because
# rego-cpp compiles a regex anew at every call.
hosts_in(entries) := [] if {
	count(urls) == 0
} else := [u |
	some u in urls
	regex.match(pattern, u.host)
] if {
	pattern := concat("|", [e.host | some e in entries])
}

# Host lowercased, without a trailing dot or a ":port" (IPv6 literals keep their colons).
host(url) := split_port(trim_suffix(lower(text(url, "host")), "."))

split_port(h) := split(h, ":")[0] if {
	regex.match(`^[^:]+:[0-9]+$`, h)
} else := h
