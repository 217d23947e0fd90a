"""Where an analyser is (which argument, how deeply nested) and how it hands text onwards.

Shell, command and code analysers call each other through a `Context`, so that every
hand-off (`sh -c`, `eval`, `python -c`, `subprocess.run`, a heredoc fed to `bash`) is
counted against `limits.MAX_PAYLOAD_DEPTH` and records how the payload was obtained.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.firewall.normalize import code as code_reader
from gateway.firewall.normalize import commands as command_reader
from gateway.firewall.normalize import limits
from gateway.firewall.normalize import shell as shell_reader
from gateway.firewall.normalize.facts import EVAL, MAX_DEPTH, Facts
from gateway.firewall.normalize.secrets import secret_types
from gateway.firewall.normalize.words import ENCODINGS, REMOTE, Word

Scope = dict[str, Word]


@dataclass(slots=True)
class Context:
    facts: Facts
    location: str  # where in the arguments the text came from, e.g. "arguments.command"
    depth: int = 0

    def shell(self, text: str, scope: Scope | None = None) -> None:
        """Analyse `text` as a shell script."""
        shell_reader.run(self, text, scope)

    def python(self, text: str, *, declared: bool = True) -> None:
        """Analyse `text` as Python; `declared` is False when the language is only a guess."""
        code_reader.analyze_python(self, text, declared=declared)

    def argv(
        self, words: list[Word], raw: str, stdin: Word | None = None, scope: Scope | None = None
    ) -> Word | None:
        """Record one simple command and follow what it runs; returns its stdout if known."""
        return command_reader.run(self, words, raw, stdin, scope)

    def secrets(self, text: str) -> None:
        for kind in secret_types(text):
            self.facts.secret(kind, self.location)

    def payload(
        self, word: Word, interpreter: str, scope: Scope | None = None, *, evaluated: bool = False
    ) -> None:
        """Text one program hands to an interpreter ("shell" or "python") to run."""
        if evaluated:
            self.facts.flag(EVAL)
        if word.origin in ENCODINGS or word.origin == REMOTE:
            self.facts.flag(f"{word.origin}_to_{interpreter}")
        if not word.text.strip():
            return
        if self.depth >= limits.MAX_PAYLOAD_DEPTH:
            self.facts.flag(MAX_DEPTH)
            return
        inner = Context(self.facts, self.location, self.depth + 1)
        if word.origin in ENCODINGS:
            inner.secrets(word.text)
        if interpreter == "python":
            inner.python(word.text)
        else:
            inner.shell(word.text, scope)
