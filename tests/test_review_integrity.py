"""The gate's integrity: a failed run's answer is never used, and schema-invalid answers are errors.

Where the real CLI cannot produce the case (a failed run that still carries structured output,
an answer off the schema), a fake `claude` executable at the process boundary prints the
stream-json; everything else runs the real CLI against the fake API.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin, finding, review_output

FAKE_CLAUDE = f"""#!{sys.executable}
import json, os, sys
if "--version" in sys.argv:
    print("2.1.197 (Claude Code)")
    sys.exit(0)
plan = json.load(open(os.environ["FAKE_PLAN"]))
sid = "11111111-2222-4333-8444-555555555555"
def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
emit({{"type": "system", "subtype": "init", "session_id": sid, "model": "fake-model"}})
result = {{"type": "result", "subtype": "success", "is_error": False, "num_turns": 1, "result": "done",
          "session_id": sid, "total_cost_usd": 0.01, "usage": {{}}, "permission_denials": []}}
result.update(plan["result"])
emit(result)
sys.stdout.flush()
sys.exit(plan.get("exit", 0))
"""

CRITICAL = finding("calc.py", 2, "critical")
OFF_SCHEMA = finding("calc.py", 2, "CRITICAL ")  # the severity enum has no "CRITICAL "


@pytest.fixture
def changed(repo: Path) -> Path:
    (repo / "calc.py").write_text("def add(a, b):\n    return b - a\n")
    return repo


def fake_claude(tmp_path: Path, plan: dict[str, Any]) -> dict[str, str]:
    """The environment of a `ccplugin` whose `claude` is a script that prints ``plan``'s result."""
    exe = tmp_path / "fake-claude"
    exe.write_text(FAKE_CLAUDE)
    exe.chmod(0o755)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    return {
        **os.environ,
        "CCPLUGIN_CLAUDE_BIN": str(exe),
        "FAKE_PLAN": str(tmp_path / "plan.json"),
        "ANTHROPIC_API_KEY": "test",
    }


@pytest.mark.parametrize(
    ("plan", "kind"),
    [
        ({"result": {"structured_output": review_output()}, "exit": 1}, "exit-nonzero"),
        ({"result": {"structured_output": review_output(), "is_error": True}}, "is-error"),
        ({"result": {"structured_output": review_output(OFF_SCHEMA)}, "exit": 1}, "exit-nonzero"),
        ({"result": {"structured_output": review_output(OFF_SCHEMA)}}, "structured-output-invalid"),
        ({"result": {"structured_output": review_output(CRITICAL) | {"extra": 1}}}, "structured-output-invalid"),
    ],
    ids=["exit-1-approve", "is-error-approve", "exit-1-off-schema", "off-schema", "extra-key"],
)
def test_a_failed_or_off_schema_answer_is_never_used(
    changed: Path, tmp_path: Path, plan: dict[str, Any], kind: str
) -> None:
    env = fake_claude(tmp_path, plan)
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=env)
    assert run.code == 3, (run.out, run.err)
    out = run.json()
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", kind)
    assert out["review"] is None and out["verdict"] is None
    # nothing of it was cached: the same review again is not a cache hit that passes
    again = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=env)
    assert (again.code, again.json()["cached"]) == (3, False)


@pytest.mark.real_claude
def test_a_model_answer_off_the_schema_is_an_error(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    # the real CLI refuses each StructuredOutput call off the schema, gives up after a few and fails the run
    off = reply(structured_output(review_output(OFF_SCHEMA)), tool_offered="StructuredOutput")
    claude = cc_fake_claude([off] * 8)
    run = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env)
    assert run.code == 3, (run.out, run.err)
    out = run.json()
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", "is-error")
    assert "valid structured output" in out["error"]["message"]
    assert out["review"] is None
