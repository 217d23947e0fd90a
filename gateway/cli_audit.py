"""`airlock audit verify FILE`: check an audit file's hash chain (gateway/audit/chain.py).

Exit status 0 when every record is intact, 1 at the first changed, removed, inserted,
repeated or reordered record (its line number and why are printed), 2 when the file cannot
be read or the key variable is unset.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gateway.audit.chain import verify
from gateway.config import secret_from_env
from gateway.errors import AirlockError


def add_parser(commands: Any) -> None:
    audit = commands.add_parser("audit", help="check audit files")
    actions = audit.add_subparsers(dest="action", required=True)
    check = actions.add_parser("verify", help="verify the hash chain of an audit file")
    check.add_argument("file", help="an audit file (JSON lines) written by the gateway")
    check.add_argument(
        "--key-env",
        metavar="NAME",
        help="environment variable holding audit.hmac_key, for a keyed chain",
    )


def run(args: argparse.Namespace) -> int:
    key = None
    if args.key_env:
        value = secret_from_env(args.key_env)
        if value is None:
            raise AirlockError(f"--key-env: environment variable {args.key_env} is not set")
        key = value.encode()
    try:
        with open(args.file, "rb") as lines:
            report = verify(lines, key)
    except OSError as exc:
        raise AirlockError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if report.intact:
        head = report.head
        print(
            f"{args.file}: intact, {report.records} records; head seq {head.seq} hash {head.hash}"
        )
        return 0
    print(f"{args.file}:{report.line}: {report.problem}", file=sys.stdout)
    print(f"{report.records} records before it are intact", file=sys.stderr)
    return 1
