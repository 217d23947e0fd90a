"""URLs, methods and files of HTTP clients run from the shell: curl, wget, HTTPie, and
PowerShell's Invoke-WebRequest / Invoke-RestMethod.

A URL fact's `query` is the request's parameters: the URL's own query, then form fields sent
as `application/x-www-form-urlencoded` (`curl -d Action=RunInstances`, `curl -G -d q=1`,
`wget --post-data`), since APIs such as AWS's Query API read an operation from either place.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway.firewall.normalize import files
from gateway.firewall.normalize.urls import HTTP_METHODS, looks_like_url, parse_url
from gateway.models import Url

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_CURL_SHORT = "XdFHouAebcxTKwrmEUYyzQtCDP"
# fmt: off
_CURL_LONG = frozenset({
    "--request", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode",
    "--json", "--form", "--form-string", "--header", "--output", "--user", "--user-agent",
    "--referer", "--cookie", "--cookie-jar", "--proxy", "--upload-file", "--config",
    "--write-out", "--range", "--max-time", "--connect-timeout", "--cert", "--key", "--cacert",
    "--capath", "--url", "--resolve", "--connect-to", "--interface", "--retry", "--retry-delay",
    "--retry-max-time", "--limit-rate", "--max-filesize", "--oauth2-bearer", "--proxy-user",
    "--output-dir", "--dump-header", "--trace", "--trace-ascii", "--stderr", "--unix-socket",
    "--netrc-file", "--ciphers", "--local-port", "--max-redirs", "--noproxy", "--preproxy",
    "--proto", "--proto-redir", "--quote", "--socks4", "--socks4a", "--socks5",
    "--socks5-hostname", "--tls-max", "--variable", "--aws-sigv4", "--mail-from", "--mail-rcpt",
    "--ftp-port", "--request-target", "--expect100-timeout", "--keepalive-time", "--hostpubmd5",
    "--pubkey"
})
# fmt: on
_CURL_DATA = ("-d", "-F", "--data", "--json", "--form")
_FORM_OPTIONS = frozenset({"-d", "--data", "--data-raw", "--data-ascii", "--data-urlencode"})
_FORM = re.compile(
    r"[\w.\-\[\]%+]{1,256}=[^&\s]{0,4096}(?:&[\w.\-\[\]%+]{1,256}=[^&\s]{0,4096}){0,256}"
)


def _with_form(url: Url, fields: list[str]) -> Url:
    """`url` with url-encoded form fields appended to its query."""
    form = [f for f in fields if _FORM.fullmatch(f)]
    if form:
        url.query = "&".join([url.query, *form] if url.query else form)
    return url


_CURL_FILES = {"-o": "write", "--output": "write", "-T": "read", "--upload-file": "read",
               "-K": "read", "--config": "read", "-c": "write", "--cookie-jar": "write",
               "-D": "write", "--dump-header": "write", "--netrc-file": "read", "-E": "read",
               "--cert": "read", "--key": "read", "--trace": "write",
               "--trace-ascii": "write", "-b": "read", "--cookie": "read"}  # fmt: skip


def _options(argv: list[str], short: str, long: frozenset[str]) -> list[tuple[str, str]]:
    """(option, value) pairs in order; operands come as ("", operand)."""
    found: list[tuple[str, str]] = []
    i = 1
    literal = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if literal or len(arg) < 2 or arg[0] != "-":
            found.append(("", arg))
        elif arg == "--":
            literal = True
        elif arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if not eq and name in long and i < len(argv):
                value = argv[i]
                i += 1
            found.append((name, value))
        else:
            for j in range(1, len(arg)):
                if arg[j] in short:
                    value = arg[j + 1 :]
                    if not value and i < len(argv):
                        value = argv[i]
                        i += 1
                    found.append(("-" + arg[j], value))
                    break
                found.append(("-" + arg[j], ""))
    return found


def _data_file(option: str, value: str) -> str | None:
    """`-d @file`, `--data-binary @file`, `-F name=@file;type=…` upload a local file."""
    if option in ("-F", "--form"):
        _, _, value = value.partition("=")
        value = value.split(";", 1)[0]
        return value[1:] if value.startswith(("@", "<")) else None
    return value[1:] if value.startswith("@") else None


def curl(ctx: Context, argv: list[str]) -> None:
    method = ""
    head = get = upload = data = remote_name = False
    targets: list[str] = []
    fields: list[str] = []
    for option, value in _options(argv, _CURL_SHORT, _CURL_LONG):
        if not option or option == "--url":
            targets.append(value)
        elif option in ("-X", "--request"):
            method = value.upper()
        elif option in ("-I", "--head"):
            head = True
        elif option in ("-G", "--get"):
            get = True
        elif option in ("-O", "--remote-name", "--remote-name-all"):
            remote_name = True
        elif option.startswith(_CURL_DATA):
            data = True
            path = _data_file(option, value)
            if path:
                files.add(ctx, path, "read")
            elif option in _FORM_OPTIONS:
                fields.append(value)
        if option in _CURL_FILES and value and not (option in ("-b", "--cookie") and "=" in value):
            upload = upload or option in ("-T", "--upload-file")
            files.add(ctx, value, _CURL_FILES[option])  # type: ignore[arg-type]
    if not method:
        method = "HEAD" if head else "PUT" if upload else "GET" if get or not data else "POST"
    for target in targets:
        url = parse_url(target, method) if looks_like_url(target) else None
        if url is not None:
            ctx.facts.url(_with_form(url, fields))
            name = url.path.rsplit("/", 1)[-1]
            if remote_name and name:
                files.add(ctx, name, "write")


_WGET_SHORT = "OoaiPUtTwelADRQB"
# fmt: off
_WGET_LONG = frozenset({
    "--output-document", "--output-file", "--append-output", "--input-file", "--directory-prefix",
    "--user-agent", "--tries", "--timeout", "--wait", "--execute", "--level", "--accept",
    "--reject", "--domains", "--base", "--post-data", "--post-file", "--method", "--body-data",
    "--body-file", "--header", "--user", "--password", "--http-user", "--http-password",
    "--ftp-user", "--ftp-password", "--load-cookies", "--save-cookies", "--referer",
    "--bind-address", "--limit-rate", "--quota", "--ca-certificate", "--certificate",
    "--private-key"
})
# fmt: on
_WGET_FILES = {
    "-O": "write",
    "--output-document": "write",
    "-o": "write",
    "--output-file": "write",
    "-a": "write",
    "--append-output": "write",
    "-i": "read",
    "--input-file": "read",
    "-P": "write",
    "--directory-prefix": "write",
    "--post-file": "read",
    "--body-file": "read",
    "--load-cookies": "read",
    "--save-cookies": "write",
    "--certificate": "read",
    "--private-key": "read",
}  # fmt: skip


def wget(ctx: Context, argv: list[str]) -> None:
    method = ""
    post = False
    targets: list[str] = []
    fields: list[str] = []
    for option, value in _options(argv, _WGET_SHORT, _WGET_LONG):
        if not option:
            targets.append(value)
        elif option == "--method":
            method = value.upper()
        elif option in ("--post-data", "--post-file"):
            post = True
            if option == "--post-data":
                fields.append(value)
        if option in _WGET_FILES and value:
            files.add(ctx, value, _WGET_FILES[option])  # type: ignore[arg-type]
    method = method or ("POST" if post else "GET")
    for target in targets:
        url = parse_url(target, method) if looks_like_url(target) else None
        if url is not None:
            ctx.facts.url(_with_form(url, fields))


_HTTPIE_SHORT = "aAospPv"
# fmt: off
_HTTPIE_LONG = frozenset({
    "--auth", "--auth-type", "--output", "--session", "--session-read-only", "--verify", "--cert",
    "--cert-key", "--timeout", "--proxy", "--style", "--print", "--pretty", "--format-options",
    "--boundary", "--max-redirects", "--max-headers", "--history-print", "--ssl", "--ciphers",
    "--default-scheme", "--raw", "--response-charset", "--response-mime"
})
# fmt: on
_ITEM = re.compile(r"(==|:=@|=@|:=|@|=|:)")


def httpie(ctx: Context, program: str, argv: list[str]) -> None:
    operands: list[str] = []
    form = raw = False
    for option, value in _options(argv, _HTTPIE_SHORT, _HTTPIE_LONG):
        if not option:
            operands.append(value)
        elif option in ("-o", "--output") and value:
            files.add(ctx, value, "write")
        elif option in ("-f", "--form", "--multipart"):
            form = True
        elif option == "--raw":
            raw = True
    method = ""
    if len(operands) >= 2 and operands[0].upper() in HTTP_METHODS and operands[0].isalpha():
        method = operands.pop(0).upper()
    if not operands:
        return
    target, items = operands[0], operands[1:]
    has_data = raw
    for item in items:
        separator = _ITEM.search(item)
        if separator is None:
            continue
        if separator.group() in ("=", ":=", "@", "=@", ":=@"):
            has_data = True
        if "@" in separator.group():
            files.add(ctx, item[separator.end() :], "read")
    method = method or ("POST" if has_data or (form and items) else "GET")
    if target.startswith(":"):
        target = "localhost" + target
    scheme = "https" if program in ("https", "xhs") else "http"
    url = parse_url(target, method, default_scheme=scheme)
    if url is not None:
        ctx.facts.url(url)


_PS_VALUES = ("-uri", "-method", "-outfile", "-infile", "-body", "-headers", "-contenttype",
              "-credential", "-proxy", "-proxycredential", "-timeoutsec", "-useragent",
              "-websession", "-sessionvariable", "-maximumredirection", "-form", "-certificate",
              "-certificatethumbprint", "-transferencoding", "-custommethod",
              "-erroraction")  # fmt: skip


def _ps_parameter(arg: str) -> str | None:
    """PowerShell accepts any unambiguous prefix of a parameter name, in any case."""
    name = arg.lower()
    if name in _PS_VALUES:
        return name
    matches = [p for p in _PS_VALUES if p.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def invoke_web_request(ctx: Context, argv: list[str]) -> None:
    method = "GET"
    targets: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-") or len(arg) < 2:
            targets.append(arg)
            continue
        name, colon, value = arg.partition(":")
        parameter = _ps_parameter(name)
        if parameter is None:
            continue
        if not colon and i < len(argv):
            value = argv[i]
            i += 1
        if parameter == "-uri":
            targets.append(value)
        elif parameter in ("-method", "-custommethod"):
            method = value.upper()
        elif parameter == "-outfile":
            files.add(ctx, value, "write")
        elif parameter == "-infile":
            files.add(ctx, value, "read")
    for target in targets:
        url = parse_url(target.strip("'\""), method) if looks_like_url(target) else None
        if url is not None:
            ctx.facts.url(url)
