"""Python source to `CodeFacts`: imports and dotted call chains, read with `ast`.

Names are resolved through imports and simple assignments, so `import subprocess as sp;
sp.run(…)` is `subprocess.run` and `ec2 = boto3.client("ec2"); ec2.run_instances()` is
`ec2.run_instances`. Strings handed to a shell (`os.system`, `subprocess.run`) are parsed as
shell commands, strings handed to `exec`/`eval` as Python, and literal URLs given to HTTP
calls become URL facts. Code that does not parse still yields the URLs written in it.
"""

from __future__ import annotations

import ast
import base64
import binascii
import re
import warnings
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from gateway.firewall.normalize import limits, pyfiles
from gateway.firewall.normalize.facts import DYNAMIC_IMPORT, MAX_DEPTH
from gateway.firewall.normalize.urls import HTTP_METHODS, has_scheme, parse_url, target
from gateway.firewall.normalize.words import BASE64, Word

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

# fmt: off
_SHELL_SINKS = frozenset({
    "os.system", "os.popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
    "subprocess.check_output", "subprocess.Popen", "subprocess.getoutput",
    "subprocess.getstatusoutput", "commands.getoutput", "commands.getstatusoutput",
    "asyncio.create_subprocess_shell", "pty.spawn", "os.posix_spawn", "os.posix_spawnp",
    "os.execv", "os.execve", "os.execvp", "os.execvpe"
})
# fmt: on
# fmt: off
_ARGV_SINKS = frozenset({
    "asyncio.create_subprocess_exec", "os.execl", "os.execle", "os.execlp", "os.execlpe"
})
# fmt: on
_SOCKET_CALLS = frozenset({"socket.create_connection", "asyncio.open_connection"})
_EVAL_SINKS = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval"})
_HTTP_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request",
                         "urlopen", "Request", "urlretrieve", "fetch", "stream"})  # fmt: skip
# Where a client will connect: `OpenAI(base_url=…)`, `boto3.client("s3", endpoint_url=…)`,
# `openai.base_url = …`.
_ENDPOINT_NAMES = frozenset({"base_url", "api_base", "openai_api_base", "azure_endpoint",
                             "endpoint_url"})  # fmt: skip
_URL_IN_TEXT = re.compile(r"""https?://[^\s'"<>)\]}]+""")
_MAX_STRING_PARTS = 64  # `"a" + "b" + …` deeper than this is not a literal we follow
_MAGIC_SHELL = re.compile(r"^[ \t]*!(.*)$", re.M)


def _decoded(node: ast.expr) -> str | None:
    """`base64.b64decode("…")` (optionally `.decode()`) with a literal argument, decoded."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "decode"
        and not node.args
    ):
        node = node.func.value
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("b64decode", "decodebytes", "standard_b64decode")
        and node.args
    ):
        return None
    arg = node.args[0]
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str | bytes)):
        return None
    try:
        return base64.b64decode(arg.value).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


class _Reader:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.names: dict[str, str] = {}  # local name → what it refers to, dotted
        self.strings: dict[str, Word] = {}  # local name → literal string value

    def imported(self, module: str) -> None:
        self.ctx.facts.code("python", [module], [])

    def dotted(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        for _ in range(limits.MAX_TREE_DEPTH):
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Name):
                parts.append(self.names.get(node.id, node.id))
                break
            elif isinstance(node, ast.Call):
                func = node.func
                service = self.value(node.args[0]) if node.args else None
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("client", "resource")
                    and (service is not None and service.static)
                ):  # boto3.client("ec2").run_instances → ec2.run_instances
                    parts.append(service.text)
                    break
                node = func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return None
        return ".".join(reversed(parts)) if parts else None

    def value(self, node: ast.expr, depth: int = 0) -> Word | None:
        """A string expression's value; unknown parts of an f-string become `${X}`."""
        if depth > _MAX_STRING_PARTS:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return Word(node.value)
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = [
                self.value(v.value if isinstance(v, ast.FormattedValue) else v, depth + 1)
                for v in node.values
            ]
            text = "".join(p.text if p is not None else "${X}" for p in parts)
            return Word(text, static=all(p is not None and p.static for p in parts))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            if left is not None and right is not None:
                return Word(left.text + right.text, left.static and right.static)
        decoded = _decoded(node)
        return Word(decoded, origin=BASE64) if decoded is not None else None

    def read(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > limits.MAX_TREE_DEPTH:
                self.ctx.facts.flag(MAX_DEPTH)
                continue
            if not self.ctx.facts.step():
                return
            self.visit(node)
            children = list(ast.iter_child_nodes(node))
            stack.extend((child, depth + 1) for child in reversed(children))

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported(alias.name)
                if alias.asname:
                    self.names[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            self.imported(module)
            for alias in node.names:
                self.names[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            self.bind(node.targets[0], node.value)
            self.configured(node.targets[0], node.value)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self.bind(node.optional_vars, node.context_expr)
        elif isinstance(node, ast.Call):
            self.call(node)

    def bind(self, target: ast.expr, value: ast.expr) -> None:
        if not isinstance(target, ast.Name):
            return
        text = self.value(value)
        path = pyfiles.path_of(self, value) if text is None else None
        if text is not None:
            self.strings[target.id] = text
        elif path is not None:  # `p = Path.home() / ".ssh"`: later `p.read_text()` reads it
            self.strings[target.id] = Word(path)
        elif isinstance(value, ast.Call | ast.Attribute | ast.Name):
            name = self.dotted(value)
            if name is not None:
                self.names[target.id] = name

    def call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        if name is None:  # `(Path.home() / "x").read_text()` has no dotted name
            pyfiles.record(self, "", node)
            return
        self.ctx.facts.code("python", [], [name])
        for keyword in node.keywords:
            if keyword.arg in _ENDPOINT_NAMES:
                self.endpoint(keyword.value)
        args = node.args
        if name in ("__import__", "importlib.import_module") and args:
            module = self.value(args[0])
            self.ctx.facts.flag(DYNAMIC_IMPORT)
            if module is not None and module.static:
                self.imported(module.text)
        elif name in _SHELL_SINKS and args:
            self.command(args[-1] if name.startswith("os.exec") else args[0])
        elif name in _ARGV_SINKS and args:
            words = [self.value(a) for a in args[1 if name.startswith("os.exec") else 0 :]]
            known = [w for w in words if w is not None]
            if known:
                self.ctx.argv(known, " ".join(w.text for w in known))
        elif name in _EVAL_SINKS and args:
            text = self.value(args[0])
            if text is not None:
                self.ctx.payload(text, "python", evaluated=True)
        elif name.rpartition(".")[2] in _HTTP_CALLS:
            self.http(name.rpartition(".")[2], node)
        elif name in _SOCKET_CALLS or (name.startswith("socket.") and name.endswith(".connect")):
            self.socket(node)
        else:
            pyfiles.record(self, name, node)

    def command(self, arg: ast.expr) -> None:
        if isinstance(arg, ast.List | ast.Tuple):
            words = [self.value(e) for e in arg.elts]
            known = [w for w in words if w is not None]
            if known:
                self.ctx.argv(known, " ".join(w.text for w in known))
            return
        text = self.value(arg)
        if text is not None:
            self.ctx.payload(text, "shell")

    def http(self, verb: str, node: ast.Call) -> None:
        args = [self.value(a) for a in node.args[:2]]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        method = verb.upper() if verb.upper() in HTTP_METHODS else "GET"
        target = args[0] if args else None
        first = args[0] if args else None
        if verb in ("request", "stream", "fetch") and first and first.text.upper() in HTTP_METHODS:
            method = first.text.upper()
            target = args[1] if len(args) > 1 else None
        if "url" in keywords:
            target = self.value(keywords["url"])
        if "method" in keywords:
            given = self.value(keywords["method"])
            method = given.text.upper() if given is not None else method
        if verb in ("urlopen", "Request", "urlretrieve") and ("data" in keywords or len(args) > 1):
            method = "POST" if verb != "urlretrieve" else method
        if target is not None and target.static:
            url = parse_url(target.text, method, default_scheme="")
            if url is not None and url.scheme:
                form = [self.form(keywords[k]) for k in ("params", "data") if k in keywords]
                query = [url.query, *(f for f in form if f)]
                url.query = "&".join(q for q in query if q)
                self.ctx.facts.url(url)

    def form(self, node: ast.expr) -> str:
        """`{"Action": "RunInstances"}` given as params or form data, url-encoded."""
        if not isinstance(node, ast.Dict):
            return ""
        fields = []
        for key, value in zip(node.keys[:_MAX_STRING_PARTS], node.values, strict=False):
            name = self.value(key) if key is not None else None
            text = self.value(value) if not isinstance(value, ast.Constant) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, int | float | str):
                text = Word(str(value.value))
            if name is not None and text is not None:
                fields.append(urlencode({name.text: text.text}))
        return "&".join(fields)

    def socket(self, node: ast.Call) -> None:
        """`socket.create_connection(("10.0.0.1", 4444))`, `s.connect((host, port))`."""
        address = node.args[0] if node.args else None
        if not isinstance(address, ast.Tuple) or len(address.elts) != 2:
            return
        host = self.value(address.elts[0])
        port = address.elts[1]
        number = port.value if isinstance(port, ast.Constant) else None
        if host is None or not host.static:
            return
        url = target(host.text, "tcp", number if isinstance(number, int) else None)
        if url is not None:
            self.ctx.facts.url(url)

    def configured(self, target_node: ast.expr, value: ast.expr) -> None:
        """`os.environ["OPENAI_BASE_URL"] = …`, `openai.base_url = …`: where code will connect."""
        if isinstance(target_node, ast.Subscript):
            sets_endpoint = self.dotted(target_node.value) == "os.environ"
        else:
            sets_endpoint = (
                isinstance(target_node, ast.Attribute) and target_node.attr in _ENDPOINT_NAMES
            )
        if sets_endpoint:
            self.endpoint(value)

    def endpoint(self, value: ast.expr) -> None:
        text = self.value(value)
        if text is not None and text.static and has_scheme(text.text):
            url = parse_url(text.text, method="")
            if url is not None:
                self.ctx.facts.url(url)


def _shell_magics(ctx: Context, source: str) -> str:
    """Notebook `!cmd` lines run in a shell; they are analysed as such and blanked for `ast`."""
    if "!" not in source:
        return source
    for match in _MAGIC_SHELL.finditer(source):
        ctx.payload(Word(match.group(1)), "shell")
    return _MAGIC_SHELL.sub("", source)


def analyze_python(ctx: Context, source: str, *, declared: bool = True) -> None:
    """Record the facts of Python `source`; an undeclared guess that does not parse adds no code."""
    source = ctx.facts.take_text(source)
    source = _shell_magics(ctx, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the model's code are its business
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        if declared:
            ctx.facts.code("python", [], [])
        urls_in_text(ctx, source)
        return
    ctx.facts.code("python", [], [])
    _Reader(ctx).read(tree)


def urls_in_text(ctx: Context, text: str) -> None:
    """Literal http(s) URLs in code that could not be read structurally; the method is unknown."""
    for match in _URL_IN_TEXT.finditer(text):
        url = parse_url(match.group().rstrip(".,;:"), method="")
        if url is not None:
            ctx.facts.url(url)
