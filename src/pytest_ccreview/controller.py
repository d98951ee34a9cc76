"""The controller's side (the only process under xdist that talks to Claude).

At session start it checks the report paths, prepares the review (bad input is a usage error
before any test runs) and starts it as a tracked job beside the tests. At session end it
writes the JUnit/SARIF reports, proposes a rescue when asked and something failed, and prints
the one-line verdict.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ccplugin import config as cc_config
from ccplugin import git, paths, plugins
from ccplugin.ci import providers
from ccplugin.ci.provider import FORK_RESCUE_REFUSED
from ccplugin.errors import CCError
from ccplugin.jobs import service
from ccplugin.jobs.store import Store
from ccplugin.review import engine
from ccplugin.review.gate import GateStatus
from ccplugin.review.outcome import ReviewOutcome
from pytest_ccreview import outputs, rescue
from pytest_ccreview.item import NODEID
from pytest_ccreview.settings import Options
from pytest_ccreview.shared import SharedOutcome
from pytest_ccreview.tracked import BackgroundReview, FindingsFilter

if TYPE_CHECKING:  # imported when a test fails or a rescue is asked for: most sessions need neither
    from pytest_ccreview import rescue

FIRST_NOTE_S = 1.0  # the gate waits this long before it says it is waiting
PROGRESS_S = 15.0  # then says how the review goes this often
MARGIN_S = 120.0  # how much longer than the Claude timeout the gate waits for the outcome
CANCEL_WAIT_S = 15.0


class ControllerPlugin:
    """Runs the review once per session and reports it."""

    def __init__(self, config: pytest.Config, opts: Options) -> None:
        self.config = config
        self.opts = opts
        self.tmp = Path(tempfile.mkdtemp(prefix="cc-review-"))
        self.shared = SharedOutcome(self.tmp / "outcome.json")
        self.wait_s = cc_config.Settings().timeout + MARGIN_S
        self.prep: engine.Prepared | None = None
        self.env: dict[str, str] = {}
        self.store: Store | None = None
        self.review: BackgroundReview | None = None
        self.plugins = plugins.host(FindingsFilter(config))  # this session's: the conftest filters join in
        self.failures: list[rescue.Failure] = []
        self.notes: list[str] = []

    def fetch(self) -> ReviewOutcome | None:
        """The outcome for the gate item: waits for the review, saying every so often how it goes."""
        review = self.review
        if review is None:
            return None
        deadline = time.monotonic() + self.wait_s
        done = review.join(FIRST_NOTE_S)  # a cached or finished review says nothing
        while not done and time.monotonic() < deadline:
            self.say(review.status())
            done = review.join(min(PROGRESS_S, deadline - time.monotonic()))
        return self.shared.read()

    def say(self, status: str) -> None:
        """One line on the terminal while the gate waits (out of any capture); quiet under ``-qq``."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or self.config.get_verbosity() < -1:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.ensure_newline()  # after -v's pending "cc-review::gate "
            if reporter._tw.width_of_current_line:  # after -q's dots
                reporter.write("\n")
            reporter.write_line(f"cc-review: waiting for the review: {status}")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Under xdist the gate waits in a worker, which cannot print: the controller says it once."""
        review = self.review
        if nodeid != NODEID or review is None or not self.config.pluginmanager.hasplugin("dsession"):
            return
        if not review.join(0.0):
            self.say(review.status())

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            self.plugins.check(fmt for fmt, _ in self.opts.files)
        except CCError as e:
            raise pytest.UsageError(f"cc-review: {e.line()}") from None
        for _, path in self.opts.files:
            check_writable(path)
        root = review_root(self.config)
        excludes = output_excludes(root, outputs.of_session(self.config, self.opts, self._rescue_dir()))
        fields = self.opts.request_fields()
        # in CI no resume is offered: no Claude session transcript is left on the runner
        persist = not providers.in_ci(os.environ)
        hint = providers.base_hint(os.environ)  # the CI's base branch, for a branch review with no --cc-base
        request = engine.ReviewRequest(
            cwd=str(root), exclude=excludes, persist_session=persist, base_hint=hint, **fields
        )
        self.prep = prepare(request, self.plugins)
        self.wait_s = self.prep.settings.timeout + MARGIN_S
        self.env = dict(os.environ)
        try:
            self.store = service.open_store()
        except CCError as e:  # the job store cannot be opened
            raise pytest.UsageError(f"cc-review: {e.line()}") from None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Serially: start the review once collection is done, and only when the gate will run."""
        if self.config.pluginmanager.hasplugin("dsession"):  # under xdist: XdistHooks, from the workers' ids
            return
        if not (session.testsfailed and not self.config.option.continue_on_collection_errors):
            self.start_if_gated([item.nodeid for item in session.items])  # pytest stops on collection errors

    def start_if_gated(self, nodeids: Sequence[str]) -> None:
        """Start the review once, when the gate is among the items that will run (paid only when used)."""
        if self.review is not None or self.prep is None or self.store is None:
            return
        if gate_will_run(self.config, nodeids):
            self.review = BackgroundReview(self.prep, self.env, self.shared, self.store).start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and report.nodeid != NODEID:
            self.failures.append(rescue.Failure(report.nodeid, report.when, report.longreprtext))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        outcome = self._settle()
        if outcome is not None:
            self._write_reports(session, outcome)
        if self._wants_rescue(session, outcome):
            self._rescue(outcome)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        outcome = self.shared.read()
        if outcome is None and not self.notes:
            return
        terminalreporter.write_sep("=", "cc-review")
        if outcome is not None:
            terminalreporter.write_line(summary_line(outcome))
        for note in self.notes:
            terminalreporter.write_line(note)

    def pytest_unconfigure(self) -> None:
        if self.review is not None:
            self.review.cancel()
            self.review.join(CANCEL_WAIT_S)
            self.review.close()
        elif self.store is not None:
            self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _rescue_dir(self) -> Path:
        """``--cc-rescue-dir``, else pytest's cache (git-ignored), else the job store's folder."""
        if self.opts.rescue_dir is not None:
            return self.opts.rescue_dir
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            return Path(cache.mkdir("cc-rescue"))
        return Path(paths.state_root()) / "rescue"

    def _wants_rescue(self, session: pytest.Session, outcome: ReviewOutcome | None) -> bool:
        if not self.opts.rescue_on_failure or self.prep is None:
            return False
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            return False
        return bool(self.failures) or (outcome is not None and outcome.gate.status is GateStatus.FAIL)

    def _rescue(self, outcome: ReviewOutcome | None) -> None:
        assert self.prep is not None  # checked by _wants_rescue
        if providers.from_fork(self.env):  # the re-run would run the fork's code in this workflow
            self.notes.append(FORK_RESCUE_REFUSED)
            return
        request = rescue.Request(
            repo_root=self.prep.target.repo_root,
            rootdir=self.config.rootpath.resolve(),
            out_dir=self._rescue_dir(),
            failures=tuple(self.failures),
            review=outcome,
            env=self.env,
            model=self.opts.model,
            effort=self.opts.effort,
            timeout=self.opts.timeout,
        )
        try:
            self.notes.append(rescue.propose(request).summary())
        except CCError as e:
            self.notes.append(f"cc-rescue could not run: {e.line()}")

    def _settle(self) -> ReviewOutcome | None:
        """The finished outcome; a review still running (the session stopped early) is cancelled."""
        if self.review is None:
            return None
        if self.shared.read() is None:
            self.review.cancel()
        self.review.join(CANCEL_WAIT_S)
        return self.shared.read()

    def _write_reports(self, session: pytest.Session, outcome: ReviewOutcome) -> None:
        for fmt, path in self.opts.files:
            try:
                self.plugins.write(outcome, fmt, path)
            except CCError as e:
                self.notes.append(e.message)
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
            else:
                self.notes.append(f"{fmt} report: {path}")


def prepare(request: engine.ReviewRequest, hooks: plugins.Plugins) -> engine.Prepared:
    """The engine's checks (git repository, base ref, settings); bad input is a usage error."""
    try:
        return engine.prepare(request, hooks)
    except CCError as e:
        raise pytest.UsageError(f"cc-review: {e.line()}") from None


def review_root(config: pytest.Config) -> Path:
    """Where the review runs: pytest's rootdir, unless that is outside any git work tree and the
    test paths given are inside one (``cd /tmp && pytest --cc-review ~/repo/test_a.py`` has the
    rootdir /tmp, the common folder of the invocation directory and the paths)."""
    root = config.rootpath
    if _in_work_tree(root) or not config.args:
        return root
    given = [config.invocation_params.dir / arg.partition("::")[0] for arg in config.args]
    common = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in given]))
    return common if _in_work_tree(common) else root


def _in_work_tree(path: Path) -> bool:
    return (Path(paths.workspace(str(path))) / ".git").exists()


def output_excludes(cwd: Path, written: Iterable[Path]) -> tuple[str, ...]:
    """The session's outputs inside ``cwd``'s repository as anchored globs: the review neither sees
    them nor lets them decide the scope (a leftover report must not make the tree count as dirty)."""
    try:
        root = git.toplevel(cwd)
    except CCError as e:
        raise pytest.UsageError(f"cc-review: {e.line()}") from None
    inside = [p.resolve() for p in written]
    return tuple(sorted({"/" + p.relative_to(root).as_posix() for p in inside if p.is_relative_to(root) and p != root}))


def gate_will_run(config: pytest.Config, nodeids: Sequence[str]) -> bool:
    """The gate is selected and the items will be run (not ``--co``, ``--setup-plan``, ``--setup-only``)."""
    return NODEID in nodeids and not (config.option.collectonly or config.option.setuponly or config.option.setupplan)


def check_writable(path: Path) -> None:
    """Fail before the review, not after it, when a report cannot be written."""
    from ccplugin.report import select

    try:
        select.check_writable(path)
    except CCError as e:
        raise pytest.UsageError(f"cc-review: {e.message}") from None


def summary_line(o: ReviewOutcome) -> str:
    """``cc-review FAIL: <reason> · 2 finding(s), 1 gating · model … · input inline · cost $… · job … · policy …``."""
    found = f"{len(o.findings)} finding(s)" + (f", {len(o.gate.gating)} gating" if o.gate.gating else "")
    parts = [f"cc-review {o.gate.status.value.upper()}: {o.gate.reason}", found, f"model {o.model}"]
    parts += [f"input {o.input_mode}", _cost(o)]
    if o.coverage:
        parts.append(f"coverage {o.coverage.count}/{o.coverage.total} files")
    if o.job_id:
        parts.append(f"job {o.job_id}")
    if o.policy_source:
        parts.append(f"policy {o.policy_source}")
    return " · ".join(parts)


def _cost(o: ReviewOutcome) -> str:
    if o.cached:
        return "cached, no Claude call"
    if o.input_mode == "nothing":
        return "no Claude call"
    return f"cost ${o.cost_usd:.4f}" if o.cost_usd is not None else "cost unknown"
