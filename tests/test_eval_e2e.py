"""`ccplugin eval` end to end: the real claude CLI against the fake API as a scripted reviewer, real git.

The scripted reviewer answers each case with known findings (a hit within the tolerance, the right
line of the wrong file, a low finding, a false block ...), so the scores are exactly known.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ccplugin.eval.runner import folder_prefix
from ccplugin.eval.scripted import answer, finding, scenario
from ccplugin.testing import Scenario
from ccplugin.testing.runner import OfflineClaude
from ccplugin.testing.scenario import STRUCTURED_TOOL, fail, reply, structured_output
from helpers import ccplugin

pytestmark = pytest.mark.real_claude

CALC = "def add(a, b):\n    return a + b\n"
CALC_BUG = CALC + "\n\ndef mean(xs):\n    return sum(xs) / (len(xs) - 1)\n"  # the bug: line 6
UTIL = "".join(f"X{i} = {i}\n" for i in range(1, 9))
UTIL_BUG = UTIL + "\n\ndef clamp(v, lo, hi):\n    if v < lo:\n        return hi\n    return v\n"  # lines 11-13


def write(root: Path, case_id: str, toml: str, base: dict[str, str], head: dict[str, str]) -> None:
    for folder, files in (("base", base), ("head", head)):
        for rel, text in files.items():
            path = root / case_id / folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    (root / case_id / "case.toml").write_text(toml)


def bug_toml(file: str, a: int, b: int) -> str:
    head = 'language = "python"\nkind = "off-by-one"\nsubject = "Add a helper"\n'
    return head + f'bugs = [{{file = "{file}", lines = [{a}, {b}]}}]\n'


CLEAN_TOML = 'language = "python"\nkind = "refactor"\nsubject = "Tidy"\nclean = true\n'


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """Three bug cases and three clean ones."""
    root = tmp_path / "corpus"
    write(root, "bug-a", bug_toml("calc.py", 6, 6), {"calc.py": CALC}, {"calc.py": CALC_BUG})
    write(root, "bug-b", bug_toml("util.py", 11, 13), {"util.py": UTIL}, {"util.py": UTIL_BUG})
    write(root, "bug-c", bug_toml("calc.py", 6, 6), {"calc.py": CALC}, {"calc.py": CALC_BUG})
    for name in ("clean-a", "clean-b", "clean-c"):
        write(root, name, CLEAN_TOML, {"calc.py": CALC}, {"calc.py": CALC.replace("a + b", "b + a")})
    return root


# bug-a: hit 3 lines off (the tolerance); bug-b: its lines, but in another file, and a low finding on them;
# bug-c: nothing; clean-a: a high finding (a false block); clean-b: a low one (blocks only at low); clean-c: nothing
ANSWERS: dict[str, dict[str, Any]] = {
    "bug-a": answer([finding("calc.py", 9, 9, "high", "Divides by n - 1")]),
    "bug-b": answer(
        [finding("other.py", 11, 13, "high", "Wrong file"), finding("util.py", 12, 12, "low", "Returns hi")]
    ),
    "bug-c": answer([]),
    "clean-a": answer([finding("calc.py", 2, 2, "high", "Operands swapped")]),
    "clean-b": answer([finding("calc.py", 2, 2, "low", "Style")]),
    "clean-c": answer([]),
}


def totals_of(out: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {t["threshold"]: (t["recall"], t["precision"], t["false_block_rate"]) for t in out["totals"]}


def eval_run(cases: Path, env: dict[str, str], out: Path, *extra: str) -> Any:
    args = ("eval", "--corpus", str(cases), "--out", str(out), "--json", "--jobs", "2", *extra)
    return ccplugin(*args, cwd=cases.parent, env=env, timeout=300)


def test_a_scripted_reviewer_gets_exactly_the_expected_scores(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(scenario(ANSWERS))
    run = eval_run(cases, claude.env, tmp_path / "a.json")
    assert run.code == 0, run.err
    out = run.json()
    assert totals_of(out) == {
        "critical": (0.0, None, 0.0),
        "high": (1 / 3, 1 / 3, 1 / 3),  # bug-a of 3 bugs; 1 of 3 high findings true; clean-a of 3 clean
        "medium": (1 / 3, 1 / 3, 1 / 3),
        "low": (2 / 3, 2 / 5, 2 / 3),  # bug-b's low finding hits; clean-b now blocks too
    }
    outcomes = {c["id"]: (c["status"], len(c["findings"]), c["input_mode"]) for c in out["cases"]}
    assert outcomes == {
        "bug-a": ("reviewed", 1, "inline"),
        "bug-b": ("reviewed", 2, "inline"),
        "bug-c": ("reviewed", 0, "inline"),
        "clean-a": ("reviewed", 1, "inline"),
        "clean-b": ("reviewed", 1, "inline"),
        "clean-c": ("reviewed", 0, "inline"),
    }
    # prompt v3: a finding may carry a replacement (issue 13 item 5)
    assert out["config"]["prompt_version"] == "v3" and out["config"]["model"] == "claude-opus-4-7[1m]"
    assert out["cost_usd"] > 0 and out["errors"] == 0
    assert json.loads((tmp_path / "a.json").read_text())["totals"] == out["totals"]
    requests = claude.fake.message_requests()
    assert len(requests) == 6
    prompt = next(r.summary.prompt_text for r in requests if folder_prefix("bug-a") in r.summary.system_text)
    assert "sum(xs) / (len(xs) - 1)" in prompt  # the change itself, inline, with the engine's own prompt
    assert not any("bug-a" in r.summary.system_text + r.summary.prompt_text for r in requests)  # no label leaks

    table = ccplugin("eval", "--corpus", str(cases), "--out", str(tmp_path / "a.json"), cwd=tmp_path, env=claude.env)
    assert table.code == 0, table.err  # everything done: nothing runs, the table is printed again
    assert len(claude.fake.message_requests()) == 6
    assert "bug-a    off-by-one  python  hit 1/1" in table.out
    assert "clean-a  refactor    python  false-block" in table.out
    assert "high       33% (1/3)  33% (1/3)  33% (1/3)" in table.out


def test_a_failed_review_is_an_error_not_a_pass_and_a_rerun_retries_it(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    rules = [r for r in scenario(ANSWERS).rules if r.name != "case clean-c"]
    fail_once = fail(500, system_contains=folder_prefix("clean-c"), times=1)
    good = reply(structured_output(ANSWERS["clean-c"]), system_contains=folder_prefix("clean-c"))
    claude = cc_fake_claude(Scenario.of(*rules, fail_once, good))
    run = eval_run(cases, claude.env, tmp_path / "r.json")
    assert run.code == 3, run.err  # not every case was reviewed
    assert "1 case(s) could not be reviewed (clean-c): rerun to retry them" in run.err
    out = run.json()
    assert out["errors"] == 1
    assert totals_of(out)["high"][2] == 1 / 2  # clean-c is not counted as a passed clean case
    again = eval_run(cases, claude.env, tmp_path / "r.json")
    assert again.code == 0, again.err
    assert len(claude.fake.message_requests()) == 7  # only clean-c ran again
    assert totals_of(again.json())["high"] == (1 / 3, 1 / 3, 1 / 3)


def test_an_interrupted_run_resumes_skipping_the_finished_cases(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    slow = reply(
        structured_output(ANSWERS["bug-b"]),
        system_contains=folder_prefix("bug-b"),
        tool_offered=STRUCTURED_TOOL,
        delay_s=60,
        times=1,
    )
    claude = cc_fake_claude(Scenario.of(slow, *scenario(ANSWERS).rules))
    out = tmp_path / "i.json"
    argv = [sys.executable, "-m", "ccplugin", "eval", "--corpus", str(cases), "--out", str(out), "--jobs", "1"]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=claude.env, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: out.exists() and len(json.loads(out.read_text())["cases"]) == 1)
        _wait_for(lambda: len(claude.fake.message_requests()) == 2)  # bug-b's review is waiting on the model
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "eval interrupted: finished cases are in" in err and "rerun the same command to resume" in err
    assert "Traceback" not in err
    assert [c["id"] for c in json.loads(out.read_text())["cases"]] == ["bug-a"]

    run = eval_run(cases, claude.env, out)
    assert run.code == 0, run.err
    assert totals_of(run.json())["high"] == (1 / 3, 1 / 3, 1 / 3)
    asked = [r.summary.system_text for r in claude.fake.message_requests()[2:]]
    assert len(asked) == 5 and not any(folder_prefix("bug-a") in s for s in asked)  # bug-a was not reviewed again


def test_a_results_file_of_another_configuration_is_not_resumed(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(scenario(ANSWERS))
    assert eval_run(cases, claude.env, tmp_path / "c.json", "--only", "bug-a").code == 0
    run = eval_run(cases, claude.env, tmp_path / "c.json", "--only", "bug-a", "--model", "sonnet")
    assert run.code == 6 and "holds a run of another configuration (model" in run.err, run.err
    assert "Traceback" not in run.err
    fresh = eval_run(cases, claude.env, tmp_path / "c.json", "--only", "bug-a", "--model", "sonnet", "--fresh")
    assert fresh.code == 0, fresh.err
    assert fresh.json()["config"]["model"] == "claude-sonnet-4-6[1m]"


def test_the_cost_cap_stops_starting_cases(cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path) -> None:
    claude = cc_fake_claude(scenario(ANSWERS))
    run = eval_run(cases, claude.env, tmp_path / "cap.json", "--jobs", "1", "--max-cost-usd", "0.00000001")
    assert run.code == 3, run.err
    out = run.json()
    assert [c["id"] for c in out["cases"]] == ["bug-a"]
    assert out["capped"] == ["bug-b", "bug-c", "clean-a", "clean-b", "clean-c"]
    assert "the cost cap was reached; 5 case(s) not run" in run.err
    assert len(claude.fake.message_requests()) == 1


def test_compare_two_runs_names_the_changed_cases(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    better = {**ANSWERS, "bug-c": answer([finding("calc.py", 6, 6, "critical", "n - 1")]), "clean-a": answer([])}
    a = eval_run(cases, cc_fake_claude(scenario(ANSWERS)).env, tmp_path / "a.json")
    b = eval_run(cases, cc_fake_claude(scenario(better)).env, tmp_path / "b.json", "--effort", "high")
    assert a.code == b.code == 0, a.err + b.err
    run = ccplugin("eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), cwd=tmp_path, env={})
    assert run.code == 0, run.err
    assert "config: effort 'xhigh' → 'high'" in run.out
    assert "high       33% → 67%     33% → 67%        33% → 0%" in run.out
    assert "2 case(s) changed at the gate threshold (A high, B high):" in run.out
    assert "  bug-c: miss → hit" in run.out and "  clean-a: false-block → pass" in run.out
    data = ccplugin(
        "eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json", cwd=tmp_path, env={}
    )
    assert data.json()["changed"] == {"bug-c": {"a": "miss", "b": "hit"}, "clean-a": {"a": "false-block", "b": "pass"}}


def test_compare_refuses_a_file_that_is_not_an_eval_run(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"gate": {}}')
    run = ccplugin("eval", "--compare", str(tmp_path / "x.json"), str(tmp_path / "x.json"), cwd=tmp_path, env={})
    assert run.code == 6 and "is not a ccplugin eval results file" in run.err and "Traceback" not in run.err


def test_demo_runs_offline_on_the_shipped_corpus(tmp_path: Path, cc_claude_bin: str) -> None:
    from ccplugin.testing import clean_environ

    env = clean_environ() | {"CCPLUGIN_CLAUDE_BIN": cc_claude_bin, "HOME": str(tmp_path)}
    only = ("--only", "py-pagination", "--only", "py-password-length", "--only", "py-docstrings")
    run = ccplugin("eval", "--demo", *only, "--out", str(tmp_path / "d.json"), "--json", cwd=tmp_path, env=env)
    assert run.code == 0, run.err
    out = run.json()
    assert {c["id"]: len(c["findings"]) for c in out["cases"]} == {
        "py-docstrings": 1,
        "py-pagination": 1,
        "py-password-length": 0,
    }
    assert totals_of(out)["high"] == (1 / 2, 1 / 2, 1.0)


def _wait_for(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_adversarial_mode_runs_the_adversarial_prompt(
    cases: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(scenario(ANSWERS))
    run = eval_run(cases, claude.env, tmp_path / "adv.json", "--only", "bug-a", "--mode", "adversarial-review")
    assert run.code == 0, run.err
    assert run.json()["config"]["mode"] == "adversarial-review"
    assert totals_of(run.json())["high"] == (1.0, 1.0, None)  # no clean case ran: no false-block rate
    (request,) = claude.fake.message_requests()
    assert "adversarial reviewer" in request.summary.prompt_text
