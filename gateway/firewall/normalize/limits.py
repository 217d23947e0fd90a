"""Bounds on the work normalization may do for one tool call.

Every loop and every recursion in this package is bounded by one of these, so that no
argument, however large or deeply nested, can make the firewall slow or make it raise.
"""

from __future__ import annotations

MAX_TEXT = 256 * 1024
"""Characters examined per tool call, summed over every string and decoded payload."""

MAX_SCRIPT = 64 * 1024
"""Characters of one shell script given to the parser (tree-sitter takes ~0.7 µs a byte)."""

MAX_PAYLOAD_DEPTH = 8
"""Nested interpreters followed: `sh -c` inside `ssh` inside `eval` inside base64, …"""

MAX_TREE_DEPTH = 200
"""Syntax-tree depth walked in one shell or Python parse (`$($($(…)))`)."""

MAX_JSON_DEPTH = 64
"""Nesting of tool-call arguments; deeper arguments are an `arguments_error`."""

MAX_JSON_NODES = 20_000
"""Values visited in the arguments of one tool call."""

MAX_STEPS = 5_000
"""Analysis steps per tool call (syntax nodes, argument values); bounds time on any input.
The busiest call in the shared corpus takes about 120."""

MAX_ARGV = 1024
"""Words of one argv-style argument list that are examined."""

MAX_FACTS = 512
"""Entries kept per fact list (commands, urls, paths, secrets, imports, calls)."""

MAX_WRAPPERS = 16
"""Wrapper commands stripped from one command (`sudo env timeout nice …`)."""

MAX_WRITTEN = 64
"""Files whose content the call writes are remembered, for scripts written and then run."""

MAX_RAW = 4096
"""Characters of a command's source text kept in `Command.raw`."""
