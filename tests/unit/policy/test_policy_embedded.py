from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest

from gateway.errors import ConfigError, MissingBuiltinError, PolicyError
from gateway.models import Decision, Reason
from gateway.policy import EmbeddedEngine, load_engine, load_policy_files
from gateway.policy.rego_cpp import RegoWorker
from tests.unit.policy.samples import POLICY, policy_input, write_policy

MAIN_ONLY = "package airlock\n\n"


async def engine_for(tmp_path: Path, files: dict[str, str], **kw: float) -> EmbeddedEngine:
    engine = await load_engine("embedded", [write_policy(tmp_path, files)], **kw)
    assert isinstance(engine, EmbeddedEngine)
    return engine


async def test_allow_deny_escalate_with_reasons(tmp_path: Path) -> None:
    engine = await engine_for(tmp_path, POLICY)
    decisions = await engine.evaluate(
        [
            policy_input("ls -la"),
            policy_input("aws ec2 run-instances --count 1"),
            policy_input("gcloud run-instances", hosts=("api.stripe.com",)),
        ]
    )
    assert decisions[0] == Decision("allow", [])
    assert decisions[1] == Decision(
        "escalate",
        [
            Reason(
                "airlock.cloud.create",
                "instance_creation",
                "cloud CLI aws would create an instance",
            )
        ],
    )
    assert decisions[2].action == "deny"
    assert [r.rule for r in decisions[2].reasons] == [
        "airlock.cloud.create",
        "airlock.payment.host",
    ]
    assert decisions[2].reasons[1].message == "request to payment host api.stripe.com"
    assert engine.name == "embedded"
    await engine.aclose()


async def test_strings_with_quotes_newlines_and_unicode_survive(tmp_path: Path) -> None:
    # rego-cpp mishandles such strings unless they are handed over escaped (see rego_cpp.py)
    engine = await engine_for(tmp_path, POLICY)
    raw = 'pay --to "Eve \\"the\\" 🦊"\n\tamount=5 \\ é \x01'
    [decision] = await engine.evaluate([policy_input(raw)])
    assert decision == Decision("deny", [Reason("airlock.payment.echo", "payment", raw)])


ECHO = r"""package airlock

decision := [input, count(input.s), upper(input.s), same, zero, object.get(input.o, "q\"k", "-")]

default same := false

same if input.s == "a\"b\\c\n é 🦊"

default zero := false

zero if input.n == 0
"""

TRICKY: list[object] = [
    'a"b\\c\n é 🦊',
    "\x00\x01\x1f\u2028",
    "",
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**63,  # beyond int64: sent as text
    0.0,
    -0.0,
    0.5,
    1e-6,
    1e-7,  # more than six decimals: sent as text
    123456.789012,
    999999999.5,
    1e9 + 0.5,  # at the float limit: sent as text
    1e20,
    3.0,
    True,
    False,
    None,
]


@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_built_input_is_the_document_json_text_gives(tmp_path: Path, value: object) -> None:
    # The worker builds the input as a node (rego_cpp.py); rego-cpp must see the same
    # document as when it parses the input's JSON text, strings and numbers alike.
    worker = RegoWorker(load_policy_files([write_policy(tmp_path, {"echo.rego": ECHO})]))
    text = value if isinstance(value, str) else "x"
    document = {"s": text, "n": value, "o": {'q"k': [value]}}
    worker._set_input(document)
    built = worker._query()
    worker._interpreter.set_input_term(orjson.dumps(document).decode())
    assert built == worker._query()


async def test_evaluate_keeps_input_order_and_empty_batch(tmp_path: Path) -> None:
    engine = await engine_for(tmp_path, POLICY)
    inputs = [policy_input("pay x" if i % 3 == 0 else "ls") for i in range(30)]
    decisions = await engine.evaluate(inputs)
    assert [d.action for d in decisions] == ["deny" if i % 3 == 0 else "allow" for i in range(30)]
    assert await engine.evaluate([]) == []


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ('decision := {"action": "maybe", "reasons": []}', "action is 'maybe'"),
        ('decision := {"action": "deny"}', "reasons is missing or null"),
        ('decision := {"reasons": []}', "action is None"),
        ('decision := {"action": "deny", "reasons": [{"rule": "r", "category": "c"}]}', "message"),
        ('decision := {"action": "deny", "reasons": ["no"]}', "reasons[0] is a string"),
        ('decision := "allow"', "is a string, expected an object"),
        ("decision := x if input.never", "undefined"),
    ],
)
async def test_malformed_or_undefined_decision_is_a_policy_error(
    tmp_path: Path, rule: str, complaint: str
) -> None:
    engine = await engine_for(tmp_path, {"main.rego": MAIN_ONLY + rule + "\n"})
    with pytest.raises(PolicyError, match="embedded") as caught:
        await engine.evaluate([policy_input("ls")])
    assert complaint in str(caught.value)


async def test_evaluation_error_is_a_policy_error(tmp_path: Path) -> None:
    conflict = 'decision := {"action": "allow", "reasons": []}\ndecision := {"action": "deny"}\n'
    engine = await engine_for(tmp_path, {"main.rego": MAIN_ONLY + conflict})
    with pytest.raises(PolicyError, match="multiple outputs"):
        await engine.evaluate([policy_input("ls")])


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        ('net.cidr_contains("10.0.0.0/8", "10.1.2.3")', ["net.cidr_contains"]),
        ('http.send({"method": "get", "url": "http://x"}).status_code == 200', ["http.send"]),
        ("rego.metadata.rule().title == net.cidr_matches", ["rego.metadata.rule"]),
    ],
)
async def test_missing_builtin_is_refused_by_name(
    tmp_path: Path, call: str, missing: list[str]
) -> None:
    rule = f"default decision := 1\n\ndecision := 2 if {{\n\t{call}\n}}\n"
    with pytest.raises(MissingBuiltinError) as caught:
        await engine_for(tmp_path, {"main.rego": MAIN_ONLY + rule})
    assert caught.value.engine == "embedded"
    assert caught.value.builtins == missing
    assert missing[0] in str(caught.value)


async def test_several_missing_builtins_are_all_named(tmp_path: Path) -> None:
    rule = 'decision := 1 if {\n\tnet.cidr_contains("a", "b")\n\thttp.send({})\n}\n'
    with pytest.raises(MissingBuiltinError) as caught:
        await engine_for(tmp_path, {"main.rego": MAIN_ONLY + rule})
    assert caught.value.builtins == ["http.send", "net.cidr_contains"]


async def test_call_to_undefined_policy_function_is_refused(tmp_path: Path) -> None:
    files = dict(POLICY)
    files["airlock/cloud/cloud.rego"] = POLICY["airlock/cloud/cloud.rego"].replace(
        "lib.finding(", "lib.findingz("
    )
    with pytest.raises(ConfigError, match=r"data\.airlock\.lib\.findingz"):
        await engine_for(tmp_path, files)


async def test_syntax_error_is_refused_with_rego_cpps_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot compile the policy: .*unclosed"):
        await engine_for(tmp_path, {"main.rego": MAIN_ONLY + "decision := {\n"})


async def test_data_files_are_placed_by_directory(tmp_path: Path) -> None:
    files = {
        "main.rego": MAIN_ONLY
        + 'decision := {"action": data.airlock.act, "reasons": [data.airlock.cfg.reason]}\n',
        "airlock/data.json": '{"act": "escalate"}',
        "airlock/cfg/data.yaml": "reason: {rule: r.x, category: c, message: from yaml}\n",
    }
    engine = await engine_for(tmp_path, files)
    [decision] = await engine.evaluate([policy_input("ls")])
    assert decision == Decision("escalate", [Reason("r.x", "c", "from yaml")])


SLOW = """decision := {"action": "allow", "reasons": []} if input.tool_call.name != "slow"

# about 300,000 iterations: most of a second on rego-cpp
decision := {"action": "deny", "reasons": []} if {
	input.tool_call.name == "slow"
	count([x | some x in numbers.range(1, 3000); some y in numbers.range(1, 100); y == x]) > 0
}
"""


async def test_slow_evaluation_times_out_without_blocking_the_loop(tmp_path: Path) -> None:
    files = load_policy_files([write_policy(tmp_path, {"main.rego": MAIN_ONLY + SLOW})])
    engine = EmbeddedEngine(files, timeout_seconds=0.2, workers=2)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(PolicyError, match=r"timed out after 0\.2s"):
        await engine.evaluate([policy_input("x", name="slow")])
    elapsed = time.monotonic() - started
    running.cancel()
    assert elapsed < 0.6
    assert ticks >= 5  # the event loop kept running during the evaluation
    # the other interpreters still answer while one finishes the slow evaluation
    [decision] = await engine.evaluate([policy_input("ls")])
    assert decision.action == "allow"
    await engine.aclose()


async def test_busy_interpreters_make_new_evaluations_wait_then_recover(tmp_path: Path) -> None:
    files = load_policy_files([write_policy(tmp_path, {"main.rego": MAIN_ONLY + SLOW})])
    engine = EmbeddedEngine(files, timeout_seconds=0.1, workers=1)
    with pytest.raises(PolicyError, match="timed out"):
        await engine.evaluate([policy_input("x", name="slow")])
    with pytest.raises(PolicyError, match="timed out"):  # the one interpreter is still busy
        await engine.evaluate([policy_input("ls")])
    deadline = time.monotonic() + 10
    while True:
        try:
            [decision] = await engine.evaluate([policy_input("ls")])
            break
        except PolicyError:
            assert time.monotonic() < deadline, "the interpreter never came back"
    assert decision.action == "allow"
    await engine.aclose()


async def test_unserializable_input_is_a_policy_error(tmp_path: Path) -> None:
    engine = await engine_for(tmp_path, POLICY)
    bad = policy_input("ls")
    bad.tool_call.arguments = {"n": 10**30}
    with pytest.raises(PolicyError, match="cannot be serialized"):
        await engine.evaluate([bad])


async def test_closed_engine_refuses(tmp_path: Path) -> None:
    engine = await engine_for(tmp_path, POLICY)
    await engine.aclose()
    with pytest.raises(PolicyError, match="closed"):
        await engine.evaluate([policy_input("ls")])


async def test_revision_matches_the_loaded_files(tmp_path: Path) -> None:
    engine = await engine_for(tmp_path, POLICY)
    assert engine.revision == load_policy_files([tmp_path]).revision


async def test_unknown_engine_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown policy engine"):
        await load_engine("wasm", [write_policy(tmp_path, POLICY)])  # type: ignore[arg-type]
