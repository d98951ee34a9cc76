"""Wiring for an enabled session: which plugins run in this process (controller or xdist worker)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ccplugin.review.outcome import ReviewOutcome
from pytest_ccreview.item import FETCH, Fetch, GatePlugin
from pytest_ccreview.settings import Options
from pytest_ccreview.shared import SharedOutcome

if TYPE_CHECKING:  # the engine: imported by the controller only, never by an xdist worker
    from pytest_ccreview.controller import ControllerPlugin

PATH_KEY = "cc_review_outcome"
WAIT_KEY = "cc_review_wait_s"


class XdistHooks:
    """Tells each xdist worker where the controller's outcome will appear (xdist only)."""

    def __init__(self, controller: ControllerPlugin) -> None:
        self.controller = controller

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[PATH_KEY] = str(self.controller.shared.path)
        node.workerinput[WAIT_KEY] = self.controller.wait_s

    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """The workers' items are the selected ones: start the review when the gate is among them."""
        self.controller.start_if_gated(ids)


def configure(config: pytest.Config, opts: Options) -> None:
    """Register the gate everywhere; the review, reports and summary on the controller only."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        # the controller only: bench_pytest_plugin.py's import costs, session (a worker) vs controller
        from pytest_ccreview.controller import ControllerPlugin

        controller = ControllerPlugin(config, opts)
        config.pluginmanager.register(controller, "ccreview-controller")
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(XdistHooks(controller), "ccreview-xdist")
        config.stash[FETCH] = controller.fetch
    else:
        config.stash[FETCH] = _worker_fetch(workerinput)
    config.pluginmanager.register(GatePlugin(), "ccreview-gate")


def _worker_fetch(workerinput: dict[str, Any]) -> Fetch:
    if PATH_KEY not in workerinput:
        raise pytest.UsageError("cc-review: this xdist worker got no review from its controller")
    shared, wait_s = SharedOutcome(Path(workerinput[PATH_KEY])), float(workerinput[WAIT_KEY])

    def fetch() -> ReviewOutcome | None:
        return shared.wait(wait_s)

    return fetch
