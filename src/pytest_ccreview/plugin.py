"""``pytest --cc-review``: the Claude Code review gate as one pytest item (entry point ``ccreview``).

Quiet until asked: without ``--cc-review`` (or ``cc_review = true``) this module only registers
options and the hook spec, and imports nothing from the engine. When enabled it registers
:class:`pytest_ccreview.gate.GatePlugin` (the ``cc-review::gate`` item, in every process) and,
outside xdist workers, :class:`pytest_ccreview.controller.ControllerPlugin` (runs the review
once, writes reports, prints the summary).
"""

from __future__ import annotations

import pytest

from pytest_ccreview import hookspecs, options


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    if not options.enabled(config):
        return
    # the one seam of every pytest start: bench_pytest_plugin.py's "pytest_ccreview.plugin (every pytest
    # start)" import stays under 1 ms, and the disabled plugin within its +20 ms, because these (15 ms) wait
    from pytest_ccreview.session import configure
    from pytest_ccreview.settings import resolve

    configure(config, resolve(config))
