"""The job service: a job recorded from a spec runs here to its end (viewed) or not (a reservation's run), and a
tracked run always comes back with an outcome: one that ended without one is an error, never a pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ccplugin.errors import CCError, Exit
from ccplugin.jobs import service
from ccplugin.jobs.runner import Cancel, JobEnd, Progress
from ccplugin.jobs.store import Job, State, Store
from ccplugin.rescue import job as rescue_job
from ccplugin.rescue import request as rescue_request
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.gate import GateStatus


def _done(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    progress.phase("working")
    return JobEnd(State.COMPLETED, {"answer": 42})


def _broken(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    raise CCError("git broke", "fix git")


def _spec(tmp_path: Path) -> service.Spec:
    return service.Spec("review", str(tmp_path), "t", {}, "m", None, _done)


def test_submit_runs_the_job_here_to_its_end_and_it_counts_as_viewed(tmp_path: Path) -> None:
    phases: list[str] = []
    with Store(tmp_path / "state") as store:
        job = service.submit(store, _spec(tmp_path), "s1", env={}, echo=phases.append)
        assert (job.state, job.result, job.owner, phases) == (State.COMPLETED, {"answer": 42}, "s1", ["working"])
        assert store.get(job.id).viewed_at is not None


def test_run_here_without_viewing_leaves_the_result_unread(tmp_path: Path) -> None:
    with Store(tmp_path / "state") as store:
        spec = _spec(tmp_path)
        job = service.run_here(store, service.create(store, spec, None), spec, {}, viewed=False)
        assert job.state is State.COMPLETED and store.get(job.id).viewed_at is None


def test_a_review_job_that_ends_without_an_outcome_is_an_error(repo: Path, tmp_path: Path) -> None:
    prep = engine.prepare(engine.ReviewRequest(cwd=str(repo), scope="working-tree"))
    with Store(tmp_path / "state") as store:
        spec = review_job.spec(prep)
        job = service.run_here(store, service.create(store, spec, None), replace(spec, executor=_broken), {})
    outcome = review_job.outcome_of(prep, job)
    assert job.state is State.FAILED and outcome.gate.status is GateStatus.ERROR
    assert outcome.error is not None and outcome.error.message == "could not review: git broke: fix git"
    assert outcome.job_id == job.id


def test_a_rescue_job_that_ends_without_an_outcome_failed(repo: Path, tmp_path: Path) -> None:
    prep = rescue_request.prepare(rescue_request.RescueRequest(cwd=str(repo), task="fix it", fresh=True))
    with Store(tmp_path / "state") as store:
        spec = rescue_job.spec(prep)
        job = service.run_here(store, service.create(store, spec, None), replace(spec, executor=_broken), {})
    outcome = rescue_job.outcome_of(prep, job)
    assert (outcome.state, outcome.exit_code, outcome.job_id) == ("failed", Exit.NOT_REVIEWED, job.id)
    assert outcome.error is not None and "ended without a result (git broke: fix git)" in outcome.error.line()
