from __future__ import annotations

from typing import Any

import pytest

from gateway.api.body import check_chat_request
from gateway.errors import RequestError

GOOD: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": GOOD["messages"]}, "model"),
        ({**GOOD, "model": 3}, "model"),
        ({**GOOD, "model": ""}, "model"),
        ({"model": "m"}, "messages"),
        ({**GOOD, "messages": []}, "messages"),
        ({**GOOD, "messages": "hi"}, "messages"),
        ({**GOOD, "messages": ["hi"]}, "messages[0]"),
        ({**GOOD, "messages": [{"content": "hi"}]}, "messages[0].role"),
        ({**GOOD, "stream": "yes"}, "stream"),
        ({**GOOD, "stream_options": []}, "stream_options"),
        ({**GOOD, "tools": {}}, "tools"),
        ({**GOOD, "n": True}, "n"),
        ({**GOOD, "n": 1.5}, "n"),
        ({**GOOD, "api_base": "http://evil"}, "api_base"),
        ({**GOOD, "api_key": "sk-x"}, "api_key"),
    ],
)
def test_bad_fields_are_named(body: dict[str, Any], param: str) -> None:
    with pytest.raises(RequestError) as caught:
        check_chat_request(body)
    assert caught.value.param == param


def test_good_request_passes() -> None:
    check_chat_request({**GOOD, "stream": True, "tools": [], "n": 1, "stream_options": {}})
