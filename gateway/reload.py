"""Hot reload of the policy: build a new engine, swap it into the firewall, retire the old one.

A reload (`POST /admin/reload`, or the file watch with `policy.watch`) reads `policy.paths`
again and builds a complete engine beside the one serving. Only when it is ready does
`firewall.engine` point to it, in one assignment on the event loop, so every decision runs
wholly on the old engine or wholly on the new one and records that engine's revision. The
old engine is closed once the evaluations it started have finished.

A policy that does not load (a syntax error, a builtin the engine lacks, data that does not
parse) changes nothing: the last good policy keeps serving, the error is logged, returned
to the caller and shown by `/readyz` as `reload_error` until a reload succeeds.

With the opa engine, a reload pushes the files to the OPA server (`opa_push`) or checks that
the server now serves them. A push OPA rejects may have replaced part of the server's
policy, so the last good files are pushed back at once; evaluations in that short window
may see the mixed policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway import metrics
from gateway.config import PolicySettings
from gateway.errors import AirlockError, ConfigError, PolicyError
from gateway.firewall.decide import Firewall
from gateway.models import Decision, PolicyInput
from gateway.policy import EmbeddedEngine, OpaEngine, PolicyEngine, PolicyFiles, load_policy_files
from gateway.policy.cache import cached

log = logging.getLogger("airlock.policy")

WATCH_INTERVAL_SECONDS = 1.0
OPA_HEALTH_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did. `error` is set (and nothing changed) when the new policy failed."""

    status: str  # "reloaded" (a new engine serves) | "unchanged" (skipped) | "failed"
    revision: str  # the revision serving now
    previous: str
    error: str | None = None


class Tracked:
    """A `PolicyEngine` that counts its running evaluations, so it can be closed when idle."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.revision = engine.revision
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        self._running += 1
        self._idle.clear()
        try:
            return await self.engine.evaluate(inputs)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def aclose(self) -> None:
        """Close once the evaluations already started have finished (each has a deadline)."""
        await self._idle.wait()
        await self.engine.aclose()


class PolicyReloader:
    """Owns the serving engine: builds it, reloads it, watches its files, checks its health."""

    def __init__(self, policy: PolicySettings, files: PolicyFiles, engine: PolicyEngine) -> None:
        self.policy = policy
        self.engine = Tracked(engine)
        self.last_error: str | None = None
        self._files = files  # the last good policy, pushed back if a push to OPA fails
        self._firewall: Firewall | None = None
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self._probe: httpx.AsyncClient | None = None
        if policy.engine == "opa":
            self._probe = httpx.AsyncClient(timeout=OPA_HEALTH_TIMEOUT_SECONDS)
        metrics.serving(engine.name, engine.revision)

    @classmethod
    async def open(cls, policy: PolicySettings) -> PolicyReloader:
        """Load `policy.paths` and start the engine on them (`ConfigError` if it cannot)."""
        files = await asyncio.to_thread(load_policy_files, policy.paths)
        return cls(policy, files, await _build(policy, files))

    def attach(self, firewall: Firewall) -> None:
        """The firewall whose engine reloads replace; it must have been built on `engine`."""
        self._firewall = firewall
        firewall.engine = self.engine

    async def reload(self, *, force: bool = True) -> ReloadResult:
        """Load the files again and serve them. Without `force`, an unchanged revision is
        left alone; with it the engine is rebuilt anyway (for opa: pushed or checked again,
        e.g. after an OPA restart)."""
        async with self._lock:
            previous = self.engine.revision
            try:
                files = await asyncio.to_thread(load_policy_files, self.policy.paths)
                if not force and files.revision == previous:
                    self.last_error = None  # the files are again those serving
                    metrics.reloaded("unchanged")
                    return ReloadResult("unchanged", previous, previous)
                engine = await _build(self.policy, files)
            except Exception as exc:
                return await self._failed(previous, exc)
            self._swap(engine)
            self._files = files
            self.last_error = None
            metrics.reloaded("ok")
            metrics.serving(engine.name, engine.revision)
            log.info("policy reloaded: revision %s (was %s)", engine.revision, previous)
            return ReloadResult("reloaded", engine.revision, previous)

    async def watch(self, interval: float = WATCH_INTERVAL_SECONDS) -> None:
        """Reload whenever the files under `policy.paths` change; runs until cancelled.

        A change is acted on once two polls agree, so a file caught half-written by an
        editor or a checkout is read only when it is complete.
        """
        loaded = last = await asyncio.to_thread(_fingerprint, self.policy.paths)
        log.info(
            "policy watch: reloading on changes under %s", ", ".join(map(str, self.policy.paths))
        )
        while True:
            await asyncio.sleep(interval)
            current = await asyncio.to_thread(_fingerprint, self.policy.paths)
            if current != last:
                last = current
                continue
            if current != loaded:
                loaded = current
                await self.reload(force=False)

    async def check(self) -> None:
        """`PolicyError` unless the engine can answer now: for opa, the server's `/health`."""
        if self._probe is None:
            return
        url = self.policy.opa_url.rstrip("/") + "/health"
        try:
            response = await self._probe.get(url)
        except httpx.HTTPError as exc:
            raise PolicyError(f"OPA server unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise PolicyError(f"OPA server unhealthy (HTTP {response.status_code})")

    async def aclose(self) -> None:
        """Close the serving engine and any being retired."""
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        await self.engine.aclose()
        if self._probe is not None:
            await self._probe.aclose()

    def _swap(self, engine: PolicyEngine) -> None:
        old, self.engine = self.engine, Tracked(engine)
        if self._firewall is not None:
            self._firewall.engine = self.engine
        task = asyncio.get_running_loop().create_task(old.aclose())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _failed(self, previous: str, exc: Exception) -> ReloadResult:
        if not isinstance(exc, AirlockError):
            log.exception("policy reload failed unexpectedly")
        error = str(exc) or type(exc).__name__
        if self.policy.engine == "opa" and self.policy.opa_push:
            error += await self._push_back()
        self.last_error = error
        metrics.reloaded("failed")
        log.error("policy reload failed; still serving revision %s: %s", previous, error)
        return ReloadResult("failed", previous, previous, error)

    async def _push_back(self) -> str:
        try:
            restored = await _build(self.policy, self._files)
        except Exception as exc:
            log.error("could not push the last good policy back to OPA: %s", exc)
            return f" (and pushing the last good policy back to OPA failed: {exc})"
        await restored.aclose()
        return ""


async def _build(policy: PolicySettings, files: PolicyFiles) -> PolicyEngine:
    engine: PolicyEngine
    if policy.engine == "embedded":
        # compiling takes tens of milliseconds of CPU: not on the event loop
        engine = await asyncio.to_thread(
            EmbeddedEngine, files, timeout_seconds=policy.timeout_seconds
        )
    elif policy.engine == "opa":
        engine = await OpaEngine.connect(
            policy.opa_url, files, push=policy.opa_push, timeout_seconds=policy.timeout_seconds
        )
    else:
        raise ConfigError(f"unknown policy engine {policy.engine!r}; expected embedded or opa")
    return cached(engine, files, policy.cache_size)


def _fingerprint(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...] | None:
    """Name, mtime and size of every file under `paths`; None while a path is missing."""
    seen = []
    try:
        for root in paths:
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for path in files:
                stat = path.stat()
                seen.append((str(path), stat.st_mtime_ns, stat.st_size))
    except OSError:
        return None
    return tuple(seen)
