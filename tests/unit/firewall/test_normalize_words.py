"""gateway/firewall/normalize/words.py: quote removal and program names."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize.words import (
    BASE64,
    VARIABLE,
    Word,
    echo_escapes,
    join,
    program_name,
    unquote_ansi_c,
    unquote_double,
    unquote_word,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("aws", "aws"), ("a\\ws", "aws"), ("a\\ b", "a b"), ("a\\\nb", "ab"), ("\\\\", "\\")],
)
def test_unquote_word(raw: str, expected: str) -> None:
    assert unquote_word(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('a\\"b', 'a"b'), ("\\$x", "$x"), ("\\n", "\\n"), ("a\\\nb", "ab"), ("\\\\", "\\")],
)
def test_unquote_double(raw: str, expected: str) -> None:
    assert unquote_double(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$'a\\x77s'", "aws"),
        ("$'\\141\\167\\163'", "aws"),
        ("$'\\u0061ws'", "aws"),
        ("$'tab\\tq\\''", "tab\tq'"),
        ("$'\\cA'", "\x01"),
        ("$'\\U0010FFFF\\U00110000'", "\U0010ffff\ufffd"),
        ("$'unterminated", "unterminated"),
    ],
)
def test_unquote_ansi_c(raw: str, expected: str) -> None:
    assert unquote_ansi_c(raw) == expected


def test_echo_escapes() -> None:
    assert echo_escapes("a\\nb") == "a\nb"
    assert echo_escapes("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/usr/bin/aws", "aws"),
        ("aws", "aws"),
        ("./run.sh", "run.sh"),
        ("C:\\Tools\\curl.exe", "curl"),
        ("CURL.EXE", "CURL"),
        ("/opt/bin/", "bin"),
        ("/", "/"),
    ],
)
def test_program_name(text: str, expected: str) -> None:
    assert program_name(text) == expected


def test_join_keeps_the_most_telling_origin() -> None:
    joined = join([Word("a"), Word("b", origin=VARIABLE), Word("c", static=False, origin=BASE64)])
    assert joined == Word("abc", static=False, origin=BASE64)
