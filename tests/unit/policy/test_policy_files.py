from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.policy import load_policy_files
from tests.unit.policy.samples import POLICY, write_policy


def test_modules_exclude_tests_and_are_named_relative_to_their_root(tmp_path: Path) -> None:
    files = dict(POLICY, **{"airlock/main_test.rego": "package airlock_test\n", "README.md": "x"})
    loaded = load_policy_files([write_policy(tmp_path / "rego", files)])
    assert sorted(loaded.modules) == [
        "airlock/cloud/cloud.rego",
        "airlock/lib/lib.rego",
        "airlock/main.rego",
        "airlock/payment/payment.rego",
    ]
    assert loaded.modules["airlock/main.rego"] == POLICY["airlock/main.rego"]


def test_data_files_follow_opas_loader(tmp_path: Path) -> None:
    # checked against `opa eval -d <dir> data`: any .json/.yaml/.yml, hidden dirs included
    root = write_policy(
        tmp_path,
        {
            "p.rego": "package p\n",
            "data.json": '{"top": 1, "a": {"from_root": true}}',
            "a/b/data.json": '{"x": 2}',
            "a/other.json": '{"y": 3}',
            "c/data.yaml": "z: 4\n",
            "c/data.yml": "w: [1, 2]\n",
            ".hidden/data.json": '{"h": 1}',
        },
    )
    assert load_policy_files([root]).data == {
        "top": 1,
        "a": {"from_root": True, "b": {"x": 2}, "y": 3},
        "c": {"z": 4, "w": [1, 2]},
        ".hidden": {"h": 1},
    }


def test_a_file_given_directly_is_placed_at_the_root(tmp_path: Path) -> None:
    root = write_policy(tmp_path, {"x/p.rego": "package p\n", "x/data.json": '{"k": 1}'})
    loaded = load_policy_files([root / "x" / "p.rego", root / "x" / "data.json"])
    assert loaded.data == {"k": 1}
    assert list(loaded.modules) == ["p.rego"]


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        ({"a/data.json": '{"k": 1}', "a/more.json": '{"k": 2}'}, r"data\.a\.k"),
        ({"data.json": '{"a": 1}', "a/data.json": '{"k": 2}'}, r"data\.a"),
        ({"data.json": "[1, 2]"}, "must hold an object"),
        ({"data.json": "{nope"}, "does not parse"),
        ({"c/data.yaml": "a: [\n"}, "does not parse"),
    ],
)
def test_bad_data_is_a_config_error(tmp_path: Path, files: dict[str, str], complaint: str) -> None:
    root = write_policy(tmp_path, {"p.rego": "package p\n", **files})
    with pytest.raises(ConfigError, match=complaint):
        load_policy_files([root])


def test_missing_path_no_modules_and_name_clash_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy_files([tmp_path / "nope"])
    with pytest.raises(ConfigError, match="no Rego modules"):
        load_policy_files([write_policy(tmp_path / "d", {"data.json": "{}"})])
    one = write_policy(tmp_path / "one", {"p.rego": "package p\n"})
    two = write_policy(tmp_path / "two", {"p.rego": "package q\n"})
    with pytest.raises(ConfigError, match=r"same relative name 'p\.rego'"):
        load_policy_files([one, two])


def test_revision_is_stable_and_independent_of_location(tmp_path: Path) -> None:
    first = load_policy_files([write_policy(tmp_path / "a", POLICY)])
    again = load_policy_files([tmp_path / "a"])
    moved = load_policy_files([write_policy(tmp_path / "elsewhere" / "b", POLICY)])
    assert first.revision == again.revision == moved.revision
    assert len(first.revision) == 12
    int(first.revision, 16)


@pytest.mark.parametrize(
    ("change", "changes_revision"),
    [
        ({"airlock/main.rego": POLICY["airlock/main.rego"] + "\n# comment\n"}, True),
        ({"data.json": POLICY["data.json"].replace("gcloud", "az")}, True),
        ({"airlock/extra/data.yaml": "k: 1\n"}, True),
        ({"airlock/main_test.rego": "package airlock_test\n"}, False),
        ({"NOTES.md": "not policy"}, False),
    ],
)
def test_revision_changes_with_policy_content_only(
    tmp_path: Path, change: dict[str, str], changes_revision: bool
) -> None:
    before = load_policy_files([write_policy(tmp_path / "p", POLICY)]).revision
    after = load_policy_files([write_policy(tmp_path / "p", change)]).revision
    assert (before != after) is changes_revision


def test_revision_covers_file_names(tmp_path: Path) -> None:
    root = write_policy(tmp_path / "p", POLICY)
    before = load_policy_files([root]).revision
    shutil.move(root / "airlock" / "lib", root / "airlock" / "helpers")
    assert load_policy_files([root]).revision != before
