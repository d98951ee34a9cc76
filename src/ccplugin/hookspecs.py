"""Plugin contracts: reporters (and finding filters) other packages can register.

Third-party plugins register through the ``ccplugin`` setuptools entry-point group.
"""

from __future__ import annotations

import pluggy

from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

hookspec = pluggy.HookspecMarker("ccplugin")
hookimpl = pluggy.HookimplMarker("ccplugin")


@hookspec
def ccplugin_report_formats() -> list[str]:
    """Name the output formats this plugin renders.

    :returns: format names, e.g. ``["markdown"]``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def ccplugin_render(outcome: ReviewOutcome, fmt: str) -> str | None:
    """Render one review outcome.

    :param outcome: the finished review (gate, findings, what the reviewer saw).
    :param fmt: the requested format name.
    :returns: the rendered text, or ``None`` when this plugin does not render ``fmt``.
    """
    raise NotImplementedError


@hookspec
def ccplugin_filter_findings(findings: list[Finding]) -> list[Finding] | None:
    """Drop or re-rate findings before the gate is decided.

    :param findings: the findings as the reviewer reported them, with diff locations.
    :returns: the replacement list, or ``None`` to leave them unchanged.
    """
    raise NotImplementedError
