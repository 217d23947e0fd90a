"""Shell scripts to commands, with tree-sitter-bash as the parser.

The walker follows data as well as syntax: a pipeline hands each command the previous
one's stdout (when it is statically known), heredocs and here-strings become stdin, and
literal variable assignments are remembered, so that `a=aws; $a …`, `cat <<EOF | sh` and
`echo … | base64 -d | sh` all reveal the commands they run. Text that is only ever an
argument (echo, comments, commit messages) is never parsed as a command.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from gateway.firewall.normalize import files, limits
from gateway.firewall.normalize.facts import MAX_DEPTH, TRUNCATED_INPUT
from gateway.firewall.normalize.words import (
    LITERAL,
    REMOTE,
    SUBSTITUTION,
    VARIABLE,
    Word,
    join,
    unquote_ansi_c,
    unquote_double,
    unquote_word,
)

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context, Scope

_local = threading.local()


@cache
def _language() -> Language:
    return Language(tree_sitter_bash.language())


def _parser() -> Parser:
    """One parser per thread: a tree-sitter parser must not be shared between threads."""
    parser: Parser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = Parser(_language())
        _local.parser = parser
    return parser


def run(ctx: Context, text: str, scope: Scope | None = None) -> None:
    """Record every command `text` would run, and the urls, paths and payloads they imply."""
    text = ctx.facts.take_text(text, limits.MAX_SCRIPT)
    if not text.strip():
        return
    source = text.encode("utf-8", "replace")
    tree = _parser().parse(source)
    _Walker(ctx, scope, source).statement(tree.root_node, None, 0)


def _output(node: Node, outs: list[Word | None]) -> Word | None:
    """What a group of commands writes: `(a; b)` and `a && b` write both outputs, in order
    (unknown parts make it non-static); in `which python3 || which python` the first known
    alternative stands for the others."""
    if node.type == "list" and all(c.type == "||" for c in node.children if not c.is_named):
        return next((out for out in outs if out is not None), None)
    if node.type not in ("list", "subshell", "compound_statement") or not outs:
        return None
    if all(out is None for out in outs):
        return None
    return join([out if out is not None else Word("", static=False) for out in outs])


def _plainly_quoted(raw: str) -> bool:
    return len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" and "\\" not in raw


def _literal_basename(name: Node) -> bool:
    """The program's basename is written out literally, whatever chose its directory."""
    last = name
    while last.child_count and last.type in ("command_name", "concatenation", "string"):
        named = [c for c in last.children if c.type != '"']
        if not named:
            return False
        last = named[-1]
    return last.type in ("word", "string_content", "raw_string") and "/" in _text(last)


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


class _Walker:
    def __init__(self, ctx: Context, scope: Scope | None, source: bytes) -> None:
        self.ctx = ctx
        self.scope: Scope = dict(scope) if scope else {}
        self.source = source

    def statement(self, node: Node, stdin: Word | None, depth: int) -> Word | None:
        """Walk one syntax node; returns its stdout when statically known."""
        if depth > limits.MAX_TREE_DEPTH:
            self.ctx.facts.flag(MAX_DEPTH)
            return None
        if not self.ctx.facts.step():
            return None
        kind = node.type
        if kind == "command":
            return self.command(node, node, stdin, depth)
        if kind == "pipeline":
            out = stdin
            for child in node.named_children:
                out = self.statement(child, out, depth + 1)
            return out
        if kind == "redirected_statement":
            return self.redirected(node, stdin, depth)
        if kind in ("variable_assignment", "variable_assignments"):
            # `NAME=value` alone sets the shell's variable, and the environment's when it is
            # already exported (`OPENAI_BASE_URL=…; python a.py`): it is the `declare` it equals.
            self.assignments(node, depth)
            words = [Word("declare"), *self.assigned(node)]
            if len(words) > 1:
                self.ctx.argv(words, _text(node), None, self.scope)
            return None
        if kind in ("declaration_command", "unset_command"):
            return self.builtin(node, depth)
        if kind in ("command_substitution", "process_substitution", "arithmetic_expansion"):
            return self.word(node, depth)
        if kind in ("comment", "heredoc_body", "word", "raw_string", "number"):
            return None
        first = kind in ("list", "negated_command")  # stdin reaches only the first element
        outs: list[Word | None] = []
        for child in node.named_children:
            if self.ctx.facts.out_of_steps():
                break
            outs.append(self.statement(child, stdin if first else None, depth + 1))
            first = False
        return _output(node, outs)

    def assignments(self, node: Node, depth: int) -> None:
        for child in node.named_children if node.type != "variable_assignment" else [node]:
            if child.type != "variable_assignment":
                self.statement(child, None, depth + 1)
                continue
            name = child.child_by_field_name("name")
            value = child.child_by_field_name("value")
            word = self.word(value, depth + 1) if value is not None else Word("")
            if name is not None:
                self.scope[_text(name)] = word

    def assigned(self, node: Node) -> list[Word]:
        """`NAME=value` words for the assignments in `node`, with the values just assigned."""
        words = []
        for child in node.named_children if node.type != "variable_assignment" else [node]:
            if child.type == "variable_assignment":
                name = child.child_by_field_name("name")
                key = _text(name) if name is not None else ""
                value = self.scope.get(key, Word(""))
                words.append(replace(value, text=f"{key}={value.text}"))
        return words

    def builtin(self, node: Node, depth: int) -> Word | None:
        """`export A=1`, `unset HISTFILE`: builtins the grammar does not call commands."""
        words = [Word(node.children[0].type if node.child_count else "")]
        for child in node.named_children:
            if child.type == "variable_assignment":
                self.assignments(child, depth)
                words.extend(self.assigned(child))
            else:
                word = self.word(child, depth + 1)
                if node.type == "unset_command":
                    self.scope.pop(word.text, None)
                words.append(word)
        return self.ctx.argv(words, _text(node), None, self.scope)

    def command(self, node: Node, whole: Node, stdin: Word | None, depth: int) -> Word | None:
        words: list[Word] = []
        for child in node.named_children:
            if child.type == "variable_assignment":  # `FOO=bar cmd` is `env FOO=bar cmd`
                key = child.child_by_field_name("name")
                value = child.child_by_field_name("value")
                word = self.word(value, depth + 1) if value is not None else Word("")
                key_text = _text(key) if key is not None else ""
                words.append(replace(word, text=f"{key_text}={word.text}"))
        name = node.child_by_field_name("name")
        if words and name is not None:
            words.insert(0, Word("env"))
        elif words:
            words = []
        if name is not None:
            head = join([self.word(part, depth + 1) for part in name.children] or [Word("")])
            if name.child_count == 1 and _plainly_quoted(_text(name)):
                head = replace(head, escaped=False)  # `"python3"` hides nothing
            if head.static and _literal_basename(name):
                head = replace(head, origin=LITERAL)  # `"$DIR/bin/python3"` names python3
            words.append(head)
        for argument in node.children_by_field_name("argument"):
            if len(words) >= limits.MAX_ARGV:
                self.ctx.facts.flag(TRUNCATED_INPUT)
                break
            words.append(self.word(argument, depth + 1))
        continuations: list[Node] = []
        writes: list[tuple[str, bool]] = []
        for redirect in node.children_by_field_name("redirect"):
            if redirect.type == "heredoc_redirect":
                stdin = self.heredoc(redirect, depth, continuations)
            else:
                stdin = self.redirect(redirect, depth, writes) or stdin
        out = self.ctx.argv(words, _text(whole), stdin, self.scope) if words else None
        return self.follow(self.wrote(out, writes), continuations, depth)

    def redirected(self, node: Node, stdin: Word | None, depth: int) -> Word | None:
        body = node.child_by_field_name("body")
        continuations: list[Node] = []
        writes: list[tuple[str, bool]] = []
        for redirect in node.children_by_field_name("redirect"):
            if redirect.type == "heredoc_redirect":
                stdin = self.heredoc(redirect, depth, continuations)
            else:
                stdin = self.redirect(redirect, depth, writes) or stdin
        out: Word | None = None
        if body is not None:
            if body.type == "command":
                out = self.command(body, node, stdin, depth + 1)
            else:
                out = self.statement(body, stdin, depth + 1)
        return self.follow(self.wrote(out, writes), continuations, depth)

    def wrote(self, out: Word | None, writes: list[tuple[str, bool]]) -> Word | None:
        """Remember what went into redirected files; what is redirected reaches no pipe."""
        for path, append in writes:
            self.ctx.facts.remember(path, out, append=append)
        return None if writes else out

    def follow(self, out: Word | None, continuations: list[Node], depth: int) -> Word | None:
        """tree-sitter-bash hangs what follows `<<EOF` on its line (`| sh`, `&& ls`, `> f`)
        inside the heredoc node; a leading pipe receives the output of the heredoc's command."""
        for extra in continuations:
            if extra.type in ("file_redirect", "herestring_redirect"):
                self.redirect(extra, depth)
            else:
                out = self.statement(extra, out if extra.type == "pipeline" else None, depth + 1)
        return out

    def heredoc(self, node: Node, depth: int, continuations: list[Node]) -> Word:
        body = ""
        quoted = False
        static = True
        strip_tabs = False
        for child in node.children:
            kind = child.type
            if kind == "<<-":
                strip_tabs = True
            elif kind == "heredoc_start":
                quoted = any(c in _text(child) for c in "'\"\\")
            elif kind == "heredoc_body":
                body = _text(child)
                if not quoted:
                    for part in child.named_children:
                        if part.type != "heredoc_content":
                            static = False
                            self.statement(part, None, depth + 1)
            elif child.is_named and kind != "heredoc_end":
                continuations.append(child)
        if strip_tabs:
            body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
        return Word(body, static=static)

    def redirect(
        self, node: Node, depth: int, writes: list[tuple[str, bool]] | None = None
    ) -> Word | None:
        """Record the file a redirection touches; returns the stdin it supplies, if any.
        Files that receive stdout are added to `writes` as (path, appended)."""
        if node.type == "herestring_redirect":
            parts = [self.word(c, depth + 1) for c in node.named_children]
            word = join(parts) if parts else Word("")
            return replace(word, text=word.text + "\n")
        if node.type != "file_redirect":
            self.statement(node, None, depth + 1)
            return None
        destination = node.child_by_field_name("destination")
        if destination is None:
            return None
        # Read the operator from the source: the grammar splits `<>` into `<` and an error.
        head = self.source[node.start_byte : destination.start_byte].decode("utf-8", "replace")
        operator = head.strip().lstrip("0123456789")
        descriptor = head.strip()[: len(head.strip()) - len(operator)]
        if destination.type == "number" and "&" in operator:
            return None
        target = self.word(destination, depth + 1)
        files.redirect(self.ctx, target.text, operator)
        path = files.normalize_path(target.text)
        named = target.static or path.startswith("~/")  # `$HOME/x` is a known place
        stdout = descriptor in ("", "1") and ">" in operator and "<" not in operator
        if stdout and named and writes is not None:
            writes.append((path, ">>" in operator))
        if "<" not in operator:
            return None
        known = self.ctx.facts.recall(path) if named else None
        return known or Word("", static=False, origin=target.origin)

    def word(self, node: Node, depth: int) -> Word:
        """The value of one shell word; substitutions inside it are walked as commands."""
        if depth > limits.MAX_TREE_DEPTH:
            self.ctx.facts.flag(MAX_DEPTH)
            return Word(_text(node), static=False)
        if not self.ctx.facts.step():
            return Word(_text(node), static=False)
        kind = node.type
        if kind == "word":
            raw = _text(node)
            return Word(unquote_word(raw), escaped="\\" in raw)
        if kind == "raw_string":
            return Word(_text(node)[1:-1], escaped=True)
        if kind == "ansi_c_string":
            return Word(unquote_ansi_c(_text(node)), escaped=True)
        if kind in ("string", "translated_string"):
            return replace(self.string(node, depth), escaped=True)
        if kind == "concatenation":
            return join([self.word(child, depth + 1) for child in node.children])
        if kind in ("simple_expansion", "expansion"):
            return self.expansion(node, depth)
        if kind == "command_substitution":
            out = None
            for child in node.named_children:
                out = self.statement(child, None, depth + 1)
            if out is not None and out.static:
                return Word(out.text.rstrip("\n"), origin=out.origin or SUBSTITUTION)
            origin = REMOTE if out is not None and out.origin == REMOTE else SUBSTITUTION
            return Word(_text(node), static=False, origin=origin)
        if kind == "process_substitution":
            outs = [self.statement(child, None, depth + 1) for child in node.named_children]
            remote = any(out is not None and out.origin == REMOTE for out in outs)
            return Word(_text(node), static=False, origin=REMOTE if remote else SUBSTITUTION)
        for child in node.named_children:
            self.statement(child, None, depth + 1)
        return Word(_text(node), static=node.named_child_count == 0)

    def string(self, node: Node, depth: int) -> Word:
        """A double-quoted string; the grammar leaves some literal text (`" "`) out of its
        children, so the gaps between them are read from the source."""
        parts: list[Word] = []
        position = node.start_byte + (2 if node.type == "translated_string" else 1)
        end = node.end_byte - 1
        for child in node.named_children:
            if child.start_byte > position:
                parts.append(self.literal(position, child.start_byte))
            if child.type == "string_content":
                parts.append(Word(unquote_double(_text(child))))
            else:
                parts.append(self.word(child, depth + 1))
            position = max(position, child.end_byte)
        if end > position:
            parts.append(self.literal(position, end))
        return join(parts) if parts else Word("")

    def literal(self, start: int, end: int) -> Word:
        return Word(unquote_double(self.source[start:end].decode("utf-8", "replace")))

    def expansion(self, node: Node, depth: int) -> Word:
        names = [c for c in node.named_children if c.type == "variable_name"]
        plain = len(names) == 1 and node.child_count == (
            2 if node.type == "simple_expansion" else 3
        )
        if plain:
            known = self.scope.get(_text(names[0]))
            if known is not None:
                return Word(known.text, known.static, known.origin or VARIABLE)
        else:
            for child in node.named_children:
                if child.type != "variable_name":
                    self.statement(child, None, depth + 1)
        return Word(_text(node), static=False, origin=VARIABLE)
