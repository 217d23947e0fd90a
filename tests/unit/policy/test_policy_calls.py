from __future__ import annotations

import pytest

from gateway.policy.calls import scan_calls, usage_fields_read
from tests.unit.policy.samples import POLICY

LIB = """package airlock.lib

# METADATA
# title: looks_like_a_call(x) in a comment
finding(rule, category, msg) := {"rule": rule, "category": category, "message": msg}

default helper(_) := false

helper(x) if {
	x > 0
} else := false
"""


def scan(body: str, package: str = "airlock.t", imports: str = "") -> tuple[set[str], set[str]]:
    text = f"package {package}\n\n{imports}\nrule if {{\n{body}\n}}\n"
    found = scan_calls({"lib.rego": LIB, "t.rego": text})
    return found.builtins, found.undefined


@pytest.mark.parametrize(
    ("body", "builtins"),
    [
        ('count(input.x) > 0', {"count"}),
        ('net.cidr_contains("10.0.0.0/8", input.ip)', {"net.cidr_contains"}),
        ('x := "not_a_call(1)"', set()),
        ("x := `raw(string) with f(x)`", set()),
        ("x := 1 # trailing comment(2)", set()),
        ('x := sprintf("%s", [concat(" ", array.slice(input.a, 0, 2))])',
         {"sprintf", "concat", "array.slice"}),
        ("x := input.a[0].method(1)", set()),
        ("every x in input.a {\n\tstartswith(x, \"a\")\n}", {"startswith"}),
        ("not regex.match(`a(b)`, input.s)", {"regex.match"}),
        ("x := [y | some y in input.a; is_string(y)]", {"is_string"}),
    ],
)  # fmt: skip
def test_builtin_calls_are_found_outside_strings_and_comments(
    body: str, builtins: set[str]
) -> None:
    assert scan(body)[0] == builtins


@pytest.mark.parametrize(
    "imports_and_call",
    [
        ("import data.airlock.lib\n", "lib.finding(1, 2, 3)"),
        ("import data.airlock.lib as helpers\n", "helpers.helper(1)"),
        ("import data.airlock.lib.finding\n", "finding(1, 2, 3)"),
        ("", "data.airlock.lib.finding(1, 2, 3)"),
        ("import rego.v1\nimport input.action\n", "data.airlock.lib.helper(action)"),
    ],
)
def test_policy_functions_resolve_through_imports(imports_and_call: tuple[str, str]) -> None:
    imports, call = imports_and_call
    assert scan(call, imports=imports) == (set(), set())


def test_functions_of_the_same_package_and_dotted_heads_are_local() -> None:
    text = (
        "package airlock.t\n\nlocal(x) := x\n\nns.fn(x) := x\n\n"
        "rule if {\n\tlocal(1)\n\tns.fn(2)\n}\n"
    )
    found = scan_calls({"t.rego": text})
    assert found.builtins == set()
    assert found.defined == {"data.airlock.t.local", "data.airlock.t.ns.fn"}


def test_head_calls_and_multiline_arguments_are_calls_not_definitions() -> None:
    text = """package airlock.t

import data.airlock.lib

findings contains lib.finding(
	"airlock.t.x",
	"c",
	upper("m"),
) if {
	true
}

total := count(findings)
"""
    found = scan_calls({"lib.rego": LIB, "t.rego": text})
    assert found.builtins == {"upper", "count"}
    assert "data.airlock.t.count" not in found.defined
    assert found.undefined == set()


def test_calls_into_data_that_nothing_defines_are_reported() -> None:
    builtins, undefined = scan("lib.nope(1)\ndata.other.fn(2)", imports="import data.airlock.lib\n")
    assert builtins == set()
    assert undefined == {"data.airlock.lib.nope", "data.other.fn"}


def test_sample_policy_calls_only_builtins_regopy_has() -> None:
    found = scan_calls({k: v for k, v in POLICY.items() if k.endswith(".rego")})
    assert found.builtins == {"concat"}
    assert found.undefined == set()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            "x := input.usage.denials_last_hour\ny := input.usage.spend_today_usd > 1",
            {"denials_last_hour", "spend_today_usd"},
        ),
        ('x := input.action.commands\n# input.usage\ny := "input.usage"', set()),
        ("x := y.input.usage", set()),  # a field named input
        ("u := input.usage\nx := u.denials_last_hour", None),
        ("x := input[k]", None),
        ("x := input", None),
        ("import input.usage as u\nx := u.spend_today_usd", None),
    ],
)
def test_usage_fields_read(body: str, fields: set[str] | None) -> None:
    found = usage_fields_read({"a.rego": f"package a\n\n{body}\n"})
    assert found == (None if fields is None else frozenset(fields))
