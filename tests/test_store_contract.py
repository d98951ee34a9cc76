"""The job store's contract: states, compare-and-set, lookups, marks, pruning, reaping.

Real SQLite in tmp_path and, where a worker must be dead or alive, real processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccplugin import proc
from ccplugin.errors import CCError
from ccplugin.jobs import lifecycle
from ccplugin.jobs.ids import JOB_ID_RE
from ccplugin.jobs.store import LIVE, TERMINAL, Job, State, Store
from helpers import new_job


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "state", grace=0.0) as s:
        yield s


@pytest.fixture
def dead() -> proc.Identity:
    """The identity of a process that has exited."""
    child = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL)
    ident = proc.identity(child.pid)
    assert ident is not None
    child.kill()
    child.wait()
    return ident


def new(store: Store, ws: str, **kw: Any) -> Job:
    return new_job(store, ws, **({"request": {"scope": "auto"}} | kw))


def finish(store: Store, job: Job, state: State = State.COMPLETED) -> Job:
    if job.state is State.QUEUED:
        me = proc.identity(os.getpid())
        assert me is not None
        assert lifecycle.claim(store, job.id, me) is not None
    done = store.transition(job.id, [State.RUNNING], state, result={"ok": True})
    assert done is not None
    return done


# -- creation ---------------------------------------------------------------------------


def test_create_queued_records_everything(store: Store, ws: str, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(ws)
    job = new(store, str(link), owner="sess-1", kind="adversarial-review", effort="high")
    assert JOB_ID_RE.match(job.id) and job.id.startswith("adversarial-")
    assert job.workspace == os.path.realpath(ws)
    assert (job.state, job.phase, job.owner, job.effort) == (
        State.QUEUED,
        "queued",
        "sess-1",
        "high",
    )
    assert job.pid is None and job.started_at is None and job.finished_at is None
    assert job.request == {"scope": "auto"} and job.usage == {} and job.result is None
    assert store.get(job.id) == job


def test_create_running_makes_the_caller_its_worker(store: Store, ws: str) -> None:
    job = new(store, ws, state=State.RUNNING)
    assert job.state is State.RUNNING and job.started_at is not None
    assert (job.pid, job.pid_start) == (os.getpid(), proc.start_time(os.getpid()))
    assert store.get(job.id).state is State.RUNNING  # alive: never reaped


def test_create_with_reserved_id_and_duplicate(store: Store, ws: str) -> None:
    job = new(store, ws, job_id="rescue-abcdef1-0a1b2c", kind="rescue")
    assert job.id == "rescue-abcdef1-0a1b2c"
    with pytest.raises(CCError, match="already exists"):
        new(store, ws, job_id=job.id)


@pytest.mark.parametrize("bad", [{"kind": "task"}, {"state": State.COMPLETED}, {"state": State.CANCELLING}])
def test_create_rejects_bad_kind_or_state(store: Store, ws: str, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        new(store, ws, **bad)


# -- state machine and compare-and-set -----------------------------------------------------


def test_happy_path_sets_times(store: Store, ws: str) -> None:
    job = new(store, ws)
    me = proc.identity(os.getpid())
    assert me is not None
    running = lifecycle.claim(store, job.id, me)
    assert running is not None and running.state is State.RUNNING
    assert (running.pid, running.pid_start, running.phase) == (me.pid, me.start, "starting")
    assert running.started_at is not None and running.finished_at is None
    done = store.transition(
        job.id,
        [State.RUNNING],
        State.COMPLETED,
        result={"verdict": "approve"},
        usage={"input_tokens": 3},
        cost_usd=0.25,
        claude_session="abc",
    )
    assert done is not None and done.state is State.COMPLETED
    assert done.finished_at is not None and done.started_at == running.started_at
    assert (done.result, done.usage, done.cost_usd) == (
        {"verdict": "approve"},
        {"input_tokens": 3},
        0.25,
    )
    assert done.elapsed >= 0 and done.to_dict()["state"] == "completed"


def test_cas_misses_when_state_differs(store: Store, ws: str) -> None:
    job = new(store, ws)
    assert store.transition(job.id, [State.RUNNING], State.COMPLETED) is None
    assert store.get(job.id) == job
    assert store.transition("review-abcdef1-000000", [State.QUEUED], State.RUNNING) is None


@pytest.mark.parametrize("end", sorted(TERMINAL))
def test_terminal_state_is_never_left(store: Store, ws: str, end: State) -> None:
    job = finish(store, new(store, ws), State.FAILED if end is State.COMPLETED else State.COMPLETED)
    for target in State:
        with pytest.raises(ValueError):
            store.transition(job.id, [job.state], target)
    assert lifecycle.claim(store, job.id, proc.Identity(os.getpid(), 1)) is None
    assert store.transition(job.id, LIVE, State.FAILED, error="late") is None
    # even a raw UPDATE cannot move it: a trigger guards the table
    db = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="finished job keeps its state"):
        db.execute("UPDATE jobs SET state = 'running' WHERE id = ?", (job.id,))
    db.close()
    assert store.get(job.id).state is job.state


@pytest.mark.parametrize(
    ("start", "new_state"),
    [
        (State.QUEUED, State.COMPLETED),
        (State.QUEUED, State.QUEUED),
        (State.CANCELLING, State.RUNNING),
        (State.CANCELLING, State.COMPLETED),
    ],
)
def test_illegal_edges_are_bugs(store: Store, ws: str, start: State, new_state: State) -> None:
    job = new(store, ws)
    with pytest.raises(ValueError, match="cannot go"):
        store.transition(job.id, [start], new_state)


def test_cancel_wins_over_a_late_finish(store: Store, ws: str) -> None:
    live = [State.RUNNING, State.CANCELLING]
    racing = new(store, ws, state=State.RUNNING)
    assert store.transition(racing.id, [State.RUNNING], State.CANCELLING) is not None
    # cancelling never becomes completed: that edge is simply not taken
    assert store.transition(racing.id, live, State.COMPLETED) is None
    plain = new(store, ws, state=State.RUNNING)
    done = store.transition(plain.id, live, State.COMPLETED)
    assert done is not None and done.state is State.COMPLETED


def test_update_live_fields_only(store: Store, ws: str) -> None:
    job = new(store, ws)
    changed = store.update(job.id, phase="collecting diff", claude_session="s1")
    assert changed is not None and changed.phase == "collecting diff"
    assert changed.updated_at >= job.updated_at and changed.state is State.QUEUED
    with pytest.raises(ValueError):
        store.update(job.id, state="running")
    with pytest.raises(ValueError):
        store.update(job.id, workspace="/elsewhere")
    done = finish(store, job)
    assert store.update(done.id, phase="late", result={"ok": False}) is None
    assert store.get(done.id) == done
    marked = store.update(done.id, notified_at=123.0)
    assert marked is not None and marked.notified_at == 123.0 and marked.result == {"ok": True}


# -- cancel ---------------------------------------------------------------------------------


def test_cancelled_while_queued_never_starts(store: Store, ws: str) -> None:
    job = new(store, ws)
    cancelled = lifecycle.cancel(store, job.id)
    assert cancelled.state is State.CANCELLED and cancelled.error == "cancelled by user"
    assert cancelled.finished_at is not None
    assert lifecycle.claim(store, job.id, proc.Identity(os.getpid(), 1)) is None
    assert store.get(job.id).state is State.CANCELLED
    assert "cancelled by user" in store.log_path(job.id).read_text()


def test_cancel_finished_job_is_usage_error(store: Store, ws: str) -> None:
    job = finish(store, new(store, ws))
    with pytest.raises(CCError, match=f"job {job.id} is already completed") as e:
        lifecycle.cancel(store, job.id)
    assert e.value.exit_code == 2


def test_cancel_running_job_without_pid(store: Store, ws: str) -> None:
    job = new(store, ws, state=State.RUNNING)
    store.update(job.id, pid=None, pid_start=None)
    done = lifecycle.cancel(store, job.id)
    assert done.state is State.CANCELLED
    # the worker's own finish now misses: the cancel won
    assert store.transition(job.id, [State.RUNNING], State.COMPLETED) is None


def test_cancel_own_process_job_does_not_signal_self(store: Store, ws: str) -> None:
    job = new(store, ws, state=State.RUNNING)  # this process is the worker
    assert lifecycle.cancel(store, job.id).state is State.CANCELLED


# -- lookups ----------------------------------------------------------------------------------


def test_get_unknown_and_invalid(store: Store) -> None:
    with pytest.raises(CCError, match="no job review-abcdef1-000000") as e:
        store.get("review-abcdef1-000000")
    assert "ccplugin status --all" in e.value.fix and e.value.exit_code == 2


def test_find_by_id_and_prefix(store: Store, ws: str, tmp_path: Path) -> None:
    a = new(store, ws, job_id="review-aaaaaa1-000001")
    b = new(store, ws, job_id="review-aaaaaa2-000002")
    c = new(store, ws, job_id="rescue-bbbbbb1-000003", kind="rescue")
    other_ws = tmp_path / "other"
    other_ws.mkdir()
    d = new(store, str(other_ws), job_id="gate-cccccc1-000004", kind="gate")
    assert store.find(a.id, ws).id == a.id
    assert store.find("review-aaaaaa2", ws).id == b.id
    assert store.find("res", ws).id == c.id
    with pytest.raises(CCError, match="ambiguous: it matches review-aaaaaa2-000002, review-"):
        store.find("review-a", ws)
    with pytest.raises(CCError, match="no job matching 'gate'"):
        store.find("gate", ws)  # a prefix only looks in this workspace
    assert store.find(d.id, ws).id == d.id  # a whole id is found anywhere
    with pytest.raises(CCError, match="no job matching"):
        store.find("zzz", ws)


def test_list_order_and_filters(store: Store, ws: str, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    jobs = [new(store, ws, owner="s1" if i % 2 else "s2") for i in range(6)]
    new(store, str(other))
    assert [j.id for j in store.list(ws)] == [j.id for j in reversed(jobs)]
    assert [j.id for j in store.list(ws, limit=2)] == [jobs[5].id, jobs[4].id]
    assert {j.owner for j in store.list(ws, owner="s1")} == {"s1"}
    assert len(store.list(None)) == 7
    finish(store, jobs[1])
    assert [j.id for j in store.list(ws, states=TERMINAL)] == [jobs[1].id]
    assert store.list(ws, limit=0) == []


def test_order_does_not_follow_updates(store: Store, ws: str) -> None:
    old, young = new(store, ws), new(store, ws)
    finish(store, old)
    store.mark_viewed(old.id)
    assert [j.id for j in store.list(ws)] == [young.id, old.id]


# -- viewed / notified --------------------------------------------------------------------------


@pytest.mark.parametrize("end", [State.COMPLETED, State.FAILED])
def test_unread_until_viewed_or_notified(store: Store, ws: str, end: State) -> None:
    job = new(store, ws)
    assert not job.unread and store.mark_viewed(job.id) is None  # only a finished job
    done = finish(store, job, end)
    assert done.unread
    viewed = store.mark_viewed(done.id)
    assert viewed is not None and not viewed.unread and viewed.viewed_at is not None
    assert viewed.updated_at == done.updated_at  # a mark is not progress
    again = store.mark_viewed(done.id)
    assert again is not None and again.viewed_at == viewed.viewed_at  # first time wins
    other = finish(store, new(store, ws), end)
    notified = store.mark_notified(other.id)
    assert notified is not None and not notified.unread and notified.notified_at is not None


def test_cancelled_job_is_not_unread(store: Store, ws: str) -> None:
    assert not lifecycle.cancel(store, new(store, ws).id).unread


# -- prune -------------------------------------------------------------------------------------


def test_prune_keeps_live_and_newest_finished(store: Store, ws: str, tmp_path: Path) -> None:
    finished = [finish(store, new(store, ws)) for _ in range(6)]
    live = new(store, ws)
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = finish(store, new(store, str(other)))
    for job in [*finished, live]:
        store.append_log(job.id, "line")
    assert store.prune(ws, keep=2) == 4
    remaining = {j.id for j in store.list(None)}
    assert remaining == {finished[4].id, finished[5].id, live.id, elsewhere.id}
    assert not store.log_path(finished[0].id).exists()
    assert store.log_path(finished[5].id).exists() and store.log_path(live.id).exists()
    assert store.prune(ws, keep=2) == 0
    with pytest.raises(ValueError):
        store.prune(ws, keep=-1)


# -- reaping -------------------------------------------------------------------------------------


def test_running_job_with_dead_worker_is_abandoned(store: Store, ws: str, dead: proc.Identity) -> None:
    job = new(store, ws)
    assert lifecycle.claim(store, job.id, dead) is not None
    reaped = store.get(job.id)
    assert reaped.state is State.FAILED
    assert reaped.error == f"abandoned: worker {dead.pid} exited without finishing"
    assert "abandoned" in store.log_path(job.id).read_text()


def test_queued_job_with_dead_worker_is_abandoned(store: Store, ws: str, dead: proc.Identity) -> None:
    job = new(store, ws)
    store.update(job.id, pid=dead.pid, pid_start=dead.start)
    assert [j.state for j in store.list(ws)] == [State.FAILED]


def test_cancelling_job_with_dead_worker_ends_cancelled(store: Store, ws: str, dead: proc.Identity) -> None:
    job = new(store, ws)
    lifecycle.claim(store, job.id, dead)
    # written straight to the table, as if the canceller died before finishing
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE jobs SET state = 'cancelling' WHERE id = ?", (job.id,))
    reaped = store.get(job.id)
    assert (reaped.state, reaped.error) == (State.CANCELLED, "cancelled by user")


def test_unclaimed_queued_job_times_out(tmp_path: Path, ws: str) -> None:
    with Store(tmp_path / "s", unclaimed=0.0) as store:
        job = new(store, ws)
        reaped = store.get(job.id)
    assert reaped.state is State.FAILED and "no worker took it" in (reaped.error or "")


def test_grace_protects_a_just_claimed_job(tmp_path: Path, ws: str, dead: proc.Identity) -> None:
    with Store(tmp_path / "s", grace=0.3) as store:
        job = new(store, ws)
        lifecycle.claim(store, job.id, dead)
        assert store.get(job.id).state is State.RUNNING
        time.sleep(0.35)
        assert store.get(job.id).state is State.FAILED


def test_live_worker_is_not_reaped(store: Store, ws: str) -> None:
    job = new(store, ws)
    me = proc.identity(os.getpid())
    assert me is not None
    lifecycle.claim(store, job.id, me)
    assert store.get(job.id).state is State.RUNNING
    assert store.list(ws)[0].state is State.RUNNING


# -- records and secrets ---------------------------------------------------------------------------


def test_round_trip_through_dict(store: Store, ws: str) -> None:
    job = finish(store, new(store, ws))
    data = json.loads(json.dumps(job.to_dict()))
    assert Job.from_dict(data) == job


def test_secrets_are_never_stored(store: Store, ws: str) -> None:
    key = "sk-ant-api03-" + "A1b2" * 10
    job = new(store, ws, title=f"fix with {key}", request={"prompt": f"use {key}", "n": 1})
    store.append_log(job.id, f"env ANTHROPIC_API_KEY={key} and Bearer {'x' * 30}")
    finish(store, job)
    store_bytes = store.path.read_bytes() + Path(f"{store.path}-wal").read_bytes()
    assert key.encode() not in store_bytes
    assert key not in store.log_path(job.id).read_text()
    got = store.get(job.id)
    assert got.title == "fix with sk-ant-***" and got.request == {
        "prompt": "use sk-ant-***",
        "n": 1,
    }
    errored = new(store, ws, state=State.RUNNING)
    done = store.transition(errored.id, [State.RUNNING], State.FAILED, error=f"401 for {key}")
    assert done is not None and done.error == "401 for sk-ant-***"
