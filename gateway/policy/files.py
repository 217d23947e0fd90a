"""Reading a policy from disk the way OPA's loader does.

`opa run --server rego/` and the embedded engine must see the same modules and the same
data, or the parity promise means nothing. So this follows OPA's loader, checked against
OPA 1.x: every `*.rego` file is a module; every `*.json`, `*.yaml` and `*.yml` file (any
name, hidden directories included) is data, placed at the path of its directory relative
to the root it was found under; a file given directly is placed at the root. Objects are
merged deeply; two files giving different values to one path is an error. Unlike OPA we
leave `*_test.rego` out: tests never take part in a decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

from gateway.errors import ConfigError
from gateway.models import JSONValue

_DATA_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PolicyFiles:
    """The modules and data of one policy, and the revision that names them.

    `modules` maps a module's path relative to its root (POSIX form, e.g.
    `airlock/main.rego`) to its source. `data` is the merged base document.
    `revision` is 12 hex digits of a sha256 over every module's and data file's
    relative path and bytes, so the same files give the same revision on any
    engine and in any checkout location.
    """

    modules: dict[str, str]
    data: dict[str, JSONValue]
    revision: str


@dataclass(frozen=True, slots=True)
class _Found:
    name: str  # relative to its root, POSIX form
    path: Path
    prefix: tuple[str, ...]  # data path for a data file


def load_policy_files(paths: Sequence[Path]) -> PolicyFiles:
    """Load the modules and data under `paths` (directories or single files).

    Raises `ConfigError` when a path is missing, a file does not parse, two roots hold
    a file of the same relative name, data files conflict, or there is no module.
    """
    found: dict[str, _Found] = {}
    for root in paths:
        for item in _walk(Path(root)):
            if item.name in found and found[item.name].path != item.path:
                raise ConfigError(
                    f"policy files {found[item.name].path} and {item.path} have the same "
                    f"relative name {item.name!r}"
                )
            found[item.name] = item

    digest = hashlib.sha256()
    modules: dict[str, str] = {}
    data: dict[str, JSONValue] = {}
    owners: dict[tuple[str, ...], str] = {}
    for name in sorted(found):
        item = found[name]
        raw = item.path.read_bytes()
        digest.update(b"%d:%s\0%d:" % (len(name), name.encode(), len(raw)))
        digest.update(raw)
        if name.endswith(".rego"):
            modules[name] = _decode(item.path, raw)
        else:
            _merge(data, item.prefix, _parse_data(item.path, raw), name, owners)
    if not modules:
        raise ConfigError(f"no Rego modules found in {', '.join(map(str, paths))}")
    return PolicyFiles(modules=modules, data=data, revision=digest.hexdigest()[:12])


def _walk(root: Path) -> list[_Found]:
    if root.is_file():
        return [_Found(root.name, root, ())] if _wanted(root) else []
    if not root.is_dir():
        raise ConfigError(f"policy path {root} does not exist")
    items = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and _wanted(path):
            rel = path.relative_to(root)
            items.append(_Found(rel.as_posix(), path, rel.parent.parts))
    return items


def _wanted(path: Path) -> bool:
    if path.name.endswith(".rego"):
        return not path.name.endswith("_test.rego")
    return path.suffix in _DATA_SUFFIXES


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"policy file {path} is not UTF-8: {exc}") from exc


def _parse_data(path: Path, raw: bytes) -> JSONValue:
    try:
        if path.suffix == ".json":
            return orjson.loads(raw)
        return yaml.safe_load(_decode(path, raw))
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"data file {path} does not parse: {exc}") from exc


def _merge(
    into: dict[str, JSONValue],
    prefix: tuple[str, ...],
    value: JSONValue,
    name: str,
    owners: dict[tuple[str, ...], str],
) -> None:
    if not prefix:
        if not isinstance(value, dict):
            raise ConfigError(f"data file {name} at the root must hold an object")
        for key, child in value.items():
            _merge(into, (key,), child, name, owners)
        return
    node = into
    for depth, key in enumerate(prefix[:-1]):
        nxt = node.setdefault(key, {})
        if not isinstance(nxt, dict):
            _conflict(prefix[: depth + 1], name, owners)
        node = nxt
    key = prefix[-1]
    if key not in node:
        node[key] = value
        owners[prefix] = name
    elif isinstance(node[key], dict) and isinstance(value, dict):
        for child_key, child in value.items():
            _merge(into, (*prefix, child_key), child, name, owners)
    else:
        _conflict(prefix, name, owners)


def _conflict(path: tuple[str, ...], name: str, owners: dict[tuple[str, ...], str]) -> None:
    other = next((owners[p] for p in owners if p[: len(path)] == path or path[: len(p)] == p), "?")
    raise ConfigError(
        f"data files {other} and {name} both define data.{'.'.join(path)} (merge conflict)"
    )
