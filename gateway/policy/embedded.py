"""The embedded engine: rego-cpp (regopy) inside the gateway process, off the event loop.

Evaluation is synchronous C code that cannot be interrupted, and rego-cpp is slow: on
rego/ with the corpus an evaluation takes milliseconds to a tenth of a second, and
pathological input can take seconds. Run inline, it would stall every request of the
process meanwhile. So each input is evaluated in a small thread pool, each thread with
its own interpreter (regopy calls through ctypes, which releases the GIL, so the pool
also uses several cores). The hop costs about 60 µs. It makes `timeout_seconds` real
for the caller: at the deadline the evaluation is a `PolicyError`. The thread runs on
until rego-cpp returns (at the latest at its statement limit) and only then takes new
work; while every interpreter is busy, new evaluations wait, and time out like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import orjson

from gateway.errors import PolicyError
from gateway.models import Decision, JSONValue, PolicyInput
from gateway.policy.base import gather_decisions
from gateway.policy.files import PolicyFiles
from gateway.policy.rego_cpp import RegoWorker, refuse_unknown_functions


class EmbeddedEngine:
    """A `PolicyEngine` running the policy in-process on rego-cpp interpreters."""

    name: str = "embedded"

    def __init__(
        self, files: PolicyFiles, *, timeout_seconds: float = 2.0, workers: int | None = None
    ) -> None:
        """Compile `files` once per worker (default: up to 4, one per CPU).

        `MissingBuiltinError` if the policy calls a builtin rego-cpp lacks, `ConfigError`
        if it does not compile.
        """
        refuse_unknown_functions(files.modules)
        size = workers or min(4, os.cpu_count() or 1)
        self.revision = files.revision
        self._timeout = timeout_seconds
        self._idle: asyncio.Queue[RegoWorker] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(RegoWorker(files))
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="rego")
        self._closed = False

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        """One decision per input; each input has `timeout_seconds`, waiting included."""
        return await gather_decisions(self._evaluate(policy_input) for policy_input in inputs)

    async def aclose(self) -> None:
        """Stop taking work; a running evaluation finishes in its thread."""
        self._closed = True
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _evaluate(self, policy_input: PolicyInput) -> Decision:
        if self._closed:
            raise PolicyError("embedded engine is closed")
        try:
            value = orjson.loads(orjson.dumps(policy_input))
        except orjson.JSONEncodeError as exc:
            raise PolicyError(f"policy input cannot be serialized: {exc}") from exc
        try:
            async with asyncio.timeout(self._timeout):
                worker = await self._idle.get()
                job = self._submit(worker, value)
                return await asyncio.wrap_future(job)
        except TimeoutError:
            raise PolicyError(f"embedded evaluation timed out after {self._timeout}s") from None

    def _submit(self, worker: RegoWorker, value: JSONValue) -> Future[Decision]:
        loop = asyncio.get_running_loop()

        def give_back(_: Future[Decision]) -> None:
            # runs in the worker's thread once rego-cpp has returned, not at the deadline;
            # if the loop is gone, so is everyone who could wait for the worker
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._idle.put_nowait, worker)

        try:
            job = self._threads.submit(worker.decide, value)
        except RuntimeError:  # shut down by aclose
            self._idle.put_nowait(worker)
            raise PolicyError("embedded engine is closed") from None
        job.add_done_callback(give_back)
        return job
