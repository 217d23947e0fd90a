"""gateway/firewall/normalize/facts.py: deduplication, caps and the text budget."""

from __future__ import annotations

from gateway.firewall.normalize import limits
from gateway.firewall.normalize.facts import FACT_LIMIT, NUL_BYTES, TRUNCATED_INPUT, Facts
from gateway.firewall.normalize.words import Word
from gateway.models import ActionFacts, CodeFacts, Command, Url


def test_facts_are_deduplicated_in_arrival_order() -> None:
    facts = Facts()
    facts.command("ls", ["ls"], "ls")
    facts.command("pwd", ["pwd"], "pwd")
    facts.command("ls", ["ls"], "ls")
    facts.path("/a", "read")
    facts.path("/a", "read")
    facts.path("/a", "write")
    facts.secret("jwt", "arguments.x")
    facts.secret("jwt", "arguments.x")
    facts.flag("eval")
    facts.flag("eval")
    result = facts.result()
    assert [c.program for c in result.commands] == ["ls", "pwd"]
    assert [(p.path, p.op) for p in result.paths] == [("/a", "read"), ("/a", "write")]
    assert len(result.secrets) == 1
    assert result.obfuscation == ["eval"]


def test_code_facts_merge_and_keep_the_first_language() -> None:
    facts = Facts()
    facts.code("python", ["os"], ["os.system"])
    facts.code("javascript", ["os", "sys"], ["print"])
    assert facts.result().code == CodeFacts("python", ["os", "sys"], ["os.system", "print"])


def test_no_code_means_code_is_none() -> None:
    assert Facts().result() == ActionFacts()


def test_fact_lists_are_capped() -> None:
    facts = Facts()
    for i in range(limits.MAX_FACTS + 5):
        facts.url(Url("GET", "https", f"h{i}.io", "/"))
    result = facts.result()
    assert len(result.urls) == limits.MAX_FACTS
    assert result.obfuscation == [FACT_LIMIT]


def test_raw_is_capped() -> None:
    facts = Facts()
    facts.command("x", ["x"], "x" * (limits.MAX_RAW + 10))
    assert facts.result().commands == [Command("x", ["x"], "x" * limits.MAX_RAW)]


def test_text_budget_is_shared_and_reported() -> None:
    facts = Facts()
    first = facts.take_text("a" * (limits.MAX_TEXT - 10))
    second = facts.take_text("b" * 100)
    assert len(first) == limits.MAX_TEXT - 10
    assert second == "b" * 10
    assert facts.take_text("c") == ""
    assert facts.result().obfuscation == [TRUNCATED_INPUT]


def test_nul_bytes_are_removed_and_reported() -> None:
    facts = Facts()
    assert facts.take_text("a\x00ws") == "aws"
    assert facts.result().obfuscation == [NUL_BYTES]


def test_steps_run_out() -> None:
    facts = Facts()
    assert not facts.out_of_steps()
    assert all(facts.step() for _ in range(limits.MAX_STEPS))
    assert facts.result().obfuscation == []
    assert not facts.step()
    assert facts.out_of_steps()
    assert facts.result().obfuscation == [TRUNCATED_INPUT]


def test_written_files_are_remembered_replaced_and_appended() -> None:
    facts = Facts()
    facts.remember("a.sh", Word("id\n"))
    facts.remember("a.sh", Word("whoami\n"), append=True)
    assert facts.recall("a.sh") == Word("id\nwhoami\n")
    facts.remember("a.sh", Word("ls\n"))
    assert facts.recall("a.sh") == Word("ls\n")
    facts.remember("a.sh", None, append=True)  # unknown text appended: the rest is still known
    assert facts.recall("a.sh") == Word("ls\n", static=False)
    facts.remember("a.sh", None)
    assert facts.recall("a.sh") is None
    facts.remember("new.sh", Word("id\n"), append=True)
    assert facts.recall("new.sh") == Word("id\n", static=False)


def test_remembered_files_are_capped() -> None:
    facts = Facts()
    for i in range(limits.MAX_WRITTEN + 5):
        facts.remember(f"f{i}", Word("x"))
    facts.remember("big", Word("x" * (limits.MAX_SCRIPT + 1)))
    assert facts.recall(f"f{limits.MAX_WRITTEN - 1}") is not None
    assert facts.recall(f"f{limits.MAX_WRITTEN}") is None
    assert facts.recall("big") is None
