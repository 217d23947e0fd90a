"""gateway/firewall/normalize/containers.py: container commands, mounts and copies."""

from __future__ import annotations

import pytest

from tests.unit.firewall.shells import shell


@pytest.mark.parametrize(
    ("command", "inner"),
    [
        ("docker run --rm alpine id", [["id"]]),
        (
            "docker run -it --rm -e A=1 -v x:/y ubuntu:22.04 bash -c 'id'",
            [["bash", "-c", "id"], ["id"]],
        ),
        ("docker run -d -p 80:80 --name web nginx", []),
        (
            "docker run --network=host --pid host img nsenter -t 1 -m sh",
            [["nsenter", "-t", "1", "-m"], ["sh"]],
        ),
        ("docker container run -w /app img python3 app.py", [["python3", "app.py"]]),
        ("docker -H tcp://10.0.0.1:2375 run img id", [["id"]]),
        ("podman run --entrypoint /bin/sh img -c id", [["/bin/sh", "-c", "id"], ["id"]]),
        ("nerdctl create img curl http://x.io", [["curl", "http://x.io"]]),
        ("docker exec -u root -e A=1 ctr cat /etc/shadow", [["cat", "/etc/shadow"]]),
        ("docker exec --workdir=/x ctr id", [["id"]]),
        ("kubectl exec -it pod -- sh -c id", [["sh", "-c", "id"], ["id"]]),
        ("kubectl run x --image=alpine --rm -it -- wget x.io", [["wget", "x.io"]]),
        ("docker ps -a", []),
        ("docker run", []),
    ],
)
def test_commands_run_inside_containers(command: str, inner: list[list[str]]) -> None:
    facts = shell(command)
    assert [c.argv for c in facts.commands[1:]] == inner


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("docker run -v /:/host alpine true", {("/", "write")}),
        ("docker run -v /etc:/etc:ro alpine true", {("/etc", "read")}),
        ("docker run -v ~/.aws:/root/.aws:ro,z img true", {("~/.aws", "read")}),
        ("docker run -v$HOME/.ssh:/s img true", {("~/.ssh", "write")}),
        ("docker run -v data:/data -v /tmp/x img true", set()),
        (
            "docker run --mount type=bind,source=/var/run/docker.sock,target=/s img",
            {("/var/run/docker.sock", "write")},
        ),
        ("docker run --mount type=bind,src=/opt,dst=/o,readonly img", {("/opt", "read")}),
        ("docker run --mount type=volume,source=vol,target=/v img", set()),
        ("docker cp ctr:/etc/passwd ./p", {("p", "write")}),
        ("docker cp ./model.bin ctr:/tmp/", {("model.bin", "read")}),
        ("kubectl cp models/w.bin ns/pod:/tmp/w.bin", {("models/w.bin", "read")}),
        ("kubectl cp pod:/data ./data -c main", {("data", "write")}),
    ],
)
def test_mounts_and_copies_touch_host_files(command: str, expected: set[tuple[str, str]]) -> None:
    facts = shell(command)
    assert {(p.path, p.op) for p in facts.paths if p.op != "exec"} == expected
