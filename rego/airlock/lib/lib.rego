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
#   - no min, max or sort of numbers: rego-cpp compares them as text (min({2, 10}) is
#     10) and sort of a set returns a set, so xs[0] tests membership; the smallest
#     index is the first of an array comprehension over an array, which walks in order;
#   - regex.replace refers to groups as "$1" (rego-cpp does not read "${1}"); no set()
#     (the gateway refuses it as an unknown builtin: an empty set is {x | some x in []});
#   - no local variable named like a function of the package (rego-cpp calls the
#     function: `{program: e | some program …}` broke lib.program there);
#   - no rule head that indexes a call's result (`f(x) := g(x)[0] if …` does not parse);
#   - loops run over the few facts and test membership in data, not the other way
#     round, and nothing searches combinations: rego-cpp neither memoizes calls nor
#     cuts a failing search short, so cost grows with every nested loop;
#   - rego-cpp evaluates a body's statements in the order their variables allow, not
#     as written: a costly call that needs only the rule's inputs runs even when a
#     test written before it fails. Such calls go into a function of their own that
#     the test's result feeds, or after a loop that the test narrows;
#   - a boolean rule read more than once has `default … := false`: rego-cpp caches a
#     rule's value, but evaluates an undefined rule again at every reference;
#   - data tables keyed by program are narrowed with object.filter(table, programs)
#     once per query: a loop over a data list costs microseconds per element, and a
#     lookup in a data object scans it.
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
