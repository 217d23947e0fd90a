"""`create_app(settings)`: the ASGI app and the lifespan that owns its clients and engine."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from gateway.api import routes
from gateway.api.auth import KeyRing
from gateway.api.services import Services
from gateway.approvals import open_approvals
from gateway.approvals.notify import WebhookNotifier
from gateway.audit import AuditSink
from gateway.config import Settings, config_path_from_env, load_settings
from gateway.errors import StateError
from gateway.firewall.decide import Firewall
from gateway.firewall.escalate import Escalations
from gateway.policy import load_engine
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


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce(settings)
        policy = settings.policy
        engine = await load_engine(
            policy.engine,
            policy.paths,
            opa_url=policy.opa_url,
            push=policy.opa_push,
            timeout_seconds=policy.timeout_seconds,
        )
        audit = AuditSink(settings.audit.path)
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
                ),
                monitor=policy.mode == "monitor",
                fail_open=policy.on_error == "allow",
                state_fail_open=settings.state.on_error == "allow",
            )
            app.state.services = Services(
                settings=settings,
                keys=KeyRing(settings, store),
                upstreams=Upstreams(Router(settings.model_list), providers),
                firewall=firewall,
                store=store,
                pricing=Pricing(settings.model_list),
                approvals=approvals,
            )
            log.info(
                "airlock ready: engine=%s policy_revision=%s models=%s",
                engine.name,
                engine.revision,
                ",".join(m.model_name for m in settings.model_list),
            )
            try:
                yield
            finally:
                if notifier:
                    await notifier.aclose()
                await engine.aclose()
                await approvals.aclose()
                await store.aclose()
                audit.close()

    app = FastAPI(
        title="Airlock", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    routes.install(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `airlock serve --workers N`."""
    return create_app(load_settings(config_path_from_env()))
