"""gateway/firewall/normalize/recover.py: best-effort reading of broken arguments JSON."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.firewall.normalize import limits
from gateway.firewall.normalize.recover import recover


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"command": "aws ec2 run-instances --image',
            {"command": "aws ec2 run-instances --image"},
        ),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": 1, "b":', {"a": 1}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": "x\\"y\\n', {"a": 'x"y\n'}),
        ('{"a": "x\\u00e9\\u00', {"a": "x\u00e9"}),
        ('{"a": "\\ud800"}', {"a": "\ufffd"}),
        ("{'cmd': 'ls -la', url: 'http://x.io'}", {"cmd": "ls -la", "url": "http://x.io"}),
        (
            '{"t": true, "f": False, "n": null, "x": 1.5e3, "y": -2}',
            {"t": True, "f": False, "n": None, "x": 1500.0, "y": -2},
        ),
        ('{"a": 1}{"b": 2}', [{"a": 1}, {"b": 2}]),
        ('{"a": 1} trailing', [{"a": 1}, "trailing"]),
        ('[{"command": "id"}', [{"command": "id"}]),
        ('{"big": ' + "9" * 5000 + "}", {"big": "9" * 5000}),
        ("ls -la", "ls -la"),
        ("", ""),
        ("}}}]]]", "}}}]]]"),
    ],
)
def test_recover(text: str, expected: Any) -> None:
    assert recover(text) == expected


def test_recovered_nesting_is_capped() -> None:
    value = recover("[" * (limits.MAX_JSON_DEPTH * 3) + "1")
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == limits.MAX_JSON_DEPTH
