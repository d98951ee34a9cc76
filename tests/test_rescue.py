"""The rescue engine without Claude: the resume decision, the wording → recommendation, the tree diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin.errors import CCError
from ccplugin.jobs.store import State, Store
from ccplugin.rescue import request, resume


@pytest.mark.parametrize(
    ("task", "choice"),
    [
        ("continue the last run", "resume"),
        ("keep going", "resume"),
        ("apply the top fix from the last run", "resume"),
        ("dig deeper into the flaky test", "resume"),
        ("start over", "fresh"),
        ("re-investigate from scratch", "fresh"),
        ("start over and continue nothing from before", "fresh"),
        ("investigate why the tests started failing", "fresh"),
        ("", "fresh"),
    ],
)
def test_wording_recommends_resume_or_fresh(task: str, choice: str) -> None:
    assert resume.recommend(task)[0] == choice


def finished_rescue(store: Store, ws: Path, session: str | None, state: State = State.COMPLETED) -> str:
    job = store.create(
        kind="rescue", workspace=str(ws), owner=None, title="Rescue: x", request={"task": "x"}, model="m", effort=None
    )
    store.transition(job.id, [State.QUEUED], State.RUNNING)
    result = {"session_persisted": session is not None}
    store.transition(job.id, [State.RUNNING], state, claude_session=session, result=result)
    return job.id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state")


def settle(store: Store, repo: Path, task: str, ask: resume.Ask | None = None, **flags: bool) -> request.RescueRequest:
    prep = request.prepare(request.RescueRequest(cwd=str(repo), task=task, **flags))
    return resume.settle(prep, store, resume.Scope(str(prep.workspace), None), ask).request


def test_the_newest_finished_rescue_with_a_session_is_the_candidate(store: Store, repo: Path) -> None:
    older = finished_rescue(store, repo, "s-old")
    finished_rescue(store, repo, None, State.FAILED)  # no session saved: never a candidate
    newer = finished_rescue(store, repo, "s-new", State.CANCELLED)
    found = resume.Scope(str(repo), None).candidate(store)
    assert found is not None and (found.job_id, found.claude_session) == (newer, "s-new")
    assert older != newer


def test_an_interactive_answer_decides_and_the_default_starts_fresh(store: Store, repo: Path) -> None:
    job_id = finished_rescue(store, repo, "s-1")
    asked: list[str] = []

    def yes(candidate: resume.Candidate, choice: str, reason: str) -> bool:
        asked.append(choice)
        return True

    resumed = settle(store, repo, "continue the last run", yes)
    assert (resumed.decision, resumed.resume_session, resumed.resume_job, asked) == (
        "resume",
        "s-1",
        job_id,
        ["resume"],
    )
    declined = settle(store, repo, "continue", lambda *_: False)
    assert declined.decision == "fresh" and declined.resume_session is None
    default = settle(store, repo, "continue the last run")
    assert default.decision == "fresh-default" and default.candidate is not None
    assert (default.candidate["job_id"], default.candidate["recommendation"]) == (job_id, "resume")


def test_resume_is_refused_while_a_rescue_is_live(store: Store, repo: Path) -> None:
    finished_rescue(store, repo, "s-1")
    live = store.create(
        kind="rescue",
        workspace=str(repo),
        owner=None,
        title="t",
        request={},
        model="m",
        effort=None,
        state=State.RUNNING,
    )
    with pytest.raises(CCError, match=f"rescue {live.id} is still running"):
        settle(store, repo, "go on", resume=True)
