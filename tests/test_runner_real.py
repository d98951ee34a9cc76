"""runner.run against the real claude CLI, offline, on the fake Anthropic API.

These are the faults and permission facts the real CLI can produce itself: HTTP errors,
the turn limit, structured output present / missing, retries, edits in acceptEdits mode,
denials in dontAsk mode, and a timeout. Skipped when no claude binary is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccplugin import proc
from ccplugin.claude.runner import failure_error, run
from ccplugin.claude.types import Event, FailureKind, Mode, RunResult, RunSpec
from ccplugin.testing import FakeAnthropic, Scenario, fail, offline_claude_env, reply, structured_output, tool_use

pytestmark = pytest.mark.real_claude

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",  # claude ignores it; we strip it
    "type": "object",
    "properties": {"verdict": {"enum": ["approve", "reject"]}, "issues": {"type": "array"}},
    "required": ["verdict"],
}


class Offline:
    """The real claude on a fake API: ``go(scenario, **spec fields)`` → RunResult."""

    def __init__(self, claude: str, repo: Path, tmp: Path) -> None:
        self.claude, self.repo, self.tmp = claude, repo, tmp
        self.events: list[Event] = []
        self.fake: FakeAnthropic | None = None

    def go(self, *rules: Any, retries: int = 0, **fields: Any) -> RunResult:
        self.fake = FakeAnthropic(Scenario.of(*rules)).start()
        try:
            env = offline_claude_env(self.fake, self.tmp, claude_bin=self.claude, retries=retries)
            base: dict[str, Any] = {
                "prompt": "-review the change",
                "cwd": str(self.repo),
                "mode": Mode.REVIEW,
                "model": "claude-opus-4-7",
                "effort": "high",
                "max_turns": 6,
                "timeout": 60.0,
            }
            spec = RunSpec(**(base | fields))
            return run(spec, env=env, binary=self.claude, on_event=self.events.append)
        finally:
            self.fake.stop()


@pytest.fixture
def offline(cc_claude_bin: str, repo: Path, tmp_path: Path) -> Offline:
    return Offline(cc_claude_bin, repo, tmp_path / "offline")


def test_structured_review(offline: Offline) -> None:
    r = offline.go(reply(structured_output({"verdict": "approve", "issues": []})), json_schema=SCHEMA)
    assert r.ok, r.failure_detail
    assert r.structured == {"verdict": "approve", "issues": []}
    assert r.exit_code == 0 and r.session_id
    assert r.cost_usd is not None and r.cost_usd > 0
    assert offline.events[0].kind == "init"
    assert offline.events[-1].kind == "result"
    assert offline.fake is not None
    (request,) = offline.fake.message_requests()
    assert request.summary.turn == 0


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, FailureKind.AUTH),
        (429, FailureKind.RATE_LIMIT),
        (529, FailureKind.OVERLOADED),
        (500, FailureKind.API_ERROR),
    ],
)
def test_http_errors_are_named(offline: Offline, status: int, kind: FailureKind) -> None:
    r = offline.go(fail(status, f"mock failure {status}"))
    assert r.failure is kind
    assert r.exit_code == 1 and r.is_error and r.subtype == "success"
    assert r.api_error_status == status
    assert f"HTTP {status}" in r.failure_detail
    assert f"mock failure {status}" in r.failure_detail
    line = failure_error(r).line()
    if kind is FailureKind.AUTH:
        assert "ANTHROPIC_API_KEY" in line and "`claude auth login`" in line
    else:
        assert "retry later" in line


def test_retries_show_as_progress(offline: Offline) -> None:
    r = offline.go(fail(529, times=1, headers={"retry-after": "0"}), reply("fine"), retries=2)
    assert r.ok, r.failure_detail
    retries = [e for e in offline.events if e.kind == "retry"]
    assert len(retries) == 1
    assert retries[0].message.startswith("API retry 1/2")
    assert "status 529" in retries[0].message


def test_turn_limit(offline: Offline, repo: Path) -> None:
    read = tool_use("Read", {"file_path": f"{repo}/calc.py"})
    r = offline.go(reply(read), max_turns=1)
    assert r.failure is FailureKind.MAX_TURNS
    assert r.subtype == "error_max_turns"
    assert "--max-turns 1" in r.failure_detail
    assert "--max-turns" in failure_error(r).fix


def test_structured_output_missing(offline: Offline) -> None:
    r = offline.go(reply("I only talk in prose."), json_schema=SCHEMA)
    assert r.failure is FailureKind.STRUCTURED_MISSING
    assert r.exit_code == 0 and not r.is_error
    assert r.structured is None


def test_claude_itself_rejects_structured_output_off_the_schema(offline: Offline) -> None:
    # claude validates the StructuredOutput input and asks again, so a bad answer surfaces as
    # missing output; STRUCTURED_INVALID is our own check behind it (test_runner_faults.py)
    r = offline.go(reply(structured_output({"verdict": 5}), turn=0), reply("gave up"), json_schema=SCHEMA)
    assert r.failure is FailureKind.STRUCTURED_MISSING
    assert offline.fake is not None
    rejected = offline.fake.message_requests()[1].summary.tool_results[0]
    assert rejected.is_error and "does not match required schema" in rejected.content


def test_read_only_review_cannot_write(offline: Offline, repo: Path) -> None:
    calc = f"{repo}/calc.py"
    edit = tool_use("Edit", {"file_path": calc, "old_string": "a + b", "new_string": "a - b"})
    leak = tool_use("Bash", {"command": f"git diff --output={repo}/leak.txt", "description": "d"})
    r = offline.go(
        reply(tool_use("Read", {"file_path": calc}), turn=0),
        reply(edit, leak, turn=1),
        reply("done", turn=2),
    )
    assert r.ok, r.failure_detail
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert not (repo / "leak.txt").exists()
    # Edit is not even a tool of a read-only run (issue 9): its call fails, it is no permission denial
    assert {d["tool_name"] for d in r.denials} == {"Bash"}
    assert offline.fake is not None
    edit_result = offline.fake.message_requests()[2].summary.tool_results[0]
    assert edit_result.is_error and "No such tool available" in edit_result.content


def test_rescue_write_edits_files(offline: Offline, repo: Path) -> None:
    calc = f"{repo}/calc.py"
    edit = tool_use("Edit", {"file_path": calc, "old_string": "a + b", "new_string": "a + b + 0"})
    r = offline.go(
        reply(tool_use("Read", {"file_path": calc}), turn=0),
        reply(edit, turn=1),
        reply("fixed", turn=2),
        mode=Mode.RESCUE_WRITE,
        persist_session=True,
    )
    assert r.ok, r.failure_detail
    assert "a + b + 0" in (repo / "calc.py").read_text()
    assert r.files_touched == ("calc.py",)
    assert r.tools_used == ("Read calc.py", "Edit calc.py")
    assert r.text == "fixed"


def test_timeout_stops_the_real_cli(offline: Offline) -> None:
    spawned: list[proc.Identity] = []
    fake = FakeAnthropic(Scenario.of(reply("late", delay_s=30))).start()
    try:
        env = offline_claude_env(fake, offline.tmp, claude_bin=offline.claude)
        spec = RunSpec("hi", str(offline.repo), Mode.REVIEW, "claude-opus-4-7", None, 3, 2.0)
        r = run(spec, env=env, binary=offline.claude, on_spawn=spawned.append)
    finally:
        fake.stop()
    assert r.failure is FailureKind.TIMEOUT
    assert not spawned[0].alive()
