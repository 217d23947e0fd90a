"""Container tools: the command a container runs, the host paths it mounts, the files copied
in and out.

`docker run --rm -v /:/host alpine sh -c '…'` runs `sh -c '…'` (parsed like any command) with
the host's `/` mounted writable; `kubectl exec pod -- cmd` and `docker exec ctr cmd` run `cmd`;
`docker cp ctr:/etc/passwd .` writes `.` on this machine and reads nothing here.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from gateway.firewall.normalize import files
from gateway.firewall.normalize.words import Word
from gateway.models import PathOp

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context, Scope

# Global options before the subcommand (`docker -H host run …`) that take a value.
_GLOBAL_VALUES = frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level",
                            "--tlscacert", "--tlscert", "--tlskey", "--url", "--connection",
                            "--identity", "--root", "--runroot", "--storage-driver",
                            "--namespace", "-n", "--address", "-a"})  # fmt: skip
_COPY_VALUES = frozenset({"-c", "--container", "-n", "--namespace", "--retries", "--context"})
_EXEC_VALUES = frozenset({"-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file",
                          "--detach-keys"})  # fmt: skip
# `docker run` / `podman run` options that take a value (`docker run --help`).
_RUN_SHORT_VALUES = "acehlmpuvw"
_RUN_VALUES = frozenset({
    "--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device",
    "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-period",
    "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime", "--cpu-shares", "--cpus",
    "--cpuset-cpus", "--cpuset-mems", "--device", "--device-cgroup-rule", "--device-read-bps",
    "--device-read-iops", "--device-write-bps", "--device-write-iops", "--dns", "--dns-option",
    "--dns-search", "--domainname", "--entrypoint", "--env", "--env-file", "--expose", "--gpus",
    "--group-add", "--health-cmd", "--health-interval", "--health-retries",
    "--health-start-period", "--health-timeout", "--hostname", "--ip", "--ip6", "--ipc",
    "--isolation", "--kernel-memory", "--label", "--label-file", "--link", "--link-local-ip",
    "--log-driver", "--log-opt", "--mac-address", "--memory", "--memory-reservation",
    "--memory-swap", "--memory-swappiness", "--mount", "--name", "--network", "--net",
    "--network-alias", "--oom-score-adj", "--pid", "--pids-limit", "--platform", "--publish",
    "--pull", "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal",
    "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "--user", "--userns",
    "--uts", "--volume", "--volume-driver", "--volumes-from", "--workdir", "--detach-keys",
    "--pod", "--secret", "--arch", "--os", "--variant", "--userns-uid-map", "--userns-gid-map",
})  # fmt: skip


def _subcommand(argv: list[str]) -> tuple[list[str], int]:
    """The subcommand words (`["container", "run"]` → `["run"]`) and the index after them."""
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _GLOBAL_VALUES else 1
    words = argv[i : i + 2]
    if words[:1] in (["container"], ["containers"]):
        return words[1:2], i + 2
    return words[:1], i + 1


def _mount(ctx: Context, spec: str, long_syntax: bool) -> None:
    """`-v /host:/ctr:ro` or `--mount type=bind,source=/host,target=/ctr,readonly`."""
    if long_syntax:
        fields = dict(f.partition("=")[::2] for f in spec.split(","))
        source = fields.get("source") or fields.get("src") or ""
        readonly = any(k in fields for k in ("readonly", "ro")) and fields.get("readonly") not in (
            "false",
            "0",
        )
    else:
        parts = spec.split(":")
        source = parts[0] if len(parts) > 1 else ""
        readonly = len(parts) > 2 and "ro" in parts[2].split(",")
    if source.startswith(("/", "~", ".", "$")):
        op: PathOp = "read" if readonly else "write"
        files.add(ctx, source, op)


def _run(ctx: Context, words: list[Word], start: int, scope: Scope | None) -> None:
    """`docker run [options] IMAGE [COMMAND…]`: the mounts, then the command inside."""
    argv = [w.text for w in words]
    entrypoint: Word | None = None
    i = start
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
        arg = argv[i]
        i += 1
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if arg.startswith("--"):
            if name not in _RUN_VALUES:
                continue
            where = i - 1
            if not eq and i < len(argv):
                value, where, i = argv[i], i, i + 1
        else:
            letter = next((c for c in arg[1:] if c in _RUN_SHORT_VALUES), "")
            if not letter:
                continue
            name = "-" + letter
            value = arg[arg.index(letter) + 1 :]
            where = i - 1
            if not value and i < len(argv):
                value, where, i = argv[i], i, i + 1
        if name in ("-v", "--volume", "--mount"):
            _mount(ctx, value, long_syntax=name == "--mount")
        elif name == "--entrypoint" and value:
            entrypoint = Word(value, words[where].static, words[where].origin)
    command = words[i + 1 :]
    if entrypoint is not None:
        command = [entrypoint, *command]
    if command:
        ctx.argv(command, shlex.join(w.text for w in command), None, scope)


def _exec(ctx: Context, words: list[Word], start: int, scope: Scope | None) -> None:
    argv = [w.text for w in words]
    while start < len(argv) and argv[start].startswith("-"):
        valued = argv[start] in _EXEC_VALUES and "=" not in argv[start]
        start += 2 if valued else 1
    start += 1  # the container
    if start < len(argv):
        ctx.argv(words[start:], shlex.join(argv[start:]), None, scope)


def _copy(ctx: Context, argv: list[str], start: int) -> None:
    """`docker cp SRC DEST`, `kubectl cp SRC DEST`: `name:/path` is inside the container."""
    operands: list[str] = []
    skip = False
    for arg in argv[start:]:
        if skip:
            skip = False
        elif arg in _COPY_VALUES:
            skip = True
        elif not arg.startswith("-") or arg == "-":
            operands.append(arg)
    if len(operands) != 2:
        return
    for operand, op in zip(operands, ("read", "write"), strict=True):
        head, colon, _ = operand.partition(":")
        if not (colon and head and not head.startswith(("/", ".", "~"))):
            files.add(ctx, operand, op)  # type: ignore[arg-type]


def container(ctx: Context, words: list[Word], scope: Scope | None) -> None:
    """docker, podman, nerdctl, kubectl, oc: commands run in containers, mounts and copies."""
    argv = [w.text for w in words]
    if argv[0] in ("kubectl", "oc"):
        if "--" in argv:
            start = argv.index("--") + 1
            if start < len(argv):
                ctx.argv(words[start:], shlex.join(argv[start:]), None, scope)
        elif "cp" in argv[1:3]:
            _copy(ctx, argv, argv.index("cp") + 1)
        return
    verb, start = _subcommand(argv)
    if verb in (["run"], ["create"]):
        _run(ctx, words, start, scope)
    elif verb == ["exec"]:
        _exec(ctx, words, start, scope)
    elif verb == ["cp"]:
        _copy(ctx, argv, start)
