"""The ``cc-review::gate`` item: its outcome is the review gate.

PASS → passed; FAIL → failed with the review as the failure text; ERROR → an error at setup
(or xfailed when ``on_error = pass``); nothing to review and report-only → passed, the review in
the item's report section (``-rA`` / ``-rP`` show it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from pathlib import Path

import pytest
from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback, TerminalRepr

from ccplugin import plugins
from ccplugin.review.gate import GateStatus
from ccplugin.review.outcome import ReviewOutcome

COLLECTOR = "cc-review"
NAME = "gate"
NODEID = f"{COLLECTOR}::{NAME}"

Fetch = Callable[[], ReviewOutcome | None]


class GateProblem(Exception):
    """The gate did not pass; ``headline`` is one line, ``text`` the full report."""

    def __init__(self, headline: str, text: str) -> None:
        super().__init__(headline)
        self.headline = headline
        self.text = text


class GateFailed(GateProblem):
    """FAIL: a finding at or above the threshold (a test failure)."""


class ReviewNotRun(GateProblem):
    """ERROR: the review could not run (a test error, raised at setup)."""


def gate_repr(problem: GateProblem, path: Path) -> ReprExceptionInfo:
    """The review text without a traceback, its one-line reason as the crash message (pytest's short
    summary and ``--junitxml`` read that), in the shape xdist carries from a worker unchanged."""
    lines = [line + "\n" for line in problem.text.rstrip().splitlines()]
    return ReprExceptionInfo(
        reprtraceback=ReprTraceback([ReprEntryNative(lines)], None, "native"),
        reprcrash=ReprFileLocation(str(path), 0, problem.headline),
    )


class GateCollector(pytest.Collector):
    """The ``cc-review`` node: holds the one gate item."""

    def collect(self) -> Iterable[pytest.Item]:
        return [GateItem.from_parent(self, name=NAME)]


class GateItem(pytest.Item):
    """The review gate as a test."""

    outcome: ReviewOutcome | None = None

    def setup(self) -> None:
        if self.config.option.setuponly or self.config.option.setupplan:
            return  # fixtures are shown, tests are not run: nor is the review
        outcome = self.config.stash[FETCH]()
        if outcome is None:
            raise ReviewNotRun("the review did not finish in time", "cc-review: the review did not finish in time")
        self.outcome = outcome
        self.user_properties.extend(_properties(outcome))
        if outcome.gate.status is GateStatus.ERROR:
            if outcome.gate.policy.on_error == "pass":
                pytest.xfail(f"not reviewed (on_error = pass): {outcome.gate.reason}")
            raise ReviewNotRun(outcome.gate.reason, _report(outcome))

    def runtest(self) -> None:
        assert self.outcome is not None  # set by setup, which raised otherwise
        text = _report(self.outcome)
        if self.outcome.gate.status is GateStatus.FAIL:
            raise GateFailed(self.outcome.gate.reason, text)
        self.add_report_section("call", "cc-review", text)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, GateProblem):
            return gate_repr(excinfo.value, self.path)
        return super().repr_failure(excinfo, style=style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, NODEID


class GatePlugin:
    """Adds the gate item (in the controller and in every xdist worker) and reports it cleanly."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        """Added before selection (``-k``, ``-m``, ``--deselect``, ``--lf``) so it is selected like any item."""
        path = session.config.rootpath / COLLECTOR
        collector = GateCollector.from_parent(session, name=COLLECTOR, nodeid=COLLECTOR, path=path)
        gate: list[pytest.Item | pytest.Collector] = list(collector.collect())
        session.ihook.pytest_collectreport(report=pytest.CollectReport(COLLECTOR, "passed", None, gate))
        for item in gate:
            session.ihook.pytest_itemcollected(item=item)
            _exempt(item)
        items.extend(i for i in gate if isinstance(i, pytest.Item))

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Last, whatever reordered the items (``--ff``, ``--nf``, pytest-randomly): it waits for the review
        the other tests run beside. Before xdist's worker sends the order of its items to the controller."""
        session.items.sort(key=lambda item: item.nodeid == NODEID)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "setup" and call.excinfo is not None and isinstance(call.excinfo.value, GateProblem):
            report.longrepr = gate_repr(call.excinfo.value, item.path)
        return report


FETCH = pytest.StashKey[Fetch]()


def _exempt(item: pytest.Item | pytest.Collector) -> None:
    """The gate waits for the review up to ``--cc-timeout``: no pytest-timeout limit; and its outcome is the
    review's, which a re-run would only repeat: no pytest-rerunfailures reruns."""
    plugins = item.config.pluginmanager
    if plugins.hasplugin("timeout"):
        item.add_marker(pytest.mark.timeout(0))
    if plugins.hasplugin("rerunfailures"):
        item.add_marker(pytest.mark.flaky(reruns=0))


def _report(outcome: ReviewOutcome) -> str:
    return plugins.host().render(outcome, "markdown")


def _properties(outcome: ReviewOutcome) -> list[tuple[str, object]]:
    props: list[tuple[str, object]] = [
        ("cc_gate", outcome.gate.status.value),
        ("cc_model", outcome.model),
        ("cc_input_mode", outcome.input_mode),
        ("cc_findings", len(outcome.findings)),
        ("cc_cached", outcome.cached),
    ]
    if outcome.cost_usd is not None:
        props.append(("cc_cost_usd", round(outcome.cost_usd, 6)))
    if outcome.coverage:
        props.append(("cc_coverage", f"{outcome.coverage.count}/{outcome.coverage.total}"))
    return props
