"""A decision cache in front of an engine, for calls an agent repeats (`ls`, `git status`).

A decision is a function of the policy's files and its input, so under one revision the
same input gets the same decision. The cache key leaves out what cannot change a decision
but changes on every call: the request's and the tool call's ids, and the fields of
`input.usage` the policy never reads (`usage_fields_read`; our quarantine reads denials,
not the tool-call count). Facts are not in the key: they are computed from the tool name
and arguments, which are. A policy that calls a builtin whose answer changes between
calls (time.now_ns, http.send…) gets no cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence

import orjson

from gateway import metrics
from gateway.models import Decision, PolicyInput
from gateway.policy.base import PolicyEngine
from gateway.policy.calls import scan_calls, usage_fields_read
from gateway.policy.files import PolicyFiles

log = logging.getLogger("airlock.policy")

CHANGING_BUILTINS = frozenset(
    {"time.now_ns", "rand.intn", "uuid.rfc4122", "http.send", "net.lookup_ip_addr", "opa.runtime"}
)


def cached(engine: PolicyEngine, files: PolicyFiles, size: int) -> PolicyEngine:
    """`engine` behind a cache of `size` decisions, or `engine` itself when it cannot be."""
    if size <= 0:
        return engine
    changing = sorted(scan_calls(files.modules).builtins & CHANGING_BUILTINS)
    if changing:
        log.info("policy decision cache off: the policy calls %s", ", ".join(changing))
        return engine
    return CachedEngine(engine, usage_fields_read(files.modules), size)


class CachedEngine:
    """A `PolicyEngine` answering repeated inputs from memory (least recently used goes)."""

    def __init__(self, engine: PolicyEngine, usage: frozenset[str] | None, size: int) -> None:
        self.engine = engine
        self.name = engine.name
        self.revision = engine.revision
        self._usage = usage  # None: every field
        self._size = size
        self._decisions: OrderedDict[bytes, Decision] = OrderedDict()

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        keys = [self._key(policy_input) for policy_input in inputs]
        known: dict[bytes, Decision] = {}
        asked: dict[bytes, PolicyInput] = {}  # one evaluation for a call repeated in a batch
        for key, policy_input in zip(keys, inputs, strict=True):
            decision = self._decisions.get(key)
            if decision is None:
                asked.setdefault(key, policy_input)
            else:
                self._decisions.move_to_end(key)
                known[key] = decision
        metrics.policy_cache(len(inputs) - len(asked), len(asked))
        if asked:
            fresh = await self.engine.evaluate(list(asked.values()))
            known.update(zip(asked, fresh, strict=True))
            self._decisions.update(zip(asked, fresh, strict=True))
            while len(self._decisions) > self._size:
                self._decisions.popitem(last=False)
        return [known[key] for key in keys]

    async def aclose(self) -> None:
        self._decisions.clear()
        await self.engine.aclose()

    def _key(self, policy_input: PolicyInput) -> bytes:
        request, call, usage = policy_input.request, policy_input.tool_call, policy_input.usage
        read = orjson.loads(orjson.dumps(usage))
        if self._usage is not None:
            read = {field: value for field, value in read.items() if field in self._usage}
        key = (
            policy_input.version,
            policy_input.agent,
            (request.model, request.endpoint, request.stream),
            (call.name, call.arguments, call.arguments_error),
            read,
        )
        return hashlib.blake2b(orjson.dumps(key), digest_size=16).digest()
