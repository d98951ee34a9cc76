"""A review already in flight for the same cache key is waited for, not paid for twice: the real
claude CLI against the fake API (model calls counted), real git, separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ccplugin.jobs.lifecycle import KILL_GRACE
from ccplugin.testing import reply, structured_output, text
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude

SLOW = 4.0  # the fake API's answer to the first review takes this long


@pytest.fixture
def changed(repo: Path) -> Path:
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    return repo


def answer(delay: float = 0.0, **options: Any) -> Any:
    found = structured_output(review_output(finding("calc.py", 6)))
    return reply(found, tool_offered="StructuredOutput", delay_s=delay, **options)


@dataclass
class Running:
    child: subprocess.Popen[str]

    def finish(self, timeout: float = 120) -> tuple[int, dict[str, Any], str]:
        out, err = self.child.communicate(timeout=timeout)
        return self.child.returncode, json.loads(out), err


def start(cwd: Path, env: Mapping[str, str], *args: str) -> Running:
    child = subprocess.Popen(
        [sys.executable, "-m", "ccplugin", "review", "--fail-on", "high", "--json", *args],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Running(child)


def jobs(cwd: Path, env: Mapping[str, str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = ccplugin("status", "--all", "--json", cwd=cwd, env=env).json()["jobs"]
    return listed


def wait_until_waiting(cwd: Path, env: Mapping[str, str], timeout: float = 60) -> dict[str, Any]:
    """The job that says it waits for a review in flight (once one does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in jobs(cwd, env):
            if (job.get("phase") or "").startswith("waiting for "):
                return job
        time.sleep(0.2)
    pytest.fail("no review started waiting for the one in flight")


def test_two_identical_reviews_at_once_make_one_model_call(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([answer(SLOW)])
    first = start(changed, claude.env)
    claude.fake.wait_for_messages(1, timeout=60)
    second = start(changed, claude.env)
    code1, out1, _ = first.finish()
    code2, out2, err2 = second.finish()
    assert len(claude.fake.message_requests()) == 1
    assert (code1, code2) == (1, 1)
    assert out1["gate"]["status"] == out2["gate"]["status"] == "fail"
    assert (out1["cached"], out2["cached"]) == (False, True)
    assert out2["reused"]["job_id"] == out1["job_id"] != out2["job_id"]
    assert f"waiting for {out1['job_id']} already in flight for this change" in err2


def test_a_hit_names_the_job_it_reuses_and_when_it_ran(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([answer()])
    before = time.time()
    first = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env).json()
    second = ccplugin("review", "--fail-on", "high", "--json", cwd=changed, env=claude.env).json()
    assert second["cached"] is True
    assert second["reused"]["job_id"] == first["job_id"]
    assert before <= second["reused"]["at"] <= time.time()
    shown = ccplugin("result", second["job_id"], cwd=changed, env=claude.env).out
    when = time.strftime("%Y-%m-%d", time.gmtime(second["reused"]["at"]))
    assert f"Cached: reuses the review of {first['job_id']} ({when} " in shown
    assert first["reused"] == {}


def test_when_the_first_is_cancelled_the_waiter_runs_its_own(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("slow"), delay_s=60, times=1), answer()])
    started = ccplugin("review", "--background", "--json", cwd=changed, env=claude.env).json()["job_id"]
    claude.fake.wait_for_messages(1, timeout=60)
    second = start(changed, claude.env)
    waiting = wait_until_waiting(changed, claude.env)
    assert waiting["id"] != started
    assert ccplugin("cancel", started, "--json", cwd=changed, env=claude.env).json()["state"] == "cancelled"
    code, out, _ = second.finish()
    assert (code, out["cached"], out["gate"]["status"]) == (1, False, "fail")
    assert len(claude.fake.message_requests()) == 2


def test_when_the_first_is_killed_the_waiter_proceeds_within_seconds(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("slow"), delay_s=60, times=1), answer()])
    first = start(changed, claude.env)
    claude.fake.wait_for_messages(1, timeout=60)
    second = start(changed, claude.env)
    wait_until_waiting(changed, claude.env)
    first.child.send_signal(signal.SIGKILL)
    first.child.wait(timeout=10)
    killed = time.monotonic()
    claude.fake.wait_for_messages(2, timeout=60)
    assert time.monotonic() - killed < 8  # the kernel dropped the lock with the process (startup included)
    code, out, _ = second.finish()
    assert (code, out["cached"], out["gate"]["status"]) == (1, False, "fail")


def test_no_cache_never_waits(changed: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude([reply(text("slow"), delay_s=60, times=1), answer()])
    first = start(changed, claude.env)
    claude.fake.wait_for_messages(1, timeout=60)
    try:
        args = ("review", "--no-cache", "--fail-on", "high", "--json")
        forced = ccplugin(*args, cwd=changed, env=claude.env, timeout=50)
        assert (forced.code, forced.json()["cached"]) == (1, False)
        assert "waiting for" not in forced.err
        assert first.child.poll() is None  # the first one is still in flight
    finally:
        os.kill(first.child.pid, signal.SIGTERM)
        first.child.communicate(timeout=60)
    assert len(claude.fake.message_requests()) == 2


def test_two_pytest_sessions_on_the_same_diff_make_one_model_call(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    (changed / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    (changed / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    subprocess.run(["git", "add", ".gitignore", "test_calc.py"], cwd=changed, check=True)
    subprocess.run(["git", "commit", "-qm", "tests"], cwd=changed, check=True, capture_output=True)
    claude = cc_fake_claude([answer(SLOW)])
    argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "--cc-review"]
    argv += ["--cc-fail-on", "high"]

    def session() -> subprocess.Popen[str]:
        return subprocess.Popen(
            argv, cwd=changed, env=dict(claude.env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )

    first = session()
    claude.fake.wait_for_messages(1, timeout=60)
    second = session()
    out1, out2 = first.communicate(timeout=120)[0], second.communicate(timeout=120)[0]
    assert (first.returncode, second.returncode) == (1, 1), out1 + out2
    assert "cc-review FAIL:" in out1 and "cc-review FAIL:" in out2
    assert len(claude.fake.message_requests()) == 1


def test_a_waiter_cancelled_while_waiting_ends_cancelled_at_once(
    changed: Path, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([reply(text("slow"), delay_s=60, times=1), answer()])
    first = start(changed, claude.env)
    claude.fake.wait_for_messages(1, timeout=60)
    try:
        waiter = ccplugin("review", "--background", "--json", cwd=changed, env=claude.env).json()["job_id"]
        assert wait_until_waiting(changed, claude.env)["id"] == waiter
        asked = time.monotonic()
        cancelled = ccplugin("cancel", waiter, "--json", cwd=changed, env=claude.env, timeout=30)
        assert cancelled.json()["state"] == "cancelled", cancelled.err
        assert time.monotonic() - asked < KILL_GRACE - 1  # it stopped on SIGTERM, not on the SIGKILL after
        assert first.child.poll() is None  # the review in flight goes on
    finally:
        os.kill(first.child.pid, signal.SIGTERM)
        first.child.communicate(timeout=60)
    assert len(claude.fake.message_requests()) == 1
