from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_settings
from gateway.errors import ConfigError

BASE = """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/TEST_PROVIDER_KEY}
keys:
  - key: %s
    agent: bot
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "airlock.yaml"
    path.write_text(text)
    return path


def test_env_values_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PROVIDER_KEY", "sk-provider")
    monkeypatch.setenv("TEST_AGENT_KEY", "a" * 32)
    settings = load_settings(write(tmp_path, BASE % "os.environ/TEST_AGENT_KEY"))
    assert settings.model_list[0].litellm_params.api_key is not None
    assert settings.model_list[0].litellm_params.api_key.get_secret_value() == "sk-provider"
    assert settings.policy.engine == "embedded" and settings.policy.on_error == "deny"


def test_missing_env_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_PROVIDER_KEY", raising=False)
    with pytest.raises(ConfigError, match="TEST_PROVIDER_KEY is not set"):
        load_settings(write(tmp_path, BASE % ("a" * 32)))


def test_short_keys_refused_outside_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PROVIDER_KEY", "sk")
    with pytest.raises(ConfigError, match="shorter than 20"):
        load_settings(write(tmp_path, BASE % "short"))
    assert load_settings(write(tmp_path, "demo: true\n" + BASE % "short")).demo


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("policy: {engine: wasm}\n", "policy.engine"),
        ("policy: {on_deny: ignore}\n", "policy.on_deny"),
        ("surprise: 1\n", "surprise"),
    ],
)
def test_invalid_values_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, message: str
) -> None:
    monkeypatch.setenv("TEST_PROVIDER_KEY", "sk")
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, BASE % ("a" * 32) + extra))


def test_packaged_example_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AIRLOCK_AGENT_KEY"):
        monkeypatch.setenv(name, "x")
    assert load_settings().demo
