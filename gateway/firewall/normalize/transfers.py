"""Local files that storage and model-hub clients upload or download.

`aws s3 cp model.bin s3://b/` reads `model.bin` (the bucket is a URL fact from the command's
arguments); `rclone copy remote:x ./y` writes `./y`; `hf upload org/model ./weights` reads
`./weights`. Operands that name the other side (`s3://…`, `gs://…`, `https://…`, rclone's
`remote:path`) are not local files and yield no path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.firewall.normalize import files

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

# program → (words before the verb, verbs that copy SOURCE… DESTINATION)
_COPIERS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "aws": (("s3",), frozenset({"cp", "mv", "sync"})),
    "gsutil": ((), frozenset({"cp", "mv", "rsync"})),
    "gcloud": (("storage",), frozenset({"cp", "mv", "rsync"})),
    "rclone": ((), frozenset({"copy", "sync", "move", "copyto", "moveto", "bisync"})),
    "azcopy": ((), frozenset({"copy", "cp", "c", "sync", "s"})),
    "s3cmd": ((), frozenset({"put", "get", "sync", "cp", "mv"})),
}
# program → verbs that upload the local operand at index 1 (after the repo id)
_HUB_UPLOADS: dict[str, frozenset[str]] = {
    "hf": frozenset({"upload", "upload-large-folder"}),
    "huggingface-cli": frozenset({"upload", "upload-large-folder"}),
}
# Options of these clients that take a value (the others are flags).
_VALUED = frozenset({
    "--exclude", "--include", "--acl", "--storage-class", "--region", "--profile",
    "--endpoint-url", "--grants", "--content-type", "--cache-control", "--metadata",
    "--sse", "--sse-kms-key-id", "--sse-c", "--sse-c-key", "--expires", "--source-region",
    "--page-size", "--output", "--query", "--config", "--filter", "--filter-from",
    "--exclude-from", "--include-from", "--files-from", "--transfers", "--checkers",
    "--bwlimit", "--max-age", "--min-age", "--max-size", "--min-size", "--log-file",
    "--log-level", "--backup-dir", "--suffix", "--project", "--repo-type", "--revision",
    "--commit-message", "--commit-description", "--token", "--every", "--num-workers",
    "--path-in-repo", "--cache-dir", "--local-dir",
    "-x", "-h", "-p", "-z", "-j",
})  # fmt: skip


def _operands(argv: list[str], start: int) -> list[str]:
    operands: list[str] = []
    i = start
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
        elif "=" not in arg and arg in _VALUED:
            i += 1
    return operands


def _verb_index(argv: list[str], before: tuple[str, ...], verbs: frozenset[str]) -> int | None:
    """Index of the verb, found among the first words that are not flags."""
    plain = [i for i, a in enumerate(argv[1:], 1) if not a.startswith("-")][: len(before) + 2]
    words = [argv[i] for i in plain]
    for k in range(len(words)):
        if words[k] in verbs and tuple(words[k - len(before) : k]) == before:
            return plain[k]
    return None


def _remote(operand: str) -> bool:
    if "://" in operand:
        return True
    head, colon, _ = operand.partition(":")
    return bool(colon and head and not head.startswith(("/", ".", "~")))


def from_argv(ctx: Context, program: str, argv: list[str]) -> None:
    """Record the local files a storage or hub client reads (uploads) or writes (downloads)."""
    if program in _HUB_UPLOADS:
        verb = _verb_index(argv, (), _HUB_UPLOADS[program])
        operands = _operands(argv, verb + 1) if verb is not None else []
        if len(operands) > 1 and not _remote(operands[1]):
            files.add(ctx, operands[1], "read")
        return
    before, verbs = _COPIERS[program]
    verb = _verb_index(argv, before, verbs)
    if verb is None:
        return
    operands = _operands(argv, verb + 1)
    if len(operands) < 2:
        return
    *sources, destination = operands
    for source in sources:
        if not _remote(source):
            files.add(ctx, source, "read")
    if not _remote(destination):
        files.add(ctx, destination, "write")


PROGRAMS = frozenset(_COPIERS) | frozenset(_HUB_UPLOADS)
