"""Providers that are not OpenAI-compatible go through litellm, translated to and from OpenAI's
format. `hosted_vllm/…` is such a provider for the gateway (it is not forwarded raw), and it
speaks to the scripted upstream, so the whole litellm path runs for real."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.integration.harness import PROVIDER_KEY, Gateway, config, running_gateway


@pytest.fixture(scope="module")
def gateway(scripted_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = config(scripted_upstream)
    settings["model_list"] = [
        {
            "model_name": "vllm-test",
            "litellm_params": {
                "model": "hosted_vllm/llama-3-70b",
                "api_base": scripted_upstream,
                "api_key": PROVIDER_KEY,
            },
        }
    ]
    with running_gateway(tmp_path_factory.mktemp("litellm"), settings) as gw:
        yield gw


def client(gw: Gateway) -> openai.OpenAI:
    return gw.sdk()


def test_litellm_answer_is_decided(gateway: Gateway) -> None:
    answer = client(gateway).chat.completions.create(
        model="vllm-test", messages=[{"role": "user", "content": "scenario:benign_and_forbidden"}]
    )
    calls = answer.choices[0].message.tool_calls or []
    assert [json.loads(c.function.arguments)["command"] for c in calls] == ["ls -la"]
    assert "was blocked" in (answer.choices[0].message.content or "")


def test_litellm_stream_is_decided(gateway: Gateway) -> None:
    stream = client(gateway).chat.completions.create(
        model="vllm-test",
        stream=True,
        messages=[{"role": "user", "content": "scenario:text_and_tool_stream"}],
    )
    text, arguments = "", ""
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for part in choice.delta.tool_calls or []:
                arguments += part.function.arguments or "" if part.function else ""
    assert "ls -la" in arguments and "run-instances" not in arguments
    assert "was blocked" in text


def test_litellm_upstream_failure_is_502(gateway: Gateway) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).chat.completions.create(
            model="vllm-test", messages=[{"role": "user", "content": "scenario:upstream_500"}]
        )
    assert caught.value.status_code == 502
