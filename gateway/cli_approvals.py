"""`airlock approvals list|show|approve|deny|watch`: the approver API from the command line.

Built on `airlock_client`, the same client other programs import. Output is for people (a
compact table, a readable detail view, one line per live event) unless `--json` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

from airlock_client import STATUSES, AirlockClientError, ApprovalsClient

from gateway.config import approver_token_from_env
from gateway.errors import AirlockError

DEFAULT_URL = "http://127.0.0.1:4000"
WHY_WIDTH = 60
BACKOFF_MAX_SECONDS = 30.0


def add_parser(commands: Any) -> None:
    # The shared options are accepted before or after the action; SUPPRESS keeps an action's
    # parser from overwriting a value given at the `approvals` level.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS, help=f"default: {DEFAULT_URL}")
    common.add_argument(
        "--token", default=argparse.SUPPRESS, help="default: $AIRLOCK_APPROVER_TOKEN"
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print raw JSON"
    )
    approvals = commands.add_parser(
        "approvals", parents=[common], help="list, decide and watch escalated tool calls"
    )
    actions = approvals.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", parents=[common], help="approvals, newest first")
    listing.add_argument("--status", choices=STATUSES, help="only this status")
    show = actions.add_parser("show", parents=[common], help="one approval in full")
    show.add_argument("id")
    approve = actions.add_parser("approve", parents=[common], help="let the call through")
    approve.add_argument("id")
    approve.add_argument("--reason", default="")
    deny = actions.add_parser("deny", parents=[common], help="refuse the call, saying why")
    deny.add_argument("id")
    deny.add_argument("--reason", required=True)
    actions.add_parser("watch", parents=[common], help="print live events until Ctrl-C")


def run(args: argparse.Namespace) -> int:
    token = getattr(args, "token", None) or approver_token_from_env()
    if not token:
        raise AirlockError("no approver token: pass --token or set AIRLOCK_APPROVER_TOKEN")
    raw = getattr(args, "json", False)
    try:
        with ApprovalsClient(getattr(args, "url", DEFAULT_URL), token) as client:
            if args.action == "watch":
                return _watch(client, raw)
            if args.action == "list":
                items = client.list(args.status)
                _out(items if raw else _table(items))
            elif args.action == "show":
                found = client.get(args.id)
                _out(found if raw else _detail(found))
            else:
                decide = client.approve if args.action == "approve" else client.deny
                done = decide(args.id, args.reason)
                _out(done if raw else f"{done['status']} {done['id']} ({_call(done)})")
    except AirlockClientError as exc:
        raise _refused(exc) from exc
    except ValueError as exc:
        raise AirlockError(str(exc)) from exc
    return 0


def _refused(exc: AirlockClientError) -> AirlockError:
    if exc.status == 0:
        return AirlockError(exc.message)
    return AirlockError(f"the gateway refused ({exc.status}): {exc.message}")


def _out(value: Any) -> None:
    # JSON goes out ASCII-only and text with its control characters shown as escapes: what a
    # model wrote must not be able to drive the approver's terminal (ANSI, bidi overrides).
    text = _visible(value) if isinstance(value, str) else json.dumps(value, indent=2)
    sys.stdout.write(text.rstrip("\n") + "\n")


def _visible(text: str) -> str:
    return "".join(
        c if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf") else f"\\u{ord(c):04x}"
        for c in text
    )


def _call(a: dict[str, Any]) -> str:
    team = f"/{a['team']}" if a.get("team") else ""
    return f"{a.get('tool_name', '?')} from {a.get('agent', '?')}{team}"


def _left(seconds: Any) -> str:
    s = max(0, int(seconds or 0))
    return f"{s // 60}:{s % 60:02d}"


def _when(at: Any) -> str:
    return datetime.fromtimestamp(float(at)).strftime("%Y-%m-%d %H:%M:%S") if at else "?"


def _why(a: dict[str, Any]) -> str:
    reasons = a.get("reasons") or []
    text = "; ".join(f"{r.get('category', '?')}: {r.get('message', '')}" for r in reasons)
    return text if len(text) <= WHY_WIDTH else text[: WHY_WIDTH - 1] + "…"


def _state(a: dict[str, Any]) -> str:
    """Time left while pending; who decided otherwise."""
    if a.get("status") == "pending":
        return _left(a.get("seconds_left")) + " left"
    last = (a.get("history") or [{}])[-1]
    return f"by {last.get('by', '?')}"


def _table(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no approvals"
    head = ("ID", "STATUS", "LEFT/BY", "AGENT", "TEAM", "TOOL", "WHY")
    rows = [
        (a["id"], a["status"], _state(a), a["agent"], a.get("team") or "-", a["tool_name"], _why(a))
        for a in items
    ]
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head) - 1)]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in [head, *rows]
    )


def _indented(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _facts(facts: dict[str, Any]) -> list[str]:
    shown: dict[str, Callable[[Any], str]] = {
        "commands": lambda c: c.get("raw") or " ".join(c.get("argv", [])),
        "urls": lambda u: (
            f"{u.get('method', '')} {u.get('scheme', '')}://{u.get('host', '')}{u.get('path', '')}"
        ),
        "paths": lambda p: f"{p.get('op', '?')} {p.get('path', '')}",
        "secrets": lambda s: f"{s.get('type', 'secret')} in {s.get('at', '?')}",
        "obfuscation": str,
    }
    lines = []
    for key, show in shown.items():
        lines += [
            f"  {key[:-1] if key != 'obfuscation' else key}: {show(v)}"
            for v in facts.get(key) or []
        ]
    code = facts.get("code")
    if code:
        calls = ", ".join(code.get("imports", []) + code.get("calls", []))
        lines.append(f"  code: {code.get('language', '?')} {calls}".rstrip())
    return lines or ["  (none)"]


def _detail(a: dict[str, Any]) -> str:
    status = a["status"] + (
        f", {_left(a.get('seconds_left'))} left" if a["status"] == "pending" else ""
    )
    lines = [
        f"{a['id']}  {status}",
        f"tool      {a['tool_name']}",
        f"agent     {a['agent']}" + (f" (team {a['team']})" if a.get("team") else ""),
        f"model     {a.get('model', '?')}    request {a.get('request_id', '?')}",
        f"held at   {_when(a.get('created'))}    expires {_when(a.get('expires'))}",
        "why",
    ]
    lines += [f"  [{r['category']}] {r['message']}  ({r['rule']})" for r in a.get("reasons", [])]
    lines += ["arguments", _indented(json.dumps(a.get("arguments"), indent=2, ensure_ascii=False))]
    lines += ["facts", *_facts(a.get("facts") or {})]
    if a.get("excerpt"):
        lines.append("conversation")
        lines += [_indented(f"{m.get('role', '?')}: {m.get('content', '')}") for m in a["excerpt"]]
    lines.append("history")
    for t in a.get("history", []):
        reason = f"  “{t['reason']}”" if t.get("reason") else ""
        lines.append(f"  {_when(t.get('at'))}  {t['status']:<8} by {t.get('by', '?')}{reason}")
    return "\n".join(lines)


def _event_line(event: dict[str, Any]) -> str:
    a = event.get("approval", {})
    kind = event.get("kind", "?")
    if kind == "created":
        detail = f"{_left(a.get('seconds_left'))} left  {_why(a)}"
    else:
        last = (a.get("history") or [{}])[-1]
        reason = f": {last['reason']}" if last.get("reason") else ""
        detail = f"by {last.get('by', '?')}{reason}"
    stamp = datetime.now().strftime("%H:%M:%S")
    return f"{stamp}  {kind:<8} {a.get('id', '?')}  {_call(a)}  {detail}"


def _watch(client: ApprovalsClient, raw: bool) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_follow(client, raw))
    return 0


async def _follow(client: ApprovalsClient, raw: bool) -> None:
    """Print events as they come; reconnect with backoff, refusing only on 401/403."""
    failures = 0
    while True:
        started = time.monotonic()
        try:
            async for event in client.stream():
                failures = 0
                _out(json.dumps(event) if raw else _event_line(event))
                sys.stdout.flush()
            problem = "the gateway closed the stream"
        except AirlockClientError as exc:
            if exc.status in (401, 403):
                raise
            problem = exc.message
        if time.monotonic() - started > BACKOFF_MAX_SECONDS:
            failures = 0
        delay = min(BACKOFF_MAX_SECONDS, 2.0**failures) * (0.5 + random.random() / 2)
        failures += 1
        print(f"airlock: {problem}; reconnecting in {delay:.0f} s", file=sys.stderr)
        await asyncio.sleep(delay)
