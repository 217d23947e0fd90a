"""Airlock's exception tree.

    AirlockError
    ├── ConfigError            settings or policy files unusable at start
    │   └── MissingBuiltinError    the policy calls a builtin the engine lacks
    ├── RequestError           the agent's request is unusable (400); `param` names the field
    │   ├── PayloadTooLargeError   body over the configured limit (413)
    │   └── UnknownModelError      model not in model_list (404)
    ├── AuthenticationError    missing or unknown agent key or token (401)
    ├── ForbiddenError         a valid credential that may not use this route (403)
    ├── NotFoundError          no such object (404)
    ├── ConflictError          the object is not in a state that allows this (409)
    ├── UpstreamError          the provider failed or answered garbage (502; its 4xx pass on)
    │   └── UpstreamTimeoutError   the provider did not answer in time (504)
    ├── PolicyError            the policy could not be evaluated (→ on_error)
    ├── StateError             Redis (or the state store) cannot answer (503, → state.on_error)
    ├── LimitExceededError     a rate limit or budget refuses the request (429)
    └── ToolCallDeniedError    `on_deny: error` and a call was blocked (403)

Foreign exceptions (httpx, litellm, regopy, OPA client) are translated into these at the
adapter that meets them. Only `gateway/api/` maps them to HTTP statuses and envelopes.
"""

from __future__ import annotations


class AirlockError(Exception):
    """Base of every error Airlock raises on purpose."""


class ConfigError(AirlockError):
    pass


class MissingBuiltinError(ConfigError):
    def __init__(self, engine: str, builtins: list[str]) -> None:
        self.engine = engine
        self.builtins = builtins
        super().__init__(f"policy uses builtins the {engine} engine lacks: {', '.join(builtins)}")


class RequestError(AirlockError):
    def __init__(self, message: str, param: str | None = None) -> None:
        self.param = param
        super().__init__(message)


class PayloadTooLargeError(RequestError):
    pass


class UnknownModelError(RequestError):
    pass


class AuthenticationError(AirlockError):
    pass


class ForbiddenError(AirlockError):
    pass


class NotFoundError(AirlockError):
    pass


class ConflictError(AirlockError):
    pass


class UpstreamError(AirlockError):
    """`status` is the provider's HTTP status when it answered with an error."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class UpstreamTimeoutError(UpstreamError):
    pass


class PolicyError(AirlockError):
    pass


class StateError(AirlockError):
    pass


class LimitExceededError(AirlockError):
    """`code` is "rate_limit_exceeded" or "budget_exceeded"; `retry_after` in seconds."""

    def __init__(self, message: str, code: str, retry_after: float) -> None:
        self.code = code
        self.retry_after = retry_after
        super().__init__(message)


class ToolCallDeniedError(AirlockError):
    def __init__(self, message: str, decision_header: str) -> None:
        self.decision_header = decision_header
        super().__init__(message)
