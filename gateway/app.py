"""`create_app(settings)`: the ASGI app and the lifespan that owns its clients and engine."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from gateway.api import routes
from gateway.api.auth import KeyRing
from gateway.api.services import Services
from gateway.approvals import open_approvals
from gateway.approvals.notify import WebhookNotifier
from gateway.audit import open_sink
from gateway.config import Settings, config_path_from_env, load_settings
from gateway.errors import StateError
from gateway.firewall.decide import Firewall
from gateway.firewall.escalate import Escalations
from gateway.redact import Redactor
from gateway.reload import PolicyReloader
from gateway.state import open_store
from gateway.upstream import Router, Upstreams
from gateway.upstream.cost import Pricing
from gateway.upstream.passthrough import session as upstream_session

log = logging.getLogger("airlock")


def announce(settings: Settings) -> None:
    """Say loudly, once at start, every setting that weakens the firewall."""
    policy = settings.policy
    if policy.mode == "monitor":
        log.warning("MONITOR MODE: tool calls are decided and recorded but NEVER blocked")
    if policy.on_error == "allow":
        log.warning("FAIL-OPEN: policy.on_error=allow lets tool calls through when policy fails")
    if settings.demo:
        log.warning(
            "DEMO MODE: short demo secrets are accepted; do not use this config in production"
        )
    if settings.state.redis_url is None:
        log.warning("state: in-process memory; run ONE replica only (set state.redis_url to share)")
    if settings.state.on_error == "allow":
        log.warning(
            "FAIL-OPEN: state.on_error=allow serves requests without limits when Redis fails"
        )


def _notifier(settings: Settings, client: httpx.AsyncClient) -> WebhookNotifier | None:
    url = settings.approvals.webhook_url
    if url is None:
        return None
    secret = settings.approvals.webhook_secret
    return WebhookNotifier(client, url, secret.get_secret_value() if secret else None)


@contextmanager
def _also_on_stop_signals(callback: Callable[[], None]) -> Iterator[None]:
    """Run `callback` on the loop as soon as the server is told to stop (SIGTERM, SIGINT).

    The server's own handler runs as well (uvicorn's: stop accepting, let in-flight requests
    finish); ours answers held requests at once, or they would hold up the shutdown for as
    long as an approval may take. This works for every worker process. Only the main thread
    may set signal handlers: elsewhere (a server in a test thread) nothing is hooked.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    stops = (signal.SIGTERM, signal.SIGINT)
    previous: dict[int, object] = {sig: signal.getsignal(sig) for sig in stops}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        chained = previous[sig]
        if callable(chained):
            chained(sig, frame)
        elif chained == signal.SIG_DFL:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, chained in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, chained)  # type: ignore[arg-type]


def create_app(settings: Settings, *, redactor: Redactor | None = None) -> FastAPI:
    """The app; `redactor` (default: built from `settings`) masks configured secrets."""
    redactor = redactor if redactor is not None else Redactor.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce(settings)
        policy = settings.policy
        reloader = await PolicyReloader.open(policy)
        engine = reloader.engine
        audit = open_sink(settings.audit, redactor)
        redis_url = settings.state.redis_url
        url = redis_url.get_secret_value() if redis_url else None
        store = open_store(url, timeout_seconds=settings.state.timeout_seconds)
        try:
            await store.ping()  # loads the Lua scripts once
        except StateError as exc:
            log.error("state store unavailable at start (serving 503s until it is back): %s", exc)
        approvals = open_approvals(url)
        timeout = httpx.Timeout(settings.server.upstream_timeout_seconds, connect=10)
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=128)
        async with (
            httpx.AsyncClient(timeout=timeout, limits=limits) as client,
            upstream_session(settings.server.upstream_timeout_seconds) as providers,
        ):
            notifier = _notifier(settings, client)
            firewall = Firewall(
                engine,
                audit,
                state=store,
                escalations=Escalations(
                    approvals,
                    mode=settings.approvals.mode,
                    timeout_seconds=settings.approvals.timeout_seconds,
                    notify=notifier.notify if notifier else None,
                    redactor=redactor,
                ),
                monitor=policy.mode == "monitor",
                fail_open=policy.on_error == "allow",
                state_fail_open=settings.state.on_error == "allow",
            )
            reloader.attach(firewall)
            app.state.services = Services(
                settings=settings,
                keys=KeyRing(settings, store),
                upstreams=Upstreams(Router(settings.model_list), providers),
                firewall=firewall,
                store=store,
                pricing=Pricing(settings.model_list),
                approvals=approvals,
                reloader=reloader,
            )
            log.info(
                "airlock ready: engine=%s policy_revision=%s models=%s",
                engine.name,
                engine.revision,
                ",".join(m.model_name for m in settings.model_list),
            )

            def release_held() -> None:
                if firewall.escalations is not None:
                    firewall.escalations.drain()

            watching = asyncio.create_task(reloader.watch()) if policy.watch else None
            try:
                with _also_on_stop_signals(release_held):
                    yield
            finally:
                if watching is not None:
                    watching.cancel()
                    await asyncio.gather(watching, return_exceptions=True)
                if notifier:
                    await notifier.aclose()
                await reloader.aclose()
                await approvals.aclose()
                await store.aclose()
                audit.close()

    app = FastAPI(
        title="Airlock", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.redactor = redactor  # error envelopes use it, even before the lifespan ran
    routes.install(app)
    if settings.server.cors_origins:
        # Only what is configured: the approver page is same-origin and needs no CORS.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `airlock serve --workers N`."""
    return create_app(load_settings(config_path_from_env()))
