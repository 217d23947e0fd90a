"""`airlock keys create|list|revoke`: the admin API from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import httpx
import orjson

from gateway.config import admin_token_from_env
from gateway.errors import AirlockError

LIMITS = ("requests_per_minute", "tool_calls_per_minute", "tokens_per_minute")
BUDGETS = ("usd_per_day", "usd_per_month", "tokens_per_day")


def add_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="manage agent keys at runtime (admin API)")
    keys.add_argument("--url", default="http://127.0.0.1:4000", help="the gateway's URL")
    keys.add_argument("--admin-token", default=None, help="default: $AIRLOCK_ADMIN_TOKEN")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key; it is shown once")
    create.add_argument("--agent", required=True)
    create.add_argument("--team")
    for name in LIMITS + BUDGETS:
        kind = float if name.startswith("usd") else int
        create.add_argument("--" + name.replace("_", "-"), type=kind, dest=name)
    actions.add_parser("list", help="list runtime keys (never the keys themselves)")
    revoke = actions.add_parser("revoke", help="revoke a key on every replica at once")
    revoke.add_argument("key_id")


def run(args: argparse.Namespace) -> int:
    token = args.admin_token or admin_token_from_env()
    if not token:
        raise AirlockError("no admin token: pass --admin-token or set AIRLOCK_ADMIN_TOKEN")
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=args.url, headers=headers, timeout=10) as client:
        if args.action == "create":
            body = {
                "agent": args.agent,
                "team": args.team,
                "limits": _given(args, LIMITS),
                "budget": _given(args, BUDGETS),
            }
            response = client.post("/admin/keys", json=body)
        elif args.action == "list":
            response = client.get("/admin/keys")
        else:
            response = client.post(f"/admin/keys/{args.key_id}/revoke")
    if response.status_code >= 400:
        message = response.json().get("error", {}).get("message", response.text)
        raise AirlockError(f"the gateway refused ({response.status_code}): {message}")
    sys.stdout.write(orjson.dumps(response.json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    if args.action == "create":
        print("Store the key now: it is not shown again.", file=sys.stderr)
    return 0


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}
