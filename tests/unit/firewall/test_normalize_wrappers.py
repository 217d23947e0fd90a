"""gateway/firewall/normalize/wrappers.py: sudo, env, timeout, … are stripped from commands."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize import normalize
from gateway.firewall.normalize.wrappers import WRAPPERS, unwrap


def commands(command: str) -> list[tuple[str, list[str]]]:
    return [(c.program, c.argv) for c in normalize("bash", {"command": command}).commands]


@pytest.mark.parametrize(
    "command",
    [
        "sudo aws s3 ls",
        "sudo -u root -E aws s3 ls",
        "sudo -- aws s3 ls",
        "sudo AWS_PROFILE=prod aws s3 ls",
        "doas -u root aws s3 ls",
        "env FOO=1 BAR=2 aws s3 ls",
        "env -i -u HOME aws s3 ls",
        "timeout 30 aws s3 ls",
        "timeout -s KILL -k 5 30s aws s3 ls",
        "timeout --signal=KILL 30s aws s3 ls",
        "nice -n 10 aws s3 ls",
        "nice -10 aws s3 ls",
        "nohup aws s3 ls &",
        "time -p aws s3 ls",
        "command aws s3 ls",
        "exec aws s3 ls",
        "builtin aws s3 ls",
        "stdbuf -oL -e0 aws s3 ls",
        "stdbuf -o L aws s3 ls",
        "setsid -f aws s3 ls",
        "ionice -c 3 aws s3 ls",
        "taskset -c 0 aws s3 ls",
        "chroot /srv aws s3 ls",
        "proxychains4 -q aws s3 ls",
        "torsocks aws s3 ls",
        "xargs aws s3 ls",
        "xargs -0 -n 1 aws s3 ls",
        "xargs -I{} aws s3 ls",
        "find . -print0 | xargs -0 -P 4 aws s3 ls",
        "sudo -u x env A=1 timeout 5 nice -n 1 nohup /usr/local/bin/aws s3 ls",
    ],
)
def test_wrappers_are_stripped(command: str) -> None:
    found = [(p, argv) for p, argv in commands(command) if p not in (*WRAPPERS, "find")]
    assert len(found) == 1
    program, argv = found[0]
    assert program == "aws"
    assert argv[0].endswith("aws")
    assert argv[1:] == ["s3", "ls"]


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("sudo -i", "sudo"),
        ("sudo -l", "sudo"),
        ("sudo -l aws", "sudo"),
        ("env", "env"),
        ("env FOO=1", "env"),
        ("timeout 5", "timeout"),
        ("command -v aws", "command"),
        ("nohup", "nohup"),
        ("xargs", "xargs"),
        ("ionice -p 42", "ionice"),
    ],
)
def test_a_wrapper_with_nothing_to_run_is_the_command(command: str, program: str) -> None:
    assert [p for p, _ in commands(command)] == [program]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "sudo -u x env A=1 timeout 5 nohup aws s3 ls",
            [
                ("sudo", ["sudo", "-u", "x"]),
                ("env", ["env", "A=1"]),
                ("timeout", ["timeout", "5"]),
                ("nohup", ["nohup"]),
                ("aws", ["aws", "s3", "ls"]),
            ],
        ),
        ("setsid -f ./agent", [("setsid", ["setsid", "-f"]), ("agent", ["./agent"])]),
        ("torsocks curl x.io", [("torsocks", ["torsocks"]), ("curl", ["curl", "x.io"])]),
        # an assignment before a command changes its environment exactly as `env` would
        ("A=1 B=$x aws s3 ls", [("env", ["env", "A=1", "B=$x"]), ("aws", ["aws", "s3", "ls"])]),
    ],
)
def test_wrappers_are_commands_of_their_own(
    command: str, expected: list[tuple[str, list[str]]]
) -> None:
    assert commands(command) == expected


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("LD_PRELOAD=/tmp/hook.so ls", "/tmp/hook.so"),
        ("env LD_PRELOAD=/tmp/a.so:/tmp/b.so ls", "/tmp/b.so"),
        ("sudo DYLD_INSERT_LIBRARIES=/tmp/x.dylib /Applications/App", "/tmp/x.dylib"),
    ],
)
def test_preloaded_libraries_are_executed(command: str, path: str) -> None:
    facts = normalize("bash", {"command": command})
    assert (path, "exec") in {(p.path, p.op) for p in facts.paths}


def test_urls_in_the_environment_are_destinations() -> None:
    facts = normalize("bash", {"command": "OPENAI_BASE_URL=https://proxy.example/v1 python a.py"})
    assert [(u.host, u.path) for u in facts.urls] == [("proxy.example", "/v1")]


def test_env_split_string_is_parsed() -> None:
    assert commands("env -S 'aws s3' ls") == [("aws", ["aws", "s3", "ls"])]


def test_raw_keeps_the_wrapper() -> None:
    facts = normalize("bash", {"command": "sudo -u root aws s3 ls"})
    assert facts.commands[0].raw == "sudo -u root aws s3 ls"


@pytest.mark.parametrize(
    ("command", "path", "op"),
    [
        ("strace -f -o /tmp/trace aws s3 ls", "/tmp/trace", "write"),
        ("time -o times.txt aws s3 ls", "times.txt", "write"),
        ("xargs -a hosts.txt aws s3 ls", "hosts.txt", "read"),
    ],
)
def test_wrapper_options_can_name_files(command: str, path: str, op: str) -> None:
    facts = normalize("bash", {"command": command})
    assert facts.commands[-1].program == "aws"
    assert (path, op) in {(p.path, p.op) for p in facts.paths}


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["aws", "s3"], 0),
        (["sudo", "aws"], 1),
        (["sudo", "-u", "bob", "aws"], 3),
        (["sudo", "-ubob", "aws"], 2),
        (["env", "-i", "A=1", "B=2", "aws"], 4),
        (["timeout", "5", "aws"], 2),
        (["sudo", "timeout", "5", "env", "aws"], 4),
        (["sudo"], 0),
        (["timeout", "5"], 0),
        ([], 0),
    ],
)
def test_unwrap_finds_the_start_of_the_real_command(argv: list[str], start: int) -> None:
    assert unwrap(argv).start == start
