"""Run a corpus through the review engine: each case in its own repository, in parallel, within a cost cap.

:func:`review_case` is the one seam to the review pipeline: it builds the same request
`ccplugin review --base main` builds and runs it with :func:`ccplugin.review.engine.execute`
(same prompts, schema, gate, model and effort), with no job record and no cache.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from ccplugin.eval.corpus import Case
from ccplugin.eval.materialise import BASE_BRANCH, materialise
from ccplugin.eval.results import Results
from ccplugin.eval.scoring import CaseResult, CaseStatus
from ccplugin.jobs.context import JobContext
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review import engine
from ccplugin.review.outcome import ReviewOutcome


@dataclass(frozen=True)
class Options:
    mode: str = "review"
    model: str | None = None
    effort: str | None = None
    fail_on: str = "high"
    filter_mode: str = "nofilter"
    timeout: float | None = None
    jobs: int = 1
    max_cost_usd: float | None = None


def review_case(repo: Path, options: Options, env: Mapping[str, str], cancelled: Callable[[], bool]) -> ReviewOutcome:
    """The review of the change ``main..HEAD`` of ``repo``, exactly as the review engine runs it."""
    request = engine.ReviewRequest(
        cwd=str(repo),
        mode=ReviewMode(options.mode),
        scope="branch",
        base=BASE_BRANCH,
        model=options.model,
        effort=options.effort,
        fail_on=options.fail_on,
        filter_mode=options.filter_mode,
        timeout=options.timeout,
        use_cache=False,
        persist_session=False,
    )
    ctx = JobContext(env=env, state_root=repo.parent / "state", cancelled=cancelled)
    return engine.execute(engine.prepare(request), ctx)


def run_case(case: Case, options: Options, env: Mapping[str, str], cancelled: Callable[[], bool]) -> CaseResult:
    """Build the case's repository in a temporary folder, review it, and keep what the scorer needs."""
    started = time.monotonic()
    # an opaque folder name: the reviewer sees the repository's path, which must not name the case
    with tempfile.TemporaryDirectory(prefix=folder_prefix(case.id)) as tmp:
        outcome = review_case(materialise(case, Path(tmp) / "project"), options, env, cancelled)
    return _result(case, outcome, time.monotonic() - started)


def folder_prefix(case_id: str) -> str:
    """The start of a case's temporary folder: opaque to the reviewer, the same on every run
    (the scripted offline reviewer recognises a case by it, in the working directory claude reports)."""
    return f"ccplugin-eval-{hashlib.sha256(case_id.encode()).hexdigest()[:12]}-"


def _result(case: Case, outcome: ReviewOutcome, seconds: float) -> CaseResult:
    failed = outcome.error is not None or outcome.review is None
    error = outcome.error.line() if outcome.error else (outcome.gate.reason if failed else None)
    return CaseResult(
        id=case.id,
        kind=case.kind.value,
        language=case.language,
        labels=case.labels,
        status=CaseStatus.ERROR if failed else CaseStatus.REVIEWED,
        findings=outcome.findings,
        error=error,
        cost_usd=float(outcome.cost_usd or 0.0),
        seconds=round(seconds, 3),
        input_mode=outcome.input_mode,
    )


Runner = Callable[[Case, Options, Mapping[str, str], Callable[[], bool]], CaseResult]


@dataclass(frozen=True)
class Run:
    """What :func:`run_all` did: the cases it left unrun because the cost cap was reached."""

    capped: tuple[str, ...]


def run_all(
    cases: Sequence[Case],
    options: Options,
    env: Mapping[str, str],
    results: Results,
    on_done: Callable[[CaseResult], None],
    runner: Runner = run_case,
) -> Run:
    """Run the cases not yet done, ``options.jobs`` at a time, recording each as it finishes.

    No new case starts once the money spent (this run and the resumed one) reaches the cap;
    cases already running finish. On ^C the running reviews are cancelled and nothing of them
    is recorded."""
    stop = threading.Event()
    pending = iter([c for c in cases if c.id not in results.done()])
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        try:
            capped = _drive(pool, pending, options, env, results, on_done, runner, stop)
        except BaseException:
            stop.set()
            raise
    return Run(capped)


def _drive(
    pool: ThreadPoolExecutor,
    pending: Iterator[Case],
    options: Options,
    env: Mapping[str, str],
    results: Results,
    on_done: Callable[[CaseResult], None],
    runner: Runner,
    stop: threading.Event,
) -> tuple[str, ...]:
    running: set[Future[CaseResult]] = set()
    for case in pending:
        while len(running) >= max(1, options.jobs):
            running = _collect(running, results, on_done)
        if _over_cap(results, options):
            running = _finish(running, results, on_done)
            return (case.id, *(c.id for c in pending))
        running.add(pool.submit(runner, case, options, env, stop.is_set))
    _finish(running, results, on_done)
    return ()


def _over_cap(results: Results, options: Options) -> bool:
    return options.max_cost_usd is not None and results.spent() >= options.max_cost_usd


def _collect(
    running: set[Future[CaseResult]], results: Results, on_done: Callable[[CaseResult], None]
) -> set[Future[CaseResult]]:
    done, rest = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
    for future in done:
        result = future.result()
        results.record(result)
        on_done(result)
    return rest


def _finish(
    running: set[Future[CaseResult]], results: Results, on_done: Callable[[CaseResult], None]
) -> set[Future[CaseResult]]:
    while running:
        running = _collect(running, results, on_done)
    return running
