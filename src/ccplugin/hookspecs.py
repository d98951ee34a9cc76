"""Plugin contracts: reporters and the findings filter other packages can register.

Third-party plugins are modules declared in the ``ccplugin`` setuptools entry-point group of an
installed distribution (see ``docs/plugins.md``). The built-in reporters implement the same hook.
"""

from __future__ import annotations

from typing import Protocol

import pluggy

from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

hookspec = pluggy.HookspecMarker("ccplugin")
hookimpl = pluggy.HookimplMarker("ccplugin")


class Reporter(Protocol):
    """One output format: ``--report NAME=PATH`` writes ``render(outcome)`` to ``PATH``."""

    @property
    def name(self) -> str:
        """The format name users select, e.g. ``"junit"``."""
        ...

    @property
    def suffix(self) -> str:
        """The file suffix its documents usually have, e.g. ``".xml"``."""
        ...

    def render(self, outcome: ReviewOutcome) -> str | bytes:
        """The whole document for one finished review (text is stripped of control characters)."""
        ...


@hookspec
def ccplugin_reporters() -> list[Reporter]:
    """Name the reporters this plugin adds.

    :returns: reporter objects; a later plugin's reporter of the same name replaces an earlier one.
    """
    raise NotImplementedError


@hookspec
def ccplugin_filter_findings(findings: list[Finding]) -> list[Finding] | None:
    """Drop or re-rate findings before the gate is decided.

    The implementations form a chain: each receives what the one before it returned.

    :param findings: the findings so far, with their diff locations.
    :returns: the replacement list, or ``None`` to pass them on unchanged.
    """
    raise NotImplementedError
