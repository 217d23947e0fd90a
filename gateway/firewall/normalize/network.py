"""Programs that open connections themselves: ssh, netcat and its kin, socat, telnet, port
scanners and DNS lookups.

Each host such a program reaches is a URL fact without a method: `scheme` says how
(`ssh`, `tcp`, `udp`, `dns`, or "" for a scanner's target), `port` is set when one port is
named. Commands these programs run on either end of the connection (`nc -e /bin/sh`,
`socat EXEC:…`, `ssh host 'cmd'`) are handed back to the shell parser.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway.firewall.normalize import files
from gateway.firewall.normalize.urls import has_scheme, port_number, target
from gateway.firewall.normalize.words import Word, spaced

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_SSH_VALUES = "bcDEeFIiJLlmOopQRSWwB"


def ssh(ctx: Context, words: list[Word], stdin: Word | None) -> None:
    argv = [w.text for w in words]
    i = 1
    port = None
    while i < len(argv) and argv[i].startswith("-") and len(argv[i]) > 1:
        arg = argv[i]
        i += 1
        if arg == "--":
            break
        for j in range(1, len(arg)):
            if arg[j] in _SSH_VALUES:
                value = arg[j + 1 :]
                if not value and i < len(argv):
                    value = argv[i]
                    i += 1
                if arg[j] in "iF":
                    files.add(ctx, value, "read")
                elif arg[j] == "p":
                    port = port_number(value)
                elif arg[j] == "o":  # -o ProxyCommand=… runs a local command
                    name, _, command = value.replace("=", " ", 1).partition(" ")
                    if name.lower() in ("proxycommand", "localcommand"):
                        ctx.payload(Word(command.strip()), "shell")
                break
    if i >= len(argv):
        return
    destination = argv[i] if has_scheme(argv[i]) else argv[i].rpartition("@")[2]
    url = target(destination, "ssh", port)
    if url is not None:
        ctx.facts.url(url)
    if i + 1 < len(words):
        ctx.payload(spaced(words[i + 1 :]), "shell")
    elif stdin is not None:  # `ssh host <<EOF`: the remote shell reads the script
        ctx.payload(stdin, "shell")


# Options of the netcat family (OpenBSD nc, traditional nc, ncat) that take a value.
_NC_VALUES = "cegGiIMmOpPqsTVwXxo"
_NC_LONG = frozenset({"--exec", "--sh-exec", "--lua-exec", "--source-port", "--source", "--wait",
                      "--idle-timeout", "--proxy", "--proxy-type", "--proxy-auth", "--output",
                      "--hex-dump", "--append-output", "--allow", "--allowfile", "--deny",
                      "--denyfile", "--max-conns", "--ssl-cert", "--ssl-key", "--ssl-trustfile",
                      "--ssl-ciphers", "--ssl-alpn", "--proxy-dns", "--delay"})  # fmt: skip


def netcat(ctx: Context, words: list[Word]) -> None:
    """`nc host port`, `nc -e /bin/sh host port`, `ncat -lvp 4444 --sh-exec 'cmd'`."""
    argv = [w.text for w in words]
    operands: list[str] = []
    listen = udp = False
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if len(arg) < 2 or arg[0] != "-":
            operands.append(arg)
            continue
        name, eq, value = arg.partition("=")
        option = ""
        if arg.startswith("--"):
            listen = listen or name == "--listen"
            udp = udp or name == "--udp"
            if name in _NC_LONG:
                option = name
                if not eq and i < len(argv):
                    value, i = argv[i], i + 1
        else:
            for j in range(1, len(arg)):
                listen = listen or arg[j] == "l"
                udp = udp or arg[j] == "u"
                if arg[j] in _NC_VALUES:
                    option, value = "-" + arg[j], arg[j + 1 :]
                    if not value and i < len(argv):
                        value, i = argv[i], i + 1
                    break
        if option in ("-e", "--exec", "-c", "--sh-exec"):
            ctx.payload(Word(value), "shell")
        elif option in ("-o", "--output", "--hex-dump", "--append-output"):
            files.add(ctx, value, "write")
    if listen or not operands:
        return
    port = port_number(operands[1]) if len(operands) == 2 else None
    url = target(operands[0], "udp" if udp else "tcp", port)
    if url is not None:
        ctx.facts.url(url)


def telnet(ctx: Context, argv: list[str]) -> None:
    operands = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("-") and len(arg) > 1:
            if arg[1:] in ("l", "n", "e", "b", "X", "k", "S"):
                i += 1
            continue
        operands.append(arg)
    if operands:
        port = port_number(operands[1]) if len(operands) > 1 else None
        url = target(operands[0], "tcp", port)
        if url is not None:
            ctx.facts.url(url)


_SOCAT_CONNECT = ("tcp", "udp", "sctp", "openssl", "ssl", "socks4", "socks4a", "socks5", "proxy")


def socat(ctx: Context, argv: list[str]) -> None:
    """socat's two addresses: `TCP:host:port`, `EXEC:cmd,pty`, `OPEN:file`, …"""
    i = 1
    while i < len(argv) and argv[i].startswith("-") and len(argv[i]) > 1:
        i += 2 if argv[i] in ("-T", "-b", "-lf", "-lp", "-L", "-W") else 1
    for address in argv[i : i + 2]:
        kind, colon, rest = address.partition(":")
        kind = kind.lower()
        if not colon:
            continue
        if kind in ("exec", "system"):
            ctx.payload(Word(rest.split(",", 1)[0]), "shell")
        elif kind in ("open", "gopen", "file", "create", "pipe"):
            files.add(ctx, rest.split(",", 1)[0], "write" if kind == "create" else "read")
        elif kind.startswith(_SOCAT_CONNECT) and "listen" not in kind:
            parts = rest.split(",", 1)[0].split(":")
            if kind.startswith(("socks", "proxy")) and len(parts) > 2:
                parts = parts[1:]  # the proxy first, then the host it is asked to reach
            port = port_number(parts[1]) if len(parts) > 1 else None
            scheme = "udp" if kind.startswith("udp") else "tcp"
            url = target(parts[0], scheme, port)
            if url is not None:
                ctx.facts.url(url)


# Options of port scanners that take a value (nmap, masscan, zmap, hping3, rustscan, …);
# their other operands are the targets. A letter that is a flag for one scanner and takes a
# value in another (`nmap -n`, `zmap -n N`) is left out: a lost target is worse than a
# stray one.
_SCAN_VALUES = frozenset({
    "-p", "-e", "-g", "-D", "-b", "-iL", "-iR", "-oN", "-oX", "-oS", "-oG", "-oA", "-oJ", "-oL",
    "-oB", "-sI", "-o", "-w", "-B", "-t", "-s", "-G", "-i", "-c", "-M", "-a", "-I", "-8",
    "--script", "--script-args",
    "--script-args-file", "--exclude", "--excludefile", "--top-ports", "--source-port", "--ports",
    "--data-length", "--ttl", "--spoof-mac", "--proxies", "--host-timeout", "--max-retries",
    "--min-rate", "--max-rate", "--dns-servers", "--datadir", "--port-ratio", "--rate",
    "--version-intensity", "--scan-delay", "--max-scan-delay", "--mtu", "--data", "--adapter",
    "--data-string", "--resume", "--output-format", "--output-filename", "--adapter-ip",
    "--adapter-port", "--router-mac", "--source-ip", "--wait", "--shard", "--seed", "--conf",
    "--interface", "--output-fields", "--output-module", "--probe-module", "--bandwidth",
    "--blocklist-file", "--allowlist-file", "--addresses", "--batch-size", "--timeout", "--tries",
    "--ulimit", "--scan-order", "--interval", "--count", "--destport", "--baseport",
})  # fmt: skip
_SCAN_FILES = {"-iL": "read", "--excludefile": "read", "--blocklist-file": "read",
               "--allowlist-file": "read", "-oN": "write", "-oX": "write", "-oS": "write",
               "-oG": "write", "-oJ": "write", "-oL": "write", "-oB": "write",
               "--output-filename": "write"}  # fmt: skip
_PORT_OPTIONS = ("-p", "--ports", "--destport")


def scanner(ctx: Context, argv: list[str]) -> None:
    """`nmap -p 22 10.0.0.0/24`: every target, with the port when exactly one is scanned."""
    targets: list[str] = []
    port = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-") or len(arg) < 2:
            targets.extend(t for t in arg.split(",") if t)
            continue
        name, eq, value = arg.partition("=")
        if name not in _SCAN_VALUES:
            continue
        if not eq and i < len(argv):
            value, i = argv[i], i + 1
        if name in _PORT_OPTIONS:
            port = port_number(value)
        elif name in _SCAN_FILES:
            files.add(ctx, value, _SCAN_FILES[name])  # type: ignore[arg-type]
    for text in targets:
        if any(c in text for c in ".:") or text == "localhost":
            url = target(text, "", port)
            if url is not None:
                ctx.facts.url(url)


_GIT_REMOTE_VERBS = frozenset({"clone", "push", "pull", "fetch", "remote", "submodule",
                               "ls-remote", "archive"})  # fmt: skip
_SCP_LIKE = re.compile(r"[A-Za-z0-9._-]{1,64}@([A-Za-z0-9.-]{1,253}):(?!//)")


def git_remotes(ctx: Context, argv: list[str]) -> None:
    """`git clone git@github.com:org/repo.git`: git's scp-like syntax reaches a host over ssh."""
    if not _GIT_REMOTE_VERBS.intersection(argv[1:4]):
        return
    for arg in argv[2:]:
        match = _SCP_LIKE.match(arg)
        if match is not None:
            url = target(match.group(1), "ssh")
            if url is not None:
                ctx.facts.url(url)


def lookup(ctx: Context, argv: list[str]) -> None:
    """`dig @server name`, `nslookup name server`, `host name`: the names asked about."""
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg.startswith("@"):
            url = target(arg[1:], "dns")
            if url is not None:
                ctx.facts.url(url)
        elif arg.startswith(("-", "+")):
            skip = arg in ("-p", "-t", "-c", "-q", "-x", "-k", "-y", "-b", "-f", "-W", "-R")
        elif "." in arg:
            url = target(arg, "dns")
            if url is not None:
                ctx.facts.url(url)
