# METADATA
# title: Shared helpers
# description: |
#   Reasons and fact readers used by every category: this file builds reasons,
#   commands.rego reads command facts, matchers.rego matches tool names, code and URLs
#   against data. Written for both engines, OPA and the embedded rego-cpp (regopy), so
#   the package keeps to builtins both have and to constructs both read alike:
#   - no `some i, x in` inside comprehensions (rego-cpp does not parse it);
#   - indexes bound by `x := xs[i]` before use (rego-cpp does not enumerate an index
#     that first appears inside a call such as is_string(xs[i]));
#   - messages built with concat, never sprintf (see quoted);
#   - no (?i) in regexes (rego-cpp's regex has none: lowercase the subject instead);
#   - min/max only of sets known to be non-empty (rego-cpp does not make them undefined);
#   - loops run over the few facts and test membership in data, not the other way
#     round, and nothing searches combinations: rego-cpp neither memoizes calls nor
#     cuts a failing search short, so cost grows with every nested loop.
package airlock.lib

# The one shape of a reason; main.rego sorts and returns these unchanged.
finding(rule, category, message) := {"rule": rule, "category": category, "message": clean(message)}

# Messages echo model-chosen text (paths, hosts, tool names). Quotes, backslashes and
# line breaks are swapped for plain characters: they keep logs and the approver page
# on one line, and rego-cpp compares strings in their JSON-escaped form, so without
# them both engines order reasons the same way.
clean(m) := replace(replace(replace(replace(replace(m, "\\", "/"), "\"", "'"), "\n", " "), "\r", " "), "\t", " ")

# Words shown in backquotes in a message. rego-cpp's sprintf wraps strings made by
# other builtins in JSON quotes, hence concat.
quoted(ws) := concat("", ["`", concat(" ", ws), "`"])

# A string field of a fact, "" when absent or not a string.
text(obj, key) := obj[key] if {
	is_string(obj[key])
} else := ""
