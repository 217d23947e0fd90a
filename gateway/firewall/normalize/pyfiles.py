"""Files Python code reads, writes or deletes: `open()`, `pathlib`, `os`, `shutil`, archives.

Paths are followed through the usual ways of spelling them, so that
`(Path.home() / ".ssh" / "id_rsa").read_text()` reads `~/.ssh/id_rsa` and
`shutil.copy(os.path.expanduser("~/.aws/credentials"), "/tmp/c")` reads one file and writes
another. Only paths whose every part is a literal (or a name bound to one) are facts.
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING, Protocol

from gateway.firewall.normalize import files
from gateway.firewall.normalize.words import Word
from gateway.models import PathOp

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_MAX_PARTS = 32  # `a / b / c / …` deeper than this is not followed

# Calls that return the path they are given, or a spelling of it.
_SAME = frozenset({"pathlib.Path", "Path", "pathlib.PurePath", "pathlib.PosixPath",
                   "os.path.expanduser", "os.path.abspath", "os.path.realpath",
                   "os.path.normpath", "os.path.expandvars", "os.fspath", "str"})  # fmt: skip
_HOME = frozenset({"pathlib.Path.home", "Path.home"})
_SAME_METHODS = frozenset({"expanduser", "resolve", "absolute", "as_posix"})

_MOVES = ("shutil.move", "os.rename", "os.replace", "os.renames")  # the source is also deleted
# Module functions: what each does to its first and (if any) second path argument.
_FUNCTIONS: dict[str, tuple[PathOp, ...]] = {
    **dict.fromkeys(("os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree"),
                    ("delete",)),
    **dict.fromkeys(("os.chmod", "os.chown", "os.lchown", "os.mkdir", "os.makedirs",
                     "os.truncate", "os.utime", "os.mkfifo"), ("write",)),
    **dict.fromkeys(("shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
                     "os.link", "os.symlink"), ("read", "write")),
    **dict.fromkeys(_MOVES, ("read", "write")),
}  # fmt: skip
# Methods of a path object.
_METHODS: dict[str, PathOp] = {
    **dict.fromkeys(("read_text", "read_bytes"), "read"),
    **dict.fromkeys(("write_text", "write_bytes", "touch", "mkdir", "chmod", "symlink_to",
                     "hardlink_to"), "write"),
    **dict.fromkeys(("unlink", "rmdir"), "delete"),
}  # fmt: skip
_ARCHIVES = frozenset({"tarfile.open", "zipfile.ZipFile", "tarfile.TarFile", "gzip.open",
                       "bz2.open", "lzma.open", "io.open", "codecs.open"})  # fmt: skip


class Reader(Protocol):
    ctx: Context
    strings: dict[str, Word]

    def value(self, node: ast.expr, depth: int = 0) -> Word | None: ...

    def dotted(self, node: ast.expr) -> str | None: ...


def path_of(reader: Reader, node: ast.expr, depth: int = 0) -> str | None:
    """The literal path an expression spells, or None."""
    if depth > _MAX_PARTS:
        return None
    word = reader.value(node)
    if word is not None:
        return word.text if word.static else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = path_of(reader, node.left, depth + 1), path_of(reader, node.right, depth + 1)
        return posixpath.join(left, right) if left is not None and right is not None else None
    if not isinstance(node, ast.Call):
        return None
    name = reader.dotted(node.func) or ""
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name in _HOME:
        return "~"
    if name in _SAME and node.args:
        return path_of(reader, node.args[0], depth + 1)
    parts: list[ast.expr] | None = None
    if name in ("os.path.join", "posixpath.join"):
        parts = list(node.args)
    elif method == "joinpath" and isinstance(node.func, ast.Attribute):
        parts = [node.func.value, *node.args]
    if parts is not None:
        found = [path_of(reader, part, depth + 1) for part in parts[:_MAX_PARTS]]
        known = [p for p in found if p is not None]
        return posixpath.join(*known) if known and len(known) == len(found) else None
    if method in _SAME_METHODS and isinstance(node.func, ast.Attribute):
        return path_of(reader, node.func.value, depth + 1)
    return None


def _mode(reader: Reader, node: ast.Call, index: int) -> str:
    mode = node.args[index] if len(node.args) > index else None
    for keyword in node.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    word = reader.value(mode) if mode is not None else None
    return word.text if word is not None else ""


def _writes(mode: str) -> bool:
    return any(c in mode for c in "wax+")


def record(reader: Reader, name: str, node: ast.Call) -> bool:
    """Add the path facts of one call; False if the call touches no file this module knows."""
    ctx = reader.ctx
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name in ("open", "builtins.open", "os.open", *_ARCHIVES) and node.args:
        path = path_of(reader, node.args[0])
        if path is not None:
            files.add(ctx, path, "write" if _writes(_mode(reader, node, 1)) else "read")
        return True
    if name in _FUNCTIONS:
        for argument, op in zip(node.args, _FUNCTIONS[name], strict=False):
            path = path_of(reader, argument)
            if path is not None:
                files.add(ctx, path, op)
        if name in _MOVES and node.args:
            source = path_of(reader, node.args[0])
            if source is not None:
                files.add(ctx, source, "delete")
        return True
    if not isinstance(node.func, ast.Attribute) or method not in (*_METHODS, "open"):
        return False
    path = path_of(reader, node.func.value)
    if path is None:
        return False
    op = _METHODS.get(method) or ("write" if _writes(_mode(reader, node, 0)) else "read")
    files.add(ctx, path, op)
    return True
