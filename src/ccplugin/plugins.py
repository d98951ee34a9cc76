"""The plugin manager: built-in reporters plus any registered through entry points."""

from __future__ import annotations

from functools import cache

import pluggy

from ccplugin import hookspecs
from ccplugin.errors import CCError
from ccplugin.report import jsonout, junit, markdown, sarif
from ccplugin.review.model import ReviewResult
from ccplugin.review.outcome import ReviewOutcome


@cache
def manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("ccplugin")
    pm.add_hookspecs(hookspecs)
    pm.register(markdown)
    pm.register(jsonout)
    pm.register(junit)
    pm.register(sarif)
    pm.load_setuptools_entrypoints("ccplugin")
    return pm


def formats() -> list[str]:
    return sorted({name for names in manager().hook.ccplugin_report_formats() for name in names})


def render(outcome: ReviewOutcome, fmt: str) -> str:
    text: str | None = manager().hook.ccplugin_render(outcome=outcome, fmt=fmt)
    if text is None:
        raise CCError(f"no reporter renders format {fmt!r}", f"use one of: {', '.join(formats())}")
    return text


def filter_findings(result: ReviewResult) -> ReviewResult:
    """Let registered plugins drop or re-rate findings (the last non-None answer wins)."""
    findings = list(result.findings)
    for replaced in manager().hook.ccplugin_filter_findings(findings=findings):
        if replaced is not None:
            findings = list(replaced)
    return ReviewResult(result.verdict, result.summary, tuple(findings), result.next_steps)
