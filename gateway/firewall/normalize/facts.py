"""The mutable collector behind one `normalize()` call.

Facts are deduplicated and capped as they arrive; the text budget in `limits.MAX_TEXT` is
spent here so that every analyser shares one allowance per tool call.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.firewall.normalize import limits
from gateway.firewall.normalize.words import Word
from gateway.models import ActionFacts, CodeFacts, Command, PathAccess, PathOp, Secret, Url

# Tags that may appear in `ActionFacts.obfuscation`. Each says that part of what the call
# would do was hidden from a plain reading, or could not be examined at all.
BASE64_TO_SHELL = "base64_to_shell"  # base64-decoded text runs in a shell (also hex_, reversed_)
EVAL = "eval"  # a string is evaluated as code: shell `eval`, Python exec()/eval()
VARIABLE_PROGRAM = "variable_program"  # program name comes from a variable set in the script
SUBSTITUTED_PROGRAM = "substituted_program"  # program name is the output of $(…)
DYNAMIC_PROGRAM = "dynamic_program"  # program name cannot be known statically
ESCAPED_PROGRAM_NAME = "escaped_program_name"  # quotes or backslashes inside a program name
REMOTE_TO_SHELL = "remote_to_shell"  # downloaded content runs in an interpreter (also _python)
DYNAMIC_IMPORT = "dynamic_import"  # __import__ / importlib.import_module
NUL_BYTES = "nul_bytes"  # NUL characters were removed before analysis
TRUNCATED_INPUT = "truncated_input"  # part of the input was not examined (a size or step limit)
MAX_DEPTH = "max_depth"  # nesting beyond a limit in `limits` was not followed
FACT_LIMIT = "fact_limit"  # more facts than limits.MAX_FACTS; the rest were dropped
ANALYSIS_ERROR = "analysis_error"  # an analyser failed; the facts may be incomplete


class Facts:
    """Accumulates the facts of one tool call; `result()` freezes them into `ActionFacts`."""

    __slots__ = (
        "_budget",
        "_calls",
        "_commands",
        "_imports",
        "_language",
        "_obfuscation",
        "_paths",
        "_secrets",
        "_seen",
        "_steps",
        "_urls",
        "_written",
    )

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._urls: list[Url] = []
        self._paths: list[PathAccess] = []
        self._secrets: list[Secret] = []
        self._obfuscation: list[str] = []
        self._language: str | None = None
        self._imports: list[str] = []
        self._calls: list[str] = []
        self._seen: set[tuple[object, ...]] = set()
        self._budget = limits.MAX_TEXT
        self._steps = limits.MAX_STEPS
        self._written: dict[str, Word] = {}

    def take_text(self, text: str, limit: int = limits.MAX_TEXT) -> str:
        """Return the part of `text` the remaining budget allows, NUL bytes removed."""
        if "\x00" in text:
            text = text.replace("\x00", "")
            self.flag(NUL_BYTES)
        if len(text) > min(self._budget, limit):
            text = text[: min(self._budget, limit)]
            self.flag(TRUNCATED_INPUT)
        self._budget -= len(text)
        return text

    def out_of_steps(self) -> bool:
        """True, and the input is marked truncated, once the step budget is spent."""
        if self._steps > 0:
            return False
        self.flag(TRUNCATED_INPUT)
        return True

    def step(self) -> bool:
        """Spend one analysis step; False (and the input is marked truncated) once none remain."""
        if self._steps > 0:
            self._steps -= 1
            return True
        self.flag(TRUNCATED_INPUT)
        return False

    def remember(self, path: str, content: Word | None, *, append: bool = False) -> None:
        """What the call writes to `path` (None: unknown), so that a script it writes and then
        runs (`echo … > x.sh; sh x.sh`) is read as the commands it holds. Appending to a file
        not written before keeps what is appended: that much of the file is known."""
        before = self._written.pop(path, None)
        if content is None:
            if append and before is not None:
                self._written[path] = replace(before, static=False)
            return
        if append:
            content = Word(
                (before.text if before else "") + content.text,
                before is not None and before.static and content.static,
                (before.origin if before else "") or content.origin,
            )
        if len(self._written) < limits.MAX_WRITTEN and len(content.text) <= limits.MAX_SCRIPT:
            self._written[path] = content

    def recall(self, path: str) -> Word | None:
        """The content this call wrote to `path`, if known."""
        return self._written.get(path)

    def flag(self, tag: str) -> None:
        if tag not in self._obfuscation:
            self._obfuscation.append(tag)

    def _admit(self, key: tuple[object, ...], size: int) -> bool:
        if key in self._seen:
            return False
        if size >= limits.MAX_FACTS:
            self.flag(FACT_LIMIT)
            return False
        self._seen.add(key)
        return True

    def command(self, program: str, argv: list[str], raw: str) -> None:
        raw = raw[: limits.MAX_RAW]
        if self._admit(("c", program, tuple(argv), raw), len(self._commands)):
            self._commands.append(Command(program=program, argv=argv, raw=raw))

    def url(self, url: Url) -> None:
        key = ("u", url.method, url.scheme, url.host, url.path, url.query, url.port)
        if self._admit(key, len(self._urls)):
            self._urls.append(url)

    def path(self, path: str, op: PathOp) -> None:
        if path and self._admit(("p", path, op), len(self._paths)):
            self._paths.append(PathAccess(path=path, op=op))

    def secret(self, type_: str, at: str) -> None:
        if self._admit(("s", type_, at), len(self._secrets)):
            self._secrets.append(Secret(type=type_, at=at))

    def code(self, language: str, imports: list[str], calls: list[str]) -> None:
        """Merge the facts of one piece of code; the first language seen names the whole."""
        if self._language is None:
            self._language = language
        for name in imports:
            if self._admit(("i", name), len(self._imports)):
                self._imports.append(name)
        for name in calls:
            if self._admit(("k", name), len(self._calls)):
                self._calls.append(name)

    def result(self) -> ActionFacts:
        code = None
        if self._language is not None:
            code = CodeFacts(language=self._language, imports=self._imports, calls=self._calls)
        return ActionFacts(
            commands=self._commands,
            urls=self._urls,
            paths=self._paths,
            code=code,
            secrets=self._secrets,
            obfuscation=self._obfuscation,
        )
