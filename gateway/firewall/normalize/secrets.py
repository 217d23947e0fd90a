"""The secret scanner: which kinds of credential a text contains, and where.

Each detector is a compiled pattern guarded by cheap substring triggers, so a text without
any trigger costs a few `in` checks. Values are never returned, only their type and span;
`mask_secrets` uses the same detectors so that what is reported is exactly what is masked.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

# A credential value after `=`, `:` or whitespace: quoted, or a bare shell word. The
# possessive quantifier and the look-ahead reject code such as `password=get_pw()`.
_VALUE = (
    r"""(?P<v>"[^"\n]{1,256}"|'[^'\n]{1,256}'"""
    r"""|[^\s"'`$<>|;&()\[\]{},-][^\s"'`<>|;&()\[\]{},]{0,255}+)(?![(\[])"""
)
_PLACEHOLDERS = frozenset(
    {"password", "passwd", "pass", "secret", "token", "string", "str", "text", "none", "null",
     "true", "false", "yes", "no", "required", "prompt", "redacted", "hidden"}
)  # fmt: skip
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")


def plausible_value(value: str) -> bool:
    """False for placeholders, references and code identifiers that merely look like values."""
    value = value.strip("\"'")
    if len(value) < 3 or value[0] in "$%{<[*#" or value.lower() in _PLACEHOLDERS:
        return False
    if set(value) <= {"x", "X", "*", "."}:
        return False
    return _DOTTED_NAME.fullmatch(value) is None


Accept = Callable[[str, "re.Match[str]"], bool]


def _plausible(text: str, match: re.Match[str]) -> bool:
    return plausible_value(match.group("v"))


def _in_command_of(programs: str) -> Accept:
    """Accept a match only inside a command of one of `programs` (`mysql … -pSECRET`)."""
    program = re.compile(rf"(?<![\w-])(?:{programs})(?:\s|$)")

    def accept(text: str, match: re.Match[str]) -> bool:
        window = text[max(0, match.start() - 300) : match.start()]
        segment = window[max(window.rfind(c) for c in "\n;&|") + 1 :]
        return program.search(segment) is not None and plausible_value(match.group("v"))

    return accept


@dataclass(frozen=True, slots=True)
class _Detector:
    type: str
    pattern: re.Pattern[str]
    triggers: tuple[str, ...]
    lowered: bool = False  # triggers are matched against the lower-cased text
    accept: Accept | None = None


def _d(
    type_: str,
    pattern: str,
    *triggers: str,
    lowered: bool = False,
    accept: Accept | None = None,
) -> _Detector:
    return _Detector(type_, re.compile(pattern), triggers, lowered, accept)


_MYSQL = r"mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow|mysqlcheck"

# Order is priority: a later detector's match that overlaps an earlier one is not reported.
# fmt: off
_DETECTORS: tuple[_Detector, ...] = (
    _d(
        "private_key",
        r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-(?!----)){0,16384}+"
        r"(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----)?",
        "PRIVATE KEY",
    ),
    _d(
        "aws_access_key_id",
        r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
        "AKIA",
        "ASIA",
        "ABIA",
        "ACCA",
        "A3T",
    ),
    _d(
        "aws_secret_access_key",
        r"(?i:secret[_-]?access[_-]?key)[\s\"':=]{1,6}(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        "secret",
        lowered=True,
    ),
    _d(
        "github_token",
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"
        r"(?![A-Za-z0-9_])",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
    ),
    _d("gitlab_token", r"glpat-[A-Za-z0-9_-]{20,255}", "glpat-"),
    _d(
        "stripe_key",
        r"(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9])",
        "k_live_",
        "k_test_",
    ),
    _d("anthropic_api_key", r"sk-ant-[A-Za-z0-9_-]{20,255}", "sk-ant-"),
    # Airlock's own agent keys: one created at runtime is stored only as a digest, so the
    # gateway knows it by its shape alone: token_urlsafe(32) after the prefix, 43 characters.
    _d(
        "airlock_agent_key",
        r"(?<![A-Za-z0-9_-])sk-airlock-[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        "sk-airlock-",
    ),
    _d(
        "openai_api_key",
        r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,255}"
        r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})(?![A-Za-z0-9_-])",
        "sk-",
    ),
    _d(
        "slack_webhook",
        r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,255}",
        "hooks.slack.com",
    ),
    _d("slack_token", r"xox[abposre]-[A-Za-z0-9-]{10,255}", "xox"),
    _d("google_api_key", r"AIza[0-9A-Za-z_-]{35}", "AIza"),
    _d("huggingface_token", r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{34,40}(?![A-Za-z0-9_])", "hf_"),
    _d("npm_token", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", "npm_"),
    _d(
        "jwt",
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,4096}\.eyJ[A-Za-z0-9_-]{10,8192}"
        r"\.[A-Za-z0-9_-]{0,4096}",
        "eyJ",
    ),
    _d(
        "url_basic_auth",
        r"(?i:[a-z][a-z0-9+.-]{1,15})://[^\s/:@\"'<>]{1,128}:(?P<v>[^\s/@\"'<>]{1,256})@"
        r"(?=[A-Za-z0-9\[])",
        "://",
        accept=_plausible,
    ),
    _d(
        "authorization_header",
        r"(?i:(?:proxy-)?authorization[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?:bearer|token|basic|digest)"
        r"\s+|(?:x-api-key|api-key|x-auth-token|private-token)[\"']?\s{0,3}:\s{0,3}[\"']?"
        r"|--oauth2-bearer[=\s]\s{0,3}[\"']?)(?P<v>[A-Za-z0-9._~+/=-]{8,4096})",
        "authorization",
        "api-key",
        "auth-token",
        "private-token",
        "oauth2-bearer",
        lowered=True,
    ),
    _d(
        "password",
        r"(?<![\w-])(?:--?(?:password|passwd)|-pass(?:in|out)?)(?:=|\s+)" + _VALUE,
        "pass",
        lowered=True,
        accept=_plausible,
    ),
    _d(
        "password",
        r"(?<=\s)-p(?P<v>[^\s'\"-][^\s'\"]*|'[^'\n]+'|\"[^\"\n]+\")",
        "mysql",
        "mariadb",
        accept=_in_command_of(_MYSQL),
    ),
    _d("password", r"(?<![\w-])sshpass\s+-p\s*" + _VALUE, "sshpass", accept=_plausible),
    _d(
        "password",
        r"(?<=\s)(?:-u\s*|--user[=\s]\s*)[\"']?[^\s:'\"]+:(?P<v>[^\s'\"]+)",
        "curl",
        accept=_in_command_of("curl"),
    ),
    _d(
        "password",
        r"(?i)(?<![A-Za-z0-9_])(?:[A-Za-z0-9_]*(?:password|passwd|passphrase)[A-Za-z0-9_]*"
        r"|mysql_pwd)[\"']?\s{0,3}[=:]\s{0,3}" + _VALUE,
        "pass",
        "mysql_pwd",
        lowered=True,
        accept=_plausible,
    ),
    _d(
        "credential_assignment",
        r"(?<![A-Za-z0-9_])[A-Z0-9_]*(?:TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)"
        r"[A-Z0-9_]*[\"']?\s{0,3}[=:]\s{0,3}" + _VALUE,
        "TOKEN",
        "SECRET",
        "KEY",
        accept=_plausible,
    ),
)
# fmt: on


_REDACTED = re.compile(r"\[REDACTED:[a-z_]+\]")
_ANY_CASED = re.compile(
    "|".join(re.escape(t) for d in _DETECTORS if not d.lowered for t in d.triggers)
)
_ANY_LOWERED = re.compile(
    "|".join(re.escape(t) for d in _DETECTORS if d.lowered for t in d.triggers), re.IGNORECASE
)


def find_secrets(text: str) -> list[tuple[str, int, int]]:
    """Every secret in `text` as (type, start, end) of its value, in priority order."""
    if len(text) < 8:
        return []
    if len(text) < 4096 and not (_ANY_CASED.search(text) or _ANY_LOWERED.search(text)):
        return []  # one pass beats many `in` checks on short text, not on long text
    found: list[tuple[str, int, int]] = []
    starts: list[int] = []  # claimed spans, disjoint and sorted, for overlap checks
    ends: list[int] = []
    if "[REDACTED:" in text:  # already masked: nothing may match across a marker
        for marker in _REDACTED.finditer(text):
            starts.append(marker.start())
            ends.append(marker.end())
    lowered: str | None = None
    for detector in _DETECTORS:
        haystack = text
        if detector.lowered:
            if lowered is None:
                lowered = text.lower()
            haystack = lowered
        for trigger in detector.triggers:
            if trigger in haystack:
                break
        else:
            continue
        has_value = "v" in detector.pattern.groupindex
        for match in detector.pattern.finditer(text):
            start, end = match.span("v") if has_value else match.span()
            if start < 0 or (detector.accept is not None and not detector.accept(text, match)):
                continue
            index = bisect_left(starts, end)
            if index and ends[index - 1] > start:
                continue
            index = bisect_left(starts, start)
            starts.insert(index, start)
            ends.insert(index, end)
            found.append((detector.type, start, end))
    return found


def secret_types(text: str) -> list[str]:
    """The distinct secret types in `text`, in the order the scanner ranks them."""
    return list(dict.fromkeys(kind for kind, _, _ in find_secrets(text)))


def masked_types(text: str) -> tuple[str, list[str]]:
    """`text` masked, and the secret types that were masked: one scan for both."""
    found = find_secrets(text)
    return _masked(text, found), list(dict.fromkeys(kind for kind, _, _ in found))


def mask_secrets(text: str) -> str:
    """Replace every secret the scanner finds with `[REDACTED:<type>]`."""
    if not isinstance(text, str):
        text = str(text)
    return _masked(text, find_secrets(text))


def _masked(text: str, found: list[tuple[str, int, int]]) -> str:
    if not found:
        return text
    spans = sorted(found, key=lambda span: span[1])
    parts: list[str] = []
    position = 0
    for kind, start, end in spans:
        parts.append(text[position:start])
        parts.append(f"[REDACTED:{kind}]")
        position = end
    parts.append(text[position:])
    return "".join(parts)
