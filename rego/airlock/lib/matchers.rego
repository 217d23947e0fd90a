# Tool-name, code and URL facts matched against data entries.
package airlock.lib

# Words of a tool name, lowercased, plus adjacent pairs joined by "_", so that
# "sendMoney", "send_money" and "add_payment_method" all meet the data lists.
name_tokens(name) := {t | some t in singles} | {t | some t in pairs} if {
	singles := [lower(w) | some w in regex.find_n(`[A-Z]+[a-z0-9]*|[a-z0-9]+`, name, -1)]
	pairs := [concat("_", [w, next]) |
		some i
		w := singles[i]
		next := singles[i + 1]
	]
}

# The tool name has a verb and an object from `vocabulary` ({"verbs", "objects"}).
name_matches(name, vocabulary) if {
	tokens := name_tokens(name)
	some verb in tokens
	verb in vocabulary.verbs
	some thing in tokens
	thing in vocabulary.objects
}

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

# A URL data entry ({"host": regex, "methods": [...], "path": regex, "query"?: regex,
# "ignore_case"?: bool}) matches a URL fact. An empty regex matches anything; a fact
# without a method matches every method, so a half-parsed request is not waved through.
url_matches(url, entry) if {
	regex.match(entry.host, host(url))
	method_matches(url, entry.methods)
	regex.match(entry.path, url_path(url, entry))
	regex.match(object.get(entry, "query", ""), text(url, "query"))
}

# An entry marked ignore_case holds a lowercase regex for the lowercased path.
url_path(url, entry) := lower(text(url, "path")) if {
	object.get(entry, "ignore_case", false) == true
} else := text(url, "path")

method_matches(url, methods) if upper(text(url, "method")) in methods

method_matches(url, _) if text(url, "method") == ""

# Host lowercased, without a trailing dot or a ":port" (IPv6 literals keep their colons).
host(url) := split_port(trim_suffix(lower(text(url, "host")), "."))

split_port(h) := split(h, ":")[0] if {
	regex.match(`^[^:]+:[0-9]+$`, h)
} else := h

url_text(url) := concat("", [upper(text(url, "method")), " ", host(url), text(url, "path")])
