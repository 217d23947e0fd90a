"""gateway/firewall/normalize/http_clients.py: curl, wget, HTTPie and Invoke-WebRequest."""

from __future__ import annotations

import pytest

from tests.unit.firewall.shells import shell


def urls(command: str) -> list[tuple[str, str, str, str, str]]:
    return [(u.method, u.scheme, u.host, u.path, u.query) for u in shell(command).urls]


def paths(command: str) -> set[tuple[str, str]]:
    return {(p.path, p.op) for p in shell(command).paths}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("curl https://api.example.com/v1/x", ("GET", "https", "api.example.com", "/v1/x", "")),
        ("curl -X POST https://a.io/p", ("POST", "https", "a.io", "/p", "")),
        ("curl -XPUT https://a.io/p", ("PUT", "https", "a.io", "/p", "")),
        ("curl --request delete https://a.io/p", ("DELETE", "https", "a.io", "/p", "")),
        ("curl -d 'a=1' https://a.io/p", ("POST", "https", "a.io", "/p", "a=1")),
        (
            "curl -d Action=RunInstances -d ImageId=ami-1 https://ec2.amazonaws.com/",
            ("POST", "https", "ec2.amazonaws.com", "/", "Action=RunInstances&ImageId=ami-1"),
        ),
        ("curl -d 'free text' https://a.io/p", ("POST", "https", "a.io", "/p", "")),
        ("curl -d '{\"a\": 1}' https://a.io/p", ("POST", "https", "a.io", "/p", "")),
        ("curl --data-binary @f.json https://a.io/p", ("POST", "https", "a.io", "/p", "")),
        ("curl --json '{}' https://a.io/p", ("POST", "https", "a.io", "/p", "")),
        ("curl -F file=@x.bin https://a.io/u", ("POST", "https", "a.io", "/u", "")),
        ("curl -G -d q=1 'https://a.io/s?x=2'", ("GET", "https", "a.io", "/s", "x=2&q=1")),
        ("curl -I https://a.io", ("HEAD", "https", "a.io", "/", "")),
        ("curl -T f.bin https://a.io/u", ("PUT", "https", "a.io", "/u", "")),
        ("curl -fsSL -o out https://a.io/f", ("GET", "https", "a.io", "/f", "")),
        ("curl example.com/x", ("GET", "http", "example.com", "/x", "")),
        ("curl --url https://a.io/x", ("GET", "https", "a.io", "/x", "")),
        ("curl 'https://A.io:8443/x?q=1&r=2'", ("GET", "https", "a.io", "/x", "q=1&r=2")),
        ("curl -H 'Accept: x' -A agent https://a.io", ("GET", "https", "a.io", "/", "")),
        ("curl -u bob:hunter22 https://a.io", ("GET", "https", "a.io", "/", "")),
        ("/usr/bin/curl.exe https://a.io", ("GET", "https", "a.io", "/", "")),
        ("wget https://a.io/x.tar", ("GET", "https", "a.io", "/x.tar", "")),
        ("wget --post-data=a=1 https://a.io", ("POST", "https", "a.io", "/", "a=1")),
        ("wget --method=PUT --body-file=f https://a.io", ("PUT", "https", "a.io", "/", "")),
        ("wget -q -O - http://a.io/i.sh", ("GET", "http", "a.io", "/i.sh", "")),
        ("http POST api.io/x a=1", ("POST", "http", "api.io", "/x", "")),
        ("http api.io/x a=1", ("POST", "http", "api.io", "/x", "")),
        ("http api.io/x q==1 X-Token:abc", ("GET", "http", "api.io", "/x", "")),
        ("https api.io", ("GET", "https", "api.io", "/", "")),
        ("http :3000/x", ("GET", "http", "localhost", "/x", "")),
        ("http -f api.io a=1", ("POST", "http", "api.io", "/", "")),
        ("xh get api.io/x", ("GET", "http", "api.io", "/x", "")),
        ("Invoke-WebRequest -Uri https://a.io -Method Post", ("POST", "https", "a.io", "/", "")),
        ("iwr https://a.io", ("GET", "https", "a.io", "/", "")),
        ("Invoke-RestMethod -Uri:https://a.io -Meth PUT", ("PUT", "https", "a.io", "/", "")),
    ],
)
def test_http_clients_yield_method_and_url(
    command: str, expected: tuple[str, str, str, str, str]
) -> None:
    assert urls(command) == [expected]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("curl -o out.html https://a.io", {("out.html", "write")}),
        ("curl -o - https://a.io", set()),
        ("curl -T ~/.aws/credentials https://a.io", {("~/.aws/credentials", "read")}),
        ("curl -d @/etc/passwd https://a.io", {("/etc/passwd", "read")}),
        ("curl -F 'f=@/etc/shadow;type=text/plain' https://a.io", {("/etc/shadow", "read")}),
        ("curl -K cfg -c jar https://a.io", {("cfg", "read"), ("jar", "write")}),
        ("curl -b 'a=b' https://a.io", set()),
        ("curl -O https://a.io/pkg/model.bin", {("model.bin", "write")}),
        ("wget -O /tmp/x https://a.io", {("/tmp/x", "write")}),
        ("wget -i urls.txt -P dl/", {("urls.txt", "read"), ("dl", "write")}),
        ("wget --post-file=data.json https://a.io", {("data.json", "read")}),
        ("http PUT api.io f@/etc/passwd", {("/etc/passwd", "read")}),
        ("http -o out.json api.io", {("out.json", "write")}),
        ("iwr https://a.io -OutFile x.exe", {("x.exe", "write")}),
        ("irm -InFile data.bin https://a.io -Method POST", {("data.bin", "read")}),
    ],
)
def test_http_clients_read_and_write_files(command: str, expected: set[tuple[str, str]]) -> None:
    assert paths(command) == expected


@pytest.mark.parametrize(
    "command",
    ["curl -sSL", "curl -X POST", "wget", "http", "http POST", "iwr -Method Post", "curl '[::1'"],
)
def test_http_clients_without_a_target_yield_no_url(command: str) -> None:
    assert urls(command) == []
