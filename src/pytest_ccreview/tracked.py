"""The session's review as a tracked job (it shows in ``ccplugin status``), run beside the tests.

The job is created in the main thread at session start, the way ``ccplugin review`` creates
its foreground job, and runs through the same job runner and foreground executor in a
background thread while the tests run; the outcome goes to a :class:`SharedOutcome` file for the gate item.

The thread must import nothing: pytest rewrites the asserts of every module of a plugin's distribution as it is
imported, with ``ast.parse``, and on CPython 3.11 two threads parsing at once fail ("AST constructor recursion
depth mismatch"). What a review runs is imported at module level, here and in the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace

import pytest

from ccplugin import controls, paths, plugins, proc
from ccplugin.hookspecs import hookimpl
from ccplugin.jobs import service
from ccplugin.jobs.context import context_for, end_of
from ccplugin.jobs.runner import Cancel, JobEnd, Progress
from ccplugin.jobs.store import Job, Store
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome
from pytest_ccreview.shared import SharedOutcome
from pytest_ccreview.watchdog import Watchdog


class BackgroundReview:
    """One review job running in a daemon thread; its outcome always reaches ``shared``.

    A :class:`Watchdog` outlives this process to stop the ``claude`` it starts, however the
    process ends (``os._exit`` from pytest-timeout's thread method, SIGKILL, a crash)."""

    def __init__(self, prep: engine.Prepared, env: Mapping[str, str], shared: SharedOutcome, store: Store) -> None:
        self.prep = prep
        self.env = dict(env)
        self.shared = shared
        self.store = store
        self.spec = replace(review_job.spec(prep), executor=self._execute)
        self.job = service.create(self.store, self.spec, paths.owner_session())
        self.thread = threading.Thread(target=self._run, name="cc-review", daemon=True)
        self.done = threading.Event()
        self.watchdog = Watchdog()
        self._cancel: Cancel | None = None
        self._cancelled = False
        self._phase = "starting"
        self._started = time.monotonic()

    def start(self) -> BackgroundReview:
        self.watchdog.start()
        self._started = time.monotonic()
        self.thread.start()
        return self

    def cancel(self) -> None:
        """Stop the Claude run (the job ends cancelled, the gate ERROR)."""
        self._cancelled = True
        if self._cancel is not None:
            self._cancel.event.set()

    def join(self, timeout: float) -> bool:
        """Wait for the outcome; True once it is written.

        An event, not ``Thread.join``: on CPython 3.11/3.12 a join interrupted by ^C marks the
        thread finished while it still runs, so the cancel that follows would not be waited for."""
        return self.done.wait(timeout)

    def status(self) -> str:
        """``reviewing · 42 s · job review-…``: what a user waiting for the gate is told."""
        return f"{controls.clean(self._phase)} · {time.monotonic() - self._started:.0f} s · job {self.job.id}"

    def close(self) -> None:
        """After the last wait: the watchdog stops whatever ``claude`` is still running."""
        self.watchdog.stop()

    def _run(self) -> None:
        try:
            outcome = self._tracked()
        except Exception as e:  # a bug must still end the gate as ERROR: never a hang, never a pass
            outcome = review_job.not_reviewed(self.prep, f"internal error: {e!r}", self.job.id)
        finally:
            self.store.close()
        try:
            self.shared.write(outcome)
        finally:
            self.done.set()

    def _tracked(self) -> ReviewOutcome:
        job = service.run_here(self.store, self.job, self.spec, self.env, self._on_phase)  # viewed: pytest shows it
        return review_job.outcome_of(self.prep, job)

    def _on_phase(self, text: str) -> None:
        self._phase = text

    def _execute(self, job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
        self._cancel = cancel
        if self._cancelled:
            cancel.event.set()
        ctx = context_for(job, store, cancel, progress, env)
        logged = ctx.on_spawn

        def on_spawn(ident: proc.Identity) -> None:
            self.watchdog.guard(ident)
            logged(ident)

        return end_of(engine.execute(self.prep, replace(ctx, on_spawn=on_spawn)))


class FindingsFilter:
    """Hands the engine's findings filter to the ``pytest_ccreview_filter_findings`` hooks (one chain)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @hookimpl
    def ccplugin_filter_findings(self, findings: list[Finding]) -> list[Finding]:
        return plugins.chain(self.config.hook.pytest_ccreview_filter_findings, findings, config=self.config)
