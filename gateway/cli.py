"""`airlock serve | check | version`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import version as package_version
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import httpx
import orjson

from gateway import cli_audit, cli_keys, logs
from gateway.config import export_config_path, load_settings
from gateway.errors import AirlockError, ConfigError
from gateway.firewall.decide import policy_input
from gateway.models import Agent, Decision, PolicyInput, RequestInfo, ToolCall
from gateway.policy import load_engine
from gateway.redact import Redactor

CHECK_BATCH = 256


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="airlock", description="A tool-call firewall for AI agents."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", type=Path, help="YAML config (default: the packaged example)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (needs Redis state)"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--log-format",
        choices=["auto", "json", "text"],
        default="auto",
        help="log lines as JSON objects or text (auto: JSON unless stderr is a terminal)",
    )

    check = commands.add_parser("check", help="decide recorded tool calls (JSON lines)")
    check.add_argument("file", nargs="?", default="-", help="JSON lines file, or - for stdin")
    check.add_argument("--config", type=Path)
    check.add_argument("--engine", choices=["embedded", "opa"])
    check.add_argument("--opa-url")

    cli_keys.add_parser(commands)
    approvals = _approvals_cli()
    if approvals is not None:
        approvals.add_parser(commands)
    else:
        commands.add_parser("approvals", help="needs the airlock-client package (clients/python)")
    cli_audit.add_parser(commands)
    commands.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "warning").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "check":
            return asyncio.run(_check(args))
        if args.command == "keys":
            return cli_keys.run(args)
        if args.command == "approvals":
            if approvals is None:
                raise AirlockError(
                    "`airlock approvals` needs the airlock-client package: "
                    "pip install ./clients/python"
                )
            code: int = approvals.run(args)
            return code
        if args.command == "audit":
            return cli_audit.run(args)
        print(package_version("airlock-gateway"))
        return 0
    except AirlockError as exc:
        print(f"airlock: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"airlock: cannot reach the gateway: {exc}", file=sys.stderr)
        return 2


def _approvals_cli() -> ModuleType | None:
    """The approvals commands, built on `airlock_client` (clients/python), which a gateway-only
    install (`pip install .`) may lack; the rest of the CLI works without it."""
    try:
        from gateway import cli_approvals
    except ImportError:
        return None
    return cli_approvals


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = load_settings(args.config, **({"server": overrides} if overrides else {}))
    redactor = Redactor.from_settings(settings)
    app: Any = create_app(settings, redactor=redactor)
    if args.workers > 1:
        if settings.state.redis_url is None:
            raise ConfigError("--workers above 1 needs state.redis_url (memory is per process)")
        # Each worker process builds its own app from the same file.
        export_config_path(args.config)
        app = "gateway.app:app_from_environment"
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers,
        host=settings.server.host,
        port=settings.server.port,
        loop="uvloop",
        http="httptools",
        log_level=args.log_level,
        log_config=logs.log_config(args.log_format, args.log_level, redactor),
        access_log=False,
        timeout_graceful_shutdown=settings.server.graceful_shutdown_seconds,
    )
    return 0


async def _check(args: argparse.Namespace) -> int:
    policy: dict[str, Any] = {}
    if args.engine:
        policy["engine"] = args.engine
    if args.opa_url:
        policy["opa_url"] = args.opa_url
    if args.config:
        settings = load_settings(args.config, **({"policy": policy} if policy else {})).policy
        engine_name, paths, opa_url = settings.engine, settings.paths, settings.opa_url
    else:
        engine_name = policy.get("engine", "embedded")
        paths, opa_url = [Path("rego")], policy.get("opa_url", "http://127.0.0.1:8181")
    engine = await load_engine(engine_name, paths, opa_url=opa_url)
    failed = False
    try:
        with _open(args.file) as source:
            for batch in _batches(_read_calls(source), CHECK_BATCH):
                inputs = [item for item in batch if isinstance(item, PolicyInput)]
                decisions = iter(await engine.evaluate(inputs) if inputs else [])
                for item in batch:
                    if isinstance(item, PolicyInput):
                        sys.stdout.write(_result_line(item.tool_call.id, next(decisions)))
                    else:
                        failed = True
                        sys.stdout.write(orjson.dumps(item).decode() + "\n")
    finally:
        await engine.aclose()
    return 1 if failed else 0


def _open(name: str) -> TextIO:
    # A batch tool reading a local file: blocking reads are fine here.
    return sys.stdin if name == "-" else open(name, encoding="utf-8")


def _read_calls(lines: TextIO) -> Iterator[PolicyInput | dict[str, Any]]:
    """One PolicyInput per line, or an `{"id", "error"}` object for a line that is unusable."""
    agent = Agent("airlock-check")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        request = RequestInfo(f"check-{number}", "", "check", False)
        try:
            record = orjson.loads(line)
            yield policy_input(agent, request, _tool_call(record, number))
        except (orjson.JSONDecodeError, ValueError) as exc:
            yield {"id": f"line-{number}", "error": f"line {number}: {exc}"}


def _tool_call(record: Any, number: int) -> ToolCall:
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    tool = record.get("tool") or record.get("function")
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise ValueError('expected {"id", "tool": {"name", "arguments"}} or an OpenAI tool call')
    arguments = tool.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments).decode()
    return ToolCall(str(record.get("id") or f"line-{number}"), tool["name"], arguments)


def _result_line(call_id: str, decision: Decision) -> str:
    reasons = [
        {"rule": r.rule, "category": r.category, "message": r.message} for r in decision.reasons
    ]
    return (
        orjson.dumps({"id": call_id, "action": decision.action, "reasons": reasons}).decode() + "\n"
    )


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


if __name__ == "__main__":
    sys.exit(main())
