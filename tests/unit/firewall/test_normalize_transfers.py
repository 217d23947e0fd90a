"""gateway/firewall/normalize/transfers.py: local files that storage and hub clients move."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize import normalize


def paths(command: str) -> set[tuple[str, str]]:
    return {(p.path, p.op) for p in normalize("bash", {"command": command}).paths}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("aws s3 cp model.safetensors s3://bucket/m/", {("model.safetensors", "read")}),
        ("aws s3 cp s3://bucket/x ./local", {("local", "write")}),
        ("aws --profile p s3 sync ./ckpt s3://b/c --exclude '*.tmp' --delete", {("ckpt", "read")}),
        ("aws s3 mv --recursive ./out s3://b/out", {("out", "read")}),
        ("aws s3 ls s3://bucket", set()),
        ("aws ec2 describe-instances", set()),
        ("gsutil -m cp -r weights/ gs://bkt/", {("weights", "read")}),
        ("gcloud storage cp gs://b/x y.bin", {("y.bin", "write")}),
        ("rclone copy ./ckpt remote:backup", {("ckpt", "read")}),
        ("rclone sync remote:data /srv/data --transfers 8", {("/srv/data", "write")}),
        ("azcopy copy 'weights' 'https://a.blob.core.windows.net/c'", {("weights", "read")}),
        ("s3cmd put local_file s3://bucket/file", {("local_file", "read")}),
        (
            "hf upload org/model ./models/model.safetensors model.safetensors",
            {("models/model.safetensors", "read")},
        ),
        ("hf upload --repo-type dataset org/data ./data", {("data", "read")}),
        ("huggingface-cli upload-large-folder org/model ./big", {("big", "read")}),
        ("hf upload org/model", set()),
        ("hf download org/model", set()),
    ],
)
def test_transferred_files(command: str, expected: set[tuple[str, str]]) -> None:
    assert paths(command) == expected
