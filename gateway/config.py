"""Settings: one YAML file (DESIGN.md, "Configuration"), validated once at start.

Values written `os.environ/NAME` are read from the environment, LiteLLM's convention.
This is the only module that reads the environment.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.errors import ConfigError

ENV_PREFIX = "os.environ/"
EXAMPLE_CONFIG = Path(__file__).with_name("example.yaml")
MIN_SECRET_LENGTH = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LitellmParams(BaseModel):
    """LiteLLM's `litellm_params`; unknown keys are kept for litellm (e.g. `aws_region_name`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    model: str
    api_base: str | None = None
    api_key: SecretStr | None = None
    timeout: float | None = None

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def provider_model(self) -> str:
        return self.model.split("/", 1)[1] if "/" in self.model else self.model

    def extra_params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ModelEntry(_Strict):
    model_config = ConfigDict(extra="allow", frozen=True)

    model_name: str
    litellm_params: LitellmParams
    model_info: dict[str, Any] | None = None


class Limits(_Strict):
    requests_per_minute: int | None = Field(default=None, gt=0)
    tool_calls_per_minute: int | None = Field(default=None, gt=0)
    tokens_per_minute: int | None = Field(default=None, gt=0)


class Budget(_Strict):
    usd_per_day: float | None = Field(default=None, ge=0)
    usd_per_month: float | None = Field(default=None, ge=0)
    tokens_per_day: int | None = Field(default=None, ge=0)


class AgentKey(_Strict):
    key: SecretStr | None = None
    key_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    agent: str
    team: str | None = None
    limits: Limits = Limits()
    budget: Budget = Budget()

    @model_validator(mode="after")
    def _one_key(self) -> AgentKey:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError(f"agent {self.agent!r}: give exactly one of `key` or `key_sha256`")
        return self

    @property
    def digest(self) -> str:
        if self.key is not None:
            return hashlib.sha256(self.key.get_secret_value().encode()).hexdigest()
        assert self.key_sha256 is not None
        return self.key_sha256.lower()


class Team(_Strict):
    name: str
    limits: Limits = Limits()
    budget: Budget = Budget()


class Approver(_Strict):
    name: str
    token: SecretStr


class PolicySettings(_Strict):
    engine: Literal["embedded", "opa"] = "embedded"
    paths: list[Path] = [Path("rego")]
    opa_url: str = "http://127.0.0.1:8181"
    opa_push: bool = False
    timeout_seconds: float = Field(default=2.0, gt=0)
    mode: Literal["enforce", "monitor"] = "enforce"
    on_error: Literal["deny", "allow"] = "deny"
    on_deny: Literal["rewrite", "error"] = "rewrite"
    watch: bool = False  # reload when the files under `paths` change (polled every second)
    cache_size: int = Field(default=4096, ge=0)  # decisions kept for repeated calls; 0: off


class StateSettings(_Strict):
    redis_url: SecretStr | None = None
    timeout_seconds: float = Field(default=1.0, gt=0)  # per Redis call; then fail closed
    on_error: Literal["deny", "allow"] = "deny"


class ApprovalSettings(_Strict):
    mode: Literal["hold", "async"] = "hold"
    timeout_seconds: float = Field(default=300, gt=0)
    keepalive_seconds: float = Field(default=15, gt=0)  # SSE comments while a stream is held
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None  # HMAC-SHA256 key for X-Airlock-Signature


class AuditSettings(_Strict):
    path: Path | None = None  # one file per host: the workers of one `serve` lock and share it
    hmac_key: SecretStr | None = None  # keys the hash chain (HMAC-SHA256 instead of SHA-256)


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    upstream_timeout_seconds: float = Field(default=600, gt=0)
    # SIGTERM: in-flight requests get this long to finish; held approvals are answered at once
    graceful_shutdown_seconds: int = Field(default=30, gt=0)
    # Browser origins allowed to call the gateway (CORS). Empty: no CORS headers at all.
    cors_origins: list[str] = []


class Settings(BaseSettings):
    """Everything Airlock reads at start.

    `AIRLOCK_<SECTION>__<KEY>` variables fill what the file omits.
    """

    model_config = SettingsConfigDict(
        env_prefix="AIRLOCK_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    demo: bool = False  # allows short demo secrets; never set in production
    model_list: list[ModelEntry] = Field(min_length=1)
    keys: list[AgentKey] = Field(min_length=1)
    teams: list[Team] = []
    approvers: list[Approver] = []
    admin_token: SecretStr | None = None
    policy: PolicySettings = PolicySettings()
    state: StateSettings = StateSettings()
    approvals: ApprovalSettings = ApprovalSettings()
    audit: AuditSettings = AuditSettings()
    server: ServerSettings = ServerSettings()

    @model_validator(mode="after")
    def _secure(self) -> Settings:
        names = [m.model_name for m in self.model_list]
        if len(set(names)) != len(names):
            raise ValueError("model_list: model_name values must be unique")
        digests = [k.digest for k in self.keys]
        if len(set(digests)) != len(digests):
            raise ValueError("keys: the same agent key is configured twice")
        if self.demo:
            return self
        secrets = [("agent key of " + k.agent, k.key) for k in self.keys]
        secrets += [("token of approver " + a.name, a.token) for a in self.approvers]
        secrets.append(("admin_token", self.admin_token))
        secrets.append(("audit.hmac_key", self.audit.hmac_key))
        for what, value in secrets:
            if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{what} is shorter than {MIN_SECRET_LENGTH} characters"
                    " (allowed only with `demo: true`)"
                )
        return self


CONFIG_ENV = "AIRLOCK_CONFIG"


def export_config_path(path: Path | None) -> None:
    """Hand the config file to worker processes (`airlock serve --workers N`)."""
    os.environ[CONFIG_ENV] = str(path) if path else ""


def config_path_from_env() -> Path | None:
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def secret_from_env(name: str) -> str | None:
    """A secret the CLI reads from a named variable, so it need not appear on a command line."""
    return os.environ.get(name) or None


def admin_token_from_env() -> str | None:
    """The CLI's default admin token, so it need not appear on a command line."""
    return os.environ.get("AIRLOCK_ADMIN_TOKEN")


def approver_token_from_env() -> str | None:
    """The CLI's default approver token (`airlock approvals …`), kept off the command line."""
    return os.environ.get("AIRLOCK_APPROVER_TOKEN")


def _resolve_env(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return os.environ[name]
    return value


def _describe(error: ValidationError) -> str:
    lines = []
    for e in error.errors():
        loc = ".".join(str(part) for part in e["loc"]) or "(top level)"
        lines.append(f"{loc}: {e['msg']}")
    return "; ".join(lines)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read, resolve and validate the config file (the packaged example when `path` is None).

    Relative policy and audit paths are taken relative to the working directory.
    """
    source = path or EXAMPLE_CONFIG
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {source}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config {source} must be a mapping at the top level")
    raw = _resolve_env(raw, "config")
    for section, values in overrides.items():
        raw[section] = {**raw.get(section, {}), **values}
    try:
        return Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid config {source}: {_describe(exc)}") from None
