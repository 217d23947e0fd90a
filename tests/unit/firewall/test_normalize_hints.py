"""gateway/firewall/normalize/hints.py: what argument names and tool names suggest."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize import credential_kind
from gateway.firewall.normalize.hints import Role, key_path_op, role_of, tool_hints


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("command", Role.SHELL), ("CMD", Role.SHELL), ("shell_command", Role.SHELL),
        ("bashCommand", Role.SHELL), ("script", Role.SHELL),
        ("code", Role.CODE), ("source", Role.CODE), ("python_code", Role.CODE),
        ("url", Role.URL), ("imageUrl", Role.URL), ("base-uri", Role.URL), ("endpoint", Role.URL),
        ("href", Role.URL), ("curl", Role.NONE),
        ("path", Role.PATH), ("file_path", Role.PATH), ("FilePath", Role.PATH),
        ("filename", Role.PATH), ("output_dir", Role.PATH), ("destination", Role.PATH),
        ("language", Role.LANGUAGE), ("lang", Role.LANGUAGE), ("method", Role.METHOD),
        ("password", Role.PASSWORD), ("db_password", Role.PASSWORD),
        ("api_key", Role.CREDENTIAL), ("access_token", Role.CREDENTIAL),
        ("max_tokens", Role.NONE), ("next_page_token", Role.NONE), ("file_id", Role.NONE),
        ("recipient", Role.NONE), ("query", Role.NONE), ("", Role.NONE),
        ("host", Role.HOST), ("target_host", Role.HOST), ("ip_address", Role.HOST),
        ("domain", Role.HOST), ("RHOSTS", Role.HOST), ("remoteHostname", Role.HOST),
        ("port", Role.PORT), ("lport", Role.PORT), ("protocol", Role.SCHEME),
        ("zip", Role.NONE), ("hotel_name", Role.NONE),
    ],
)  # fmt: skip
def test_role_of_argument_names(key: str, role: Role) -> None:
    assert role_of(key) is role


@pytest.mark.parametrize(
    ("key", "op"),
    [("destination", "write"), ("outputPath", "write"), ("src", "read"), ("path", None)],
)
def test_key_path_op(key: str, op: str | None) -> None:
    assert key_path_op(key) == op


@pytest.mark.parametrize(
    ("name", "shell", "python", "path_op", "method"),
    [
        ("bash", True, False, "read", None),
        ("shell", True, False, "read", None),
        ("terminal", True, False, "read", None),
        ("execute_command", True, False, "exec", None),
        ("runCommand", True, False, "exec", None),
        ("exec", True, False, "exec", None),
        ("run", False, False, "exec", None),
        ("python", False, True, "read", None),
        ("code_interpreter", False, True, "read", None),
        ("execute_code", False, True, "read", None),
        ("read_file", False, False, "read", None),
        ("write_file", False, False, "write", None),
        ("delete_file", False, False, "delete", "DELETE"),
        ("post_webpage", False, False, "read", "POST"),
        ("send_money", False, False, "read", "POST"),
        ("http_put", False, False, "write", "PUT"),
        ("get_webpage", False, False, "read", None),
    ],
)
def test_tool_hints(name: str, shell: bool, python: bool, path_op: str, method: str | None) -> None:
    hints = tool_hints(name)
    assert (hints.shell, hints.python, hints.path_op, hints.http_method) == (
        shell,
        python,
        path_op,
        method,
    )


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("password", "password"),
        ("DB_PASSWORD", "password"),
        ("api_key", "credential_argument"),
        ("clientSecret", "credential_argument"),
        ("Authorization", "authorization_header"),
        ("Proxy-Authorization", "authorization_header"),
        ("max_tokens", None),
        ("command", None),
    ],
)
def test_credential_kind(key: str, kind: str | None) -> None:
    assert credential_kind(key) == kind


@pytest.mark.parametrize(
    ("name", "cli"),
    [
        ("kubectl", "kubectl"),
        ("run_aws_cli", "aws"),
        ("mcp__gcloud__invoke", "gcloud"),
        ("huggingface_cli", "huggingface-cli"),
        ("aws__ec2_run_instances", None),
        ("git_commit", None),
        ("bash", None),
        ("search", None),
    ],
)
def test_tool_named_after_a_cli(name: str, cli: str | None) -> None:
    assert tool_hints(name).cli == cli
