"""The plugin manager: built-in reporters plus any registered through entry points."""

from __future__ import annotations

import os
import sys
from functools import cache
from importlib.machinery import PathFinder

import pluggy

from ccplugin import controls, hookspecs
from ccplugin.errors import CCError
from ccplugin.report import jsonout, junit, markdown, sarif
from ccplugin.review.model import ReviewResult
from ccplugin.review.outcome import ReviewOutcome

GROUP = "ccplugin"  # the entry-point group third-party plugins register in


@cache
def manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("ccplugin")
    pm.add_hookspecs(hookspecs)
    pm.register(markdown)
    pm.register(jsonout)
    pm.register(junit)
    pm.register(sarif)
    if may_declare(GROUP):
        pm.load_setuptools_entrypoints(GROUP)
    return pm


def may_declare(group: str) -> bool:
    """Whether an installed distribution may declare an entry point in ``group``.

    Looks for the ``[group]`` section in the ``entry_points.txt`` of the distributions on
    ``sys.path``, which spares a run without third-party plugins importing
    ``importlib.metadata`` (tens of milliseconds). Whatever it cannot look into (a zip archive
    on ``sys.path``, another finder of distributions) counts as "may": pluggy's scan decides.
    """
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return True
    section = f"[{group}]"
    for entry in dict.fromkeys(sys.path):
        folder = entry or "."
        if os.path.isdir(folder):
            if any(section in _entry_points_text(folder, name) for name in _listdir(folder)):
                return True
        elif os.path.exists(folder):  # a zip archive
            return True
    return False


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # unreadable: importlib.metadata finds nothing there either
        return []


def _entry_points_text(folder: str, name: str) -> str:
    if not name.lower().endswith((".dist-info", ".egg-info")):
        return ""
    try:
        with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:  # no entry points, or an egg-info file
        return ""


def formats() -> list[str]:
    return sorted({name for names in manager().hook.ccplugin_report_formats() for name in names})


def render(outcome: ReviewOutcome, fmt: str) -> str:
    """The outcome as ``fmt``; whoever prints or stores it, no control character gets through."""
    text: str | None = manager().hook.ccplugin_render(outcome=outcome, fmt=fmt)
    if text is None:
        raise CCError(f"no reporter renders format {fmt!r}", f"use one of: {', '.join(formats())}")
    return controls.clean(text)


def filter_findings(result: ReviewResult) -> ReviewResult:
    """Let registered plugins drop or re-rate findings (the last non-None answer wins)."""
    findings = list(result.findings)
    for replaced in manager().hook.ccplugin_filter_findings(findings=findings):
        if replaced is not None:
            findings = list(replaced)
    return ReviewResult(result.verdict, result.summary, tuple(findings), result.next_steps)
