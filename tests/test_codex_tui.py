"""``$cc:`` commands typed into the real interactive Codex TUI, in a pseudo-terminal (tests/tui_helpers.py).

Codex runs with its default sandbox and approvals, the plugin installed into a temporary
CODEX_HOME, against the scripted fake Responses API (whose "model" calls the tools the skills tell
it to call); the real claude runs against the fake Anthropic API. Everything stays on loopback
(DESIGN.md §9): analytics off, dead HTTP(S) proxies with NO_PROXY=127.0.0.1,localhost, temp HOME.
Each wait is bounded; a failure prints the screen the user would have seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccplugin import proc
from ccplugin.jobs.store import GRACE, Job, State
from ccplugin.testing import FakeAnthropic, reply, structured_output, text, tool_use
from ccplugin.testing.scenario import function_call
from codex_helpers import Installed, installed_plugin, jobs, launcher, stopped_after
from helpers import finding, review_output
from support import FakeResponses, exec_command, spawn_agent
from tui_helpers import APPROVAL, MAX_YIELD_MS, NETWORK_JUSTIFICATION, CodexTui, codex_tui, escalated, title_reply

pytestmark = [pytest.mark.real_codex, pytest.mark.real_claude]

BUG = "def add(a, b):\n    return a - b\n"
SIGN_FLIPPED = "[high] Sign flipped (calc.py:2)"
NUDGED = "Claude Code finished a job you have not opened yet."
SETUP_JUSTIFICATION = "ccplugin setup checks Claude Code and trusts the plugin's hooks in Codex's config"
CALC = "__CWD__/calc.py"
CHANGED = "- calc.py (edited by Claude; changed in git)"
NOT_EXPECTED = "(the fake model got a tool output this scenario does not expect)"
# start-up warnings that come from this machine or from the harness, never from the plugin
NOT_ABOUT_THE_PLUGIN = (
    "Codex could not find bubblewrap on PATH.",  # no system bwrap here; Codex uses its bundled one
    "Running without the shared background server:",  # the harness's -c overrides (embedded mode)
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return installed_plugin(tmp_path_factory, "codex-tui")


@pytest.fixture
def fakes() -> Iterator[list[FakeResponses | FakeAnthropic]]:
    yield from stopped_after()


def start_codex(fakes: list[FakeResponses | FakeAnthropic], title: str, *rules: object) -> FakeResponses:
    fake = FakeResponses([title_reply(title), *rules]).start()  # type: ignore[list-item]
    fakes.append(fake)
    return fake


def start_claude(fakes: list[FakeResponses | FakeAnthropic], *findings: dict[str, object]) -> FakeAnthropic:
    answer = structured_output(review_output(*findings))
    fake = FakeAnthropic([reply(answer, tool_offered="StructuredOutput")]).start()
    fakes.append(fake)
    return fake


def read_then_edit(final: object) -> list[object]:
    """Claude reads calc.py, edits it, then answers with ``final`` (a rule)."""
    edit = {"file_path": CALC, "old_string": "return a + b", "new_string": "return a + b  # checked"}
    return [reply(tool_use("Read", {"file_path": CALC}), turn=0), reply(tool_use("Edit", edit), turn=1), final]


def reserved_id(reserved: Path) -> str:
    """The shell expression that reads the id ``reserve --json`` wrote to ``reserved`` (the scripted
    model cannot remember it as a real one would)."""
    return f'"$(sed -n \'s/.*"job_id": "\\([^"]*\\)".*/\\1/p\' {reserved})"'


def background(reserve: str, command: str, kind: str) -> list[object]:
    """The skills' ``--background`` flow: reserve, spawn one sub-agent (multi-agent v2, which the
    TUI's default model offers), tell the user; the sub-agent runs ``command``, polls it with
    ``write_stdin`` while it runs longer than the tool call, and says it finished."""
    spawn = spawn_agent(
        f"Run the reserved {kind} in the foreground.", namespace="collaboration", task_name=f"cc_{kind}"
    )
    return [
        reply(escalated(command), subagent=True, last_user_contains="NEW_TASK", times=1),
        reply(POLL, subagent=True, last_output_contains=RUNNING),
        reply(f"Background Claude Code {kind} finished.", subagent=True, last_output_contains="$cc:result"),
        reply(f"The background {kind} ended without a result.", subagent=True),
        reply(exec_command(reserve), turn=0),
        reply(spawn, turn=1),
        reply(f"Claude Code {kind} started in the background.", turn=2),
    ]


RUNNING = "Process running with session ID"  # exec_command returned before the command exited
POLL = function_call("write_stdin", {"session_id": "__OUT:session_id__", "chars": "", "yield_time_ms": 300000})


def squeezed(text: str) -> str:
    return "".join(text.split())


def approve(tui: CodexTui, command: str, thread: str | None = None) -> str:
    """Wait for Codex's approval prompt for ``command`` (asked by sub-agent ``thread``) and press
    ``y`` ("Yes, proceed"); return the screen that asked."""
    tui.wait_for(APPROVAL, timeout=30, unless=NOT_EXPECTED)
    screen = tui.text()
    assert squeezed(f"$ {command}") in squeezed(screen), screen  # long commands wrap
    assert thread is None or f"Thread: {thread}" in screen, screen
    tui.send("y")
    if thread is None:
        tui.wait_for("You approved codex to run", timeout=10)
    else:  # a sub-agent's approval leaves no line in the main thread
        tui.wait_gone(APPROVAL, timeout=10)
    return screen


# -- start-up ------------------------------------------------------------------------------------


def test_tui_starts_with_the_skills_offered_and_no_warning_about_the_plugin(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    codex = start_codex(fakes, "Nothing")
    with codex_tui(installed.env_for(tmp_path), codex, repo) as tui:
        warnings = tui.warnings()
        tui.child.send("$cc:")
        tui.wait_for("Claude Code Review")
        offered = tui.text()
    assert [w for w in warnings if not w.startswith(NOT_ABOUT_THE_PLUGIN)] == []
    for skill in ("Claude Code Review", "Claude Code Adversarial", "Claude Code Rescue"):
        assert skill in offered, offered


# -- reviews -------------------------------------------------------------------------------------


def test_tui_review_asks_for_approval_then_the_review_comes_back_into_the_thread(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    command = f"{launcher(env)} review"
    codex = start_codex(
        fakes,
        "Claude review",
        reply(escalated(command), turn=0),
        reply(f"Claude Code's review: {SIGN_FLIPPED}. Which findings should I fix?", last_output_contains=SIGN_FLIPPED),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit("$cc:review")
        approve(tui, command)
        tui.wait_for("Which findings should I fix?", timeout=60, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert f"$ {command}\n" in shown and "# Claude Code Review" in shown and SIGN_FLIPPED in shown, shown
    assert "Claude Code's review: " + SIGN_FLIPPED in shown
    assert len(claude.message_requests()) == 1


def test_tui_adversarial_review_passes_the_focus_text_to_claude(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    focus = "challenge the error handling design"
    command = f"{launcher(env)} adversarial-review {focus}"
    codex = start_codex(
        fakes,
        "Challenge the design",
        reply(escalated(command), turn=0),
        reply(f"Claude Code challenged it: {SIGN_FLIPPED}", last_output_contains=SIGN_FLIPPED),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit(f"$cc:adversarial-review {focus}")
        approve(tui, command)
        tui.wait_for("Claude Code challenged it: ", timeout=60, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert "# Claude Code Adversarial Review" in shown and SIGN_FLIPPED in shown, shown
    (asked,) = claude.message_requests()
    assert focus in json.dumps(asked.body)


# -- setup ---------------------------------------------------------------------------------------


def test_tui_setup_checks_everything_after_approval(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    env = installed.env_for(tmp_path, start_claude(fakes))
    cc = launcher(env)
    codex = start_codex(
        fakes,
        "Set up Claude Code",
        reply(escalated(f"{cc} setup --json", SETUP_JUSTIFICATION), turn=0),
        reply(escalated(f"{cc} setup", SETUP_JUSTIFICATION), last_output_contains='"checks"'),
        reply("Setup says: ready.", last_output_contains="Status: ready"),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit("$cc:setup")
        approve(tui, f"{cc} setup --json")
        approve(tui, f"{cc} setup")
        tui.wait_for("Setup says: ready.", timeout=60, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert "Status: ready" in shown and "- hooks: ok — 4 hooks trusted" in shown, shown


# -- rescue --------------------------------------------------------------------------------------


def test_tui_rescue_edits_a_file_and_lists_it(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    claude = FakeAnthropic(read_then_edit(reply(text("Fixed calc.py: add() is now checked."), turn=2))).start()
    fakes.append(claude)
    env = installed.env_for(tmp_path, claude)
    cc, task = launcher(env), "fix the add function"
    rescue = f"{cc} rescue -- {task}"
    codex = start_codex(
        fakes,
        "Fix add",
        reply(exec_command(f"{cc} rescue --resume-candidate --json -- {task}"), turn=0),
        reply(escalated(rescue), last_output_contains='"available": false'),
        reply("Claude Code: calc.py (edited by Claude; changed in git)", last_output_contains=CHANGED),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit(f"$cc:rescue {task}")
        approve(tui, rescue)
        tui.wait_for("Claude Code: calc.py", timeout=60, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert "## Files changed\n\n" + CHANGED in shown, shown
    assert "return a + b  # checked" in (repo / "calc.py").read_text()


# -- background jobs -----------------------------------------------------------------------------


def test_tui_background_review_then_status_and_result(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    claude = start_claude(fakes, finding("calc.py", 2))
    env = installed.env_for(tmp_path, claude)
    cc, reserved = launcher(env), Path(env["CCPLUGIN_HOME"]) / "reserved.json"  # writable in the sandbox
    job_id = reserved_id(reserved)
    review = f"{cc} review --job-id {job_id}"
    codex = start_codex(
        fakes,
        "Background review",
        *background(f"{cc} reserve --kind review --json > {reserved}", review, "review"),
        reply(NUDGED, last_user_contains="what next?", system_contains="opens it"),
        reply(NOT_EXPECTED, last_user_contains="what next?"),
        reply(exec_command(f"{cc} status"), last_user_contains="$cc:status", has_tool_result=False),
        reply("Status: the review is completed.", last_output_contains="completed", has_tool_result=True, times=1),
        reply(exec_command(f"{cc} result {job_id}"), last_user_contains="$cc:result", has_tool_result=False),
        reply(f"Result: {SIGN_FLIPPED}", last_output_contains=SIGN_FLIPPED),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit("$cc:review --background")
        tui.wait_for("Claude Code review started in the background.", timeout=30, unless=NOT_EXPECTED)
        approve(tui, review, thread="/root/cc_review")
        tui.wait_for("Completed `/root/cc_review`", timeout=60)
        (job,) = jobs(env)
        assert job.state is State.COMPLETED and job.viewed_at is None

        tui.submit("what next?")
        tui.wait_for(NUDGED, timeout=30, unless=NOT_EXPECTED)
        tui.submit("$cc:status")
        tui.wait_for("Status: the review is completed.", timeout=30, unless=NOT_EXPECTED)
        tui.submit(f"$cc:result {job.id}")
        tui.wait_for(f"Result: {SIGN_FLIPPED}", timeout=30, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert job.id in shown and "# Claude Code Review" in shown, shown
    assert jobs(env)[0].viewed_at is not None
    asked = next(json.dumps(r.body) for r in codex.response_requests() if "what next?" in r.summary.last_user_text)
    assert f"`$cc:result {job.id}` opens it" in asked  # the next prompt's nudge about the unseen job


def test_tui_rescue_resume_continues_the_same_claude_session(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    claude = FakeAnthropic([reply(text("The sign is flipped."), turn=0), reply(text("Applied the fix."))]).start()
    fakes.append(claude)
    env = installed.env_for(tmp_path, claude)
    cc, first, then = launcher(env), "investigate why the tests fail", "apply the top fix from the last run"
    resume = f"{cc} rescue --resume -- {then}"
    codex = start_codex(
        fakes,
        "Investigate tests",
        reply(escalated(resume), last_user_contains="--resume", has_tool_result=False),
        reply("Claude Code continued: Applied the fix.", last_output_contains="Applied the fix."),
        reply(exec_command(f"{cc} rescue --resume-candidate --json -- {first}"), turn=0),
        reply(escalated(f"{cc} rescue -- {first}"), last_output_contains='"available": false'),
        reply("Claude Code found: The sign is flipped.", last_output_contains="The sign is flipped."),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit(f"$cc:rescue {first}")
        approve(tui, f"{cc} rescue -- {first}")
        tui.wait_for("Claude Code found: The sign is flipped.", timeout=60, unless=NOT_EXPECTED)
        tui.submit(f"$cc:rescue --resume {then}")
        approve(tui, resume)
        tui.wait_for("Claude Code continued: Applied the fix.", timeout=60, unless=NOT_EXPECTED)
        shown = tui.expanded()
    started, resumed = (r.summary.session_id for r in claude.message_requests())
    assert started == resumed
    assert f"Claude session: continued {started} (from job " in shown, shown


@dataclass(frozen=True)
class SlowReview:
    """A ``$cc:review --background`` whose Claude takes a minute: the job is running."""

    env: dict[str, str]
    cc: str
    reserved: Path  # where `reserve --json` wrote the job id
    review: str

    @property
    def job_id(self) -> str:
        return reserved_id(self.reserved)


def slow_review(installed: Installed, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]) -> SlowReview:
    claude = FakeAnthropic([reply(structured_output(review_output()), tool_offered="StructuredOutput", delay_s=60)])
    fakes.append(claude.start())
    env = installed.env_for(tmp_path, claude)
    cc, reserved = launcher(env), Path(env["CCPLUGIN_HOME"]) / "reserved.json"  # writable in the sandbox
    return SlowReview(env, cc, reserved, f"{cc} review --job-id {reserved_id(reserved)}")


def start_slow_review(tui: CodexTui, slow: SlowReview, *, submit: bool = True) -> Job:
    if submit:
        tui.submit("$cc:review --background")
    approve(tui, slow.review, thread="/root/cc_review")
    deadline = time.monotonic() + 30
    while not (live := jobs(slow.env)) or live[0].state is not State.RUNNING or live[0].phase != "reviewing":
        assert time.monotonic() < deadline, f"the review never ran: {live}\n{tui.text()}"
        time.sleep(0.2)
    time.sleep(GRACE + 1)  # as a user would look later: past the store's grace for a fresh worker
    return live[0]


def reserve_rules(slow: SlowReview) -> list[object]:
    return background(f"{slow.cc} reserve --kind review --json > {slow.reserved}", slow.review, "review")


def test_tui_cancel_stops_a_running_background_review(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    """Cancel run inside the sandbox (escalation refused, the store writable): its PID namespace cannot
    see the worker, so it records the request and the worker stops itself; no pid is signalled."""
    (repo / "calc.py").write_text(BUG)
    slow = slow_review(installed, tmp_path, fakes)
    codex = start_codex(
        fakes,
        "Background review",
        *reserve_rules(slow),
        reply(exec_command(f"{slow.cc} cancel {slow.job_id}"), last_user_contains="$cc:cancel", has_tool_result=False),
        reply("Cancelled the review.", last_output_contains="cancelled"),
        reply(NOT_EXPECTED),
    )
    with codex_tui(slow.env, codex, repo) as tui:
        job = start_slow_review(tui, slow)
        tui.submit(f"$cc:cancel {job.id}")
        tui.wait_for("Cancelled the review.", timeout=30, unless=NOT_EXPECTED)
        shown = tui.expanded()
        assert jobs(slow.env)[0].state is State.CANCELLED, shown
    assert job.pid is not None and job.pid_start is not None
    assert not proc.Identity(job.pid, job.pid_start).alive()


def test_tui_status_while_a_background_review_runs_leaves_it_running(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    (repo / "calc.py").write_text(BUG)
    slow = slow_review(installed, tmp_path, fakes)
    codex = start_codex(
        fakes,
        "Background review",
        *reserve_rules(slow),
        reply(exec_command(f"{slow.cc} status"), last_user_contains="$cc:status", has_tool_result=False),
        reply("Status: the review is still running.", last_output_contains="| running |"),
        reply(NOT_EXPECTED),
    )
    with codex_tui(slow.env, codex, repo) as tui:
        job = start_slow_review(tui, slow)
        tui.submit("$cc:status")
        tui.wait_for("Status: the review is still running.", timeout=30, unless=NOT_EXPECTED)
        time.sleep(1)
        assert jobs(slow.env)[0].state is State.RUNNING and jobs(slow.env)[0].id == job.id, tui.expanded()


def test_tui_rescue_with_the_job_store_outside_the_sandbox_writable_roots(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    """As for a real user: the state root is not under the cwd, /tmp or $TMPDIR."""
    claude = FakeAnthropic(read_then_edit(reply(text("Fixed calc.py: add() is now checked."), turn=2))).start()
    fakes.append(claude)
    env = installed.env_for(tmp_path, claude)
    cc, task = launcher(env), "fix the add function"
    codex = start_codex(
        fakes,
        "Fix add",
        reply(exec_command(f"{cc} rescue --resume-candidate --json -- {task}"), turn=0),
        reply(escalated(f"{cc} rescue -- {task}"), last_output_contains='"available": false'),
        reply("Claude Code: calc.py (edited by Claude; changed in git)", last_output_contains=CHANGED),
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo, state_writable=False) as tui:
        tui.submit(f"$cc:rescue {task}")
        approve(tui, f"{cc} rescue -- {task}")
        tui.wait_for("Claude Code: calc.py", timeout=60, unless=NOT_EXPECTED)


# -- a user's job store (outside the sandbox's writable folders) and long runs -----------------------

STORE_JUSTIFICATION = "ccplugin records the job in its job store, outside the sandbox's writable folders"
CANCEL_JUSTIFICATION = "ccplugin cancel records the cancel in its job store and stops the job's process"
POLL_INSTRUCTION = "call `write_stdin` with that"  # the skills' way through a run longer than one tool call


def store_write(cc: str, command: str, justification: str) -> object:
    """An escalated ``exec_command`` as the skills ask for ``reserve``/``cancel``, with a prefix rule."""
    sub = command.split()[0]
    return exec_command(
        f"{cc} {command}",
        sandbox_permissions="require_escalated",
        justification=justification,
        prefix_rule=[cc, sub],
        yield_time_ms=MAX_YIELD_MS,
    )


def test_tui_background_review_status_and_cancel_with_the_job_store_outside_the_sandbox_writable_roots(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    """As for a real user: reserve and cancel are approved (they write the store); status reads it in the sandbox."""
    (repo / "calc.py").write_text(BUG)
    slow = slow_review(installed, tmp_path, fakes)
    reserve = f"reserve --kind review --json > {slow.reserved}"
    codex = start_codex(
        fakes,
        "Background review",
        *background("", slow.review, "review")[:4],
        reply(store_write(slow.cc, reserve, STORE_JUSTIFICATION), turn=0),
        *background("", slow.review, "review")[5:],
        reply(
            store_write(slow.cc, f"cancel {slow.job_id}", CANCEL_JUSTIFICATION),
            last_user_contains="$cc:cancel",
            has_tool_result=False,
        ),
        reply("Cancelled the review.", last_output_contains="State: cancelled"),
        reply(exec_command(f"{slow.cc} status"), last_user_contains="$cc:status", has_tool_result=False),
        reply("Status: the review is still running.", last_output_contains="| running |"),
        reply(NOT_EXPECTED),
    )
    with codex_tui(slow.env, codex, repo, state_writable=False) as tui:
        tui.submit("$cc:review --background")
        asked = approve(tui, f"{slow.cc} {reserve}")
        job = start_slow_review(tui, slow, submit=False)
        tui.submit("$cc:status")
        tui.wait_for("Status: the review is still running.", timeout=30, unless=NOT_EXPECTED)
        assert jobs(slow.env)[0].state is State.RUNNING, tui.expanded()
        tui.submit(f"$cc:cancel {job.id}")
        approve(tui, f"{slow.cc} cancel")
        tui.wait_for("Cancelled the review.", timeout=30, unless=NOT_EXPECTED)
        shown = tui.expanded()
    assert "don't ask again" in asked.lower(), asked  # the prefix rule: approve reserve once for good
    assert f"Cancelled {job.id} (" in shown and "State: cancelled." in shown, shown
    assert jobs(slow.env)[0].state is State.CANCELLED
    assert job.pid is not None and job.pid_start is not None
    assert not proc.Identity(job.pid, job.pid_start).alive()


def test_tui_background_review_longer_than_one_tool_call_is_polled_to_its_end(
    installed: Installed, repo: Path, tmp_path: Path, fakes: list[FakeResponses | FakeAnthropic]
) -> None:
    """Claude takes longer than ``exec_command``'s default 10 s: the sub-agent polls with ``write_stdin``
    as the skill says, so Codex does not stop the review when the first tool call returns."""
    (repo / "calc.py").write_text(BUG)
    answer = structured_output(review_output(finding("calc.py", 2)))
    claude = FakeAnthropic([reply(answer, tool_offered="StructuredOutput", delay_s=14)]).start()
    fakes.append(claude)
    env = installed.env_for(tmp_path, claude)
    cc, reserved = launcher(env), Path(env["CCPLUGIN_HOME"]) / "reserved.json"
    review = f"{cc} review --job-id {reserved_id(reserved)}"
    first = exec_command(review, sandbox_permissions="require_escalated", justification=NETWORK_JUSTIFICATION)
    flow = background(f"{cc} reserve --kind review --json > {reserved}", review, "review")
    codex = start_codex(
        fakes,
        "Background review",
        reply(first, subagent=True, last_user_contains="NEW_TASK", times=1),
        *flow[1:],
        reply(NOT_EXPECTED),
    )
    with codex_tui(env, codex, repo) as tui:
        tui.submit("$cc:review --background")
        tui.wait_for("Claude Code review started in the background.", timeout=30, unless=NOT_EXPECTED)
        approve(tui, review, thread="/root/cc_review")
        tui.wait_for("Completed `/root/cc_review`", timeout=90)
    (job,) = jobs(env)
    assert job.state is State.COMPLETED and (job.result or {}).get("verdict") == "needs-attention", job
    polls = [r for r in codex.response_requests() if RUNNING in r.summary.last_output_text]
    assert polls, "the review ended within one tool call: the scenario did not test polling"
    skill_turn = next(json.dumps(r.body) for r in codex.response_requests() if "$cc:review" in r.summary.last_user_text)
    assert POLL_INSTRUCTION in skill_turn.replace("\\n   > ", " ")
