"""What an argument carries, judged by its name, and what a tool does, judged by its name.

Recognition is by argument name across common agent tool schemas, never by a fixed list
of tool names: `{"cmd": …}` is a shell command whatever the tool is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from gateway.models import PathOp


class Role(Enum):
    NONE = "none"
    SHELL = "shell"
    CODE = "code"
    URL = "url"
    HOST = "host"  # a machine to connect to: `host`, `domain`, `ip_address`
    PORT = "port"
    SCHEME = "scheme"  # `protocol` beside a host
    PATH = "path"
    LANGUAGE = "language"
    METHOD = "method"
    PASSWORD = "password"  # noqa: S105 - the name of a role, not a credential
    CREDENTIAL = "credential"


_ROLES: dict[str, Role] = {
    **dict.fromkeys(
        ("command", "commands", "cmd", "cmds", "cmdline", "commandline", "shell", "shellcommand",
         "bash", "bashcommand", "sh", "zsh", "script", "shellscript", "bashscript", "exec",
         "execute", "powershell", "pwsh"),
        Role.SHELL,
    ),
    **dict.fromkeys(
        ("code", "source", "sourcecode", "python", "pythoncode", "py", "program", "snippet",
         "codesnippet", "pythonscript", "cell"),
        Role.CODE,
    ),
    **dict.fromkeys(
        ("url", "urls", "uri", "uris", "endpoint", "endpoints", "href", "link", "links", "webhook",
         "website"),
        Role.URL,
    ),
    **dict.fromkeys(
        ("host", "hosts", "hostname", "hostnames", "domain", "domains", "domainname", "ip", "ips",
         "ipaddress", "ipaddresses", "ipaddr", "ipv4", "ipv6", "server", "servers", "remotehost",
         "targethost", "targethosts", "targetip", "targetips", "rhost", "rhosts", "lhost"),
        Role.HOST,
    ),
    **dict.fromkeys(("port", "ports", "remoteport", "targetport", "rport", "lport"), Role.PORT),
    **dict.fromkeys(("protocol", "scheme", "proto"), Role.SCHEME),
    **dict.fromkeys(
        ("path", "paths", "file", "files", "filename", "filenames", "dir", "dirs", "directory",
         "folder", "target", "destination", "dest", "src", "outfile", "infile", "cwd", "workdir",
         "workingdirectory"),
        Role.PATH,
    ),
    **dict.fromkeys(("language", "lang", "kernel", "kernelname", "runtime"), Role.LANGUAGE),
    **dict.fromkeys(("method", "httpmethod", "requestmethod", "verb"), Role.METHOD),
    **dict.fromkeys(
        ("password", "passwd", "passphrase", "userpassword", "dbpassword", "adminpassword"),
        Role.PASSWORD,
    ),
    **dict.fromkeys(
        ("token", "apikey", "apitoken", "accesstoken", "authtoken", "bearertoken", "secret",
         "clientsecret", "secretkey", "privatekey", "secretaccesskey", "accesskey", "authorization",
         "xapikey", "refreshtoken", "sessiontoken", "credentials", "credential"),
        Role.CREDENTIAL,
    ),
}  # fmt: skip
_SUFFIXES: tuple[tuple[str, Role], ...] = (
    ("url", Role.URL), ("uri", Role.URL), ("urls", Role.URL), ("endpoint", Role.URL),
    ("hostname", Role.HOST), ("host", Role.HOST), ("ipaddress", Role.HOST),
    ("domain", Role.HOST), ("path", Role.PATH), ("paths", Role.PATH), ("file", Role.PATH),
    ("filename", Role.PATH),
    ("dir", Role.PATH), ("directory", Role.PATH), ("folder", Role.PATH),
    ("password", Role.PASSWORD), ("apikey", Role.CREDENTIAL), ("secret", Role.CREDENTIAL),
    ("token", Role.CREDENTIAL), ("authorization", Role.CREDENTIAL), ("command", Role.SHELL),
)  # fmt: skip
# Words that end in a role suffix but do not carry one.
_NOT_ROLES = frozenset({"curl", "tokens", "maxtokens", "tokenizer", "nexttoken", "pagetoken",
                        "nextpagetoken", "tokencount", "profile", "datafile",
                        "fileid", "ghost"})  # fmt: skip

_WRITE_KEYS = frozenset({"destination", "dest", "target", "output", "out", "outfile",
                         "outputpath", "outputfile", "savepath", "targetpath", "destpath",
                         "destinationpath", "outputdir", "targetdir", "newpath"})  # fmt: skip
_READ_KEYS = frozenset({"source", "src", "input", "infile", "inputpath", "inputfile",
                        "sourcepath", "sourcefile", "oldpath", "cwd", "workdir"})  # fmt: skip


@lru_cache(maxsize=4096)
def squash(key: str) -> str:
    """`File-Path`, `file_path` and `filePath` all become `filepath`."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


@lru_cache(maxsize=4096)
def role_of(key: str) -> Role:
    name = squash(key)
    role = _ROLES.get(name)
    if role is not None:
        return role
    if name in _NOT_ROLES:
        return Role.NONE
    for suffix, suffix_role in _SUFFIXES:
        if name.endswith(suffix):
            return suffix_role
    return Role.NONE


def credential_kind(key: str) -> str | None:
    """The secret type a value under this argument name is reported as, if the name says it
    holds a credential (`password`, `api_key`, `Authorization`); None otherwise."""
    role = role_of(key)
    if role is Role.PASSWORD:
        return "password"
    if role is Role.CREDENTIAL:
        return (
            "authorization_header"
            if squash(key).endswith("authorization")
            else "credential_argument"
        )
    return None


def key_path_op(key: str) -> PathOp | None:
    """The access a path argument implies by its own name (`destination` is written)."""
    name = squash(key)
    if name in _WRITE_KEYS:
        return "write"
    if name in _READ_KEYS:
        return "read"
    return None


_SHELL_TOOL = frozenset({"bash", "shell", "sh", "zsh", "terminal", "console", "powershell",
                         "pwsh", "cmd"})  # fmt: skip
_EXEC_WORDS = frozenset({"exec", "execute", "run", "command", "commands", "cmd", "system",
                         "local", "remote", "os", "process", "subprocess", "cli"})  # fmt: skip
_PYTHON_TOOL = frozenset({"python", "py", "python3", "ipython", "jupyter", "notebook"})
_CODE_EXEC = frozenset({"run", "exec", "execute", "interpreter", "eval", "evaluate", "sandbox"})
_WRITE_VERBS = frozenset({"write", "create", "save", "append", "edit", "update", "put", "insert",
                          "replace", "patch", "modify", "overwrite", "touch", "mkdir", "make",
                          "download", "move", "rename", "copy", "set", "store"})  # fmt: skip
_DELETE_VERBS = frozenset({"delete", "remove", "rm", "unlink", "erase", "trash", "purge"})
_EXEC_VERBS = frozenset({"exec", "execute", "run", "launch", "source"})
_POST_VERBS = frozenset({"post", "send", "submit", "upload", "publish", "create", "webhook"})
_METHOD_VERBS = {"put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD"}


# CLIs whose first argument is a subcommand: a tool named after one is often handed only the
# rest of the command line (`{"name": "kubectl", "arguments": {"command": "get pods"}}`).
_CLIS = {name: name for name in (
    "aws", "gcloud", "gsutil", "az", "kubectl", "oc", "helm", "docker", "podman", "terraform",
    "pulumi", "gh", "git", "doctl", "hcloud", "flyctl", "fly", "heroku", "vercel", "netlify",
    "stripe", "hf", "modal", "sky", "runpodctl", "vastai", "oci", "ibmcloud", "scw", "eksctl",
)} | {"huggingface": "huggingface-cli", "linode": "linode-cli", "vultr": "vultr-cli"}  # fmt: skip
_GENERIC_WORDS = frozenset({"cli", "run", "exec", "execute", "command", "commands", "cmd", "tool",
                            "mcp", "call", "invoke", "use"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class ToolHints:
    """What the tool's own name suggests about its arguments."""

    shell: bool  # a single string argument is a shell command
    python: bool  # a single string argument, or unlabelled code, is Python
    path_op: PathOp  # how a path argument is accessed unless its name says otherwise
    http_method: str | None  # the method a URL argument is fetched with, if the name says
    cli: str | None = None  # the CLI a tool is named after (`kubectl`, `run_aws_cli`)


@lru_cache(maxsize=1024)
def tool_hints(name: str) -> ToolHints:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = frozenset(w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w)
    shell = bool(words & _SHELL_TOOL) or (
        bool(words) and words <= _EXEC_WORDS and bool(words - {"run", "local", "remote", "os"})
    )
    python = bool(words & _PYTHON_TOOL) or ("code" in words and bool(words & _CODE_EXEC))
    path_op: PathOp = "read"
    if words & _DELETE_VERBS:
        path_op = "delete"
    elif words & _WRITE_VERBS:
        path_op = "write"
    elif words & _EXEC_VERBS and not python:
        path_op = "exec"
    method = next((m for verb, m in _METHOD_VERBS.items() if verb in words), None)
    if method is None and words & _POST_VERBS:
        method = "POST"
    named = words - _GENERIC_WORDS
    cli = _CLIS.get(next(iter(named))) if len(named) == 1 else None
    return ToolHints(shell=shell, python=python, path_op=path_op, http_method=method, cli=cli)
