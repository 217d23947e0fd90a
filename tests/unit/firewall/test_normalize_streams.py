"""gateway/firewall/normalize/streams.py: what a command writes to stdout, when knowable."""

from __future__ import annotations

import base64

import pytest

from gateway.firewall.normalize.streams import output
from gateway.firewall.normalize.words import BASE64, HEX, REMOTE, REVERSED, Word


def words(*texts: str) -> list[Word]:
    return [Word(t) for t in texts]


ENCODED = base64.b64encode(b"id -u").decode()


@pytest.mark.parametrize(
    ("argv", "stdin", "expected"),
    [
        (("echo", "a", "b"), None, Word("a b\n")),
        (("echo", "-n", "a"), None, Word("a")),
        (("echo", "-ne", "a\\tb"), None, Word("a\tb")),
        (("echo", "-E", "a\\tb"), None, Word("a\\tb\n")),
        (("echo",), None, Word("\n")),
        (("printf", "a\\n"), None, Word("a\n")),
        (("printf", "%s", "x"), None, Word("x")),
        (("printf", "%s\\n", "x"), None, Word("x\n")),
        (("printf", "%d", "1"), None, None),
        (("cat",), Word("data"), Word("data")),
        (("cat", "-"), Word("data"), Word("data")),
        (("cat", "file"), Word("data"), None),
        (("tee", "log"), Word("data"), Word("data")),
        (("base64", "-d"), Word(ENCODED), Word("id -u", origin=BASE64)),
        (("base64", "--decode"), Word(ENCODED + "\n"), Word("id -u", origin=BASE64)),
        (("base64", "-D"), Word(ENCODED.rstrip("=")), Word("id -u", origin=BASE64)),
        (("base64", "-d"), Word("!!not base64!!"), None),
        (("base64", "-d"), Word(base64.b64encode(b"\xff\xfe").decode()), None),
        (("base64",), Word("id"), None),
        (("openssl", "enc", "-base64", "-d"), Word(ENCODED), Word("id -u", origin=BASE64)),
        (("xxd", "-r", "-p"), Word("6964"), Word("id", origin=HEX)),
        (("xxd", "-rp"), Word("zz"), None),
        (("rev",), Word("u- di"), Word("id -u", origin=REVERSED)),
        (("base64", "-d"), Word("", static=False, origin=REMOTE), Word("", False, REMOTE)),
        (("curl", "https://a.io"), None, Word("", static=False, origin=REMOTE)),
        (("ls",), Word("x"), None),
        (("which", "python3"), None, Word("python3\n")),
        (("command", "-v", "python3"), None, Word("python3\n")),
        (("type", "-P", "aws"), None, Word("aws\n")),
        (("command", "python3"), None, None),
        (("which",), None, None),
    ],
)
def test_output(argv: tuple[str, ...], stdin: Word | None, expected: Word | None) -> None:
    assert output(argv[0], words(*argv), stdin) == expected


def test_echo_keeps_the_origin_of_its_arguments() -> None:
    out = output("echo", [Word("echo"), Word("x", static=False, origin=REMOTE)], None)
    assert out == Word("x\n", static=False, origin=REMOTE)
