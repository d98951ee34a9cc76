"""The plugin manager a host builds: the built-in reporters plus the plugins installed distributions declare.

Each host (a CLI command, the Action, the pytest plugin, a job worker) builds its own with
:func:`host` and passes it down; nothing here is cached for the process.

Plugins come only from installed distributions: the entry points are read from ``sys.path``
without the working directory, which ``python -m`` and ``python -c`` put first. In CI the
working directory is the change under review, and nothing in it may load code (DESIGN §11).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from ccplugin import controls, files, hookspecs
from ccplugin.errors import CCError, Exit
from ccplugin.hookspecs import Reporter
from ccplugin.report import jsonout, junit, markdown, sarif
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.review.outcome import ReviewOutcome

if TYPE_CHECKING:
    from ccplugin.report.select import Selected

GROUP = "ccplugin"  # the entry-point group third-party plugins register in
BUILTINS = (markdown, jsonout, junit, sarif)


@dataclass(frozen=True)
class Plugins:
    """One host's plugin manager, and what the host asks of it."""

    pm: pluggy.PluginManager

    def reporters(self) -> dict[str, Reporter]:
        """Every reporter by name; of two with one name, the later-registered plugin's."""
        found: dict[str, Reporter] = {}
        for batch in self.pm.hook.ccplugin_reporters():  # later-registered plugins answer first
            for r in batch:
                found.setdefault(r.name, r)
        return dict(sorted(found.items()))

    def formats(self) -> list[str]:
        return list(self.reporters())

    def reporter(self, fmt: str) -> Reporter:
        """The reporter of ``fmt``; an unknown one is one line naming those there are."""
        known = self.reporters()
        if fmt not in known:
            raise unknown_format(fmt, known)
        return known[fmt]

    def render(self, outcome: ReviewOutcome, fmt: str) -> str:
        """The outcome as text in ``fmt``; whoever prints or stores it, no control character gets through."""
        doc = self.reporter(fmt).render(outcome)
        return controls.clean(doc.decode("utf-8", "replace") if isinstance(doc, bytes) else doc)

    def write(self, outcome: ReviewOutcome, fmt: str, path: str | Path) -> Path:
        """Write the outcome as ``fmt`` to ``path`` (its folder made), secrets masked in text; CCError if it cannot."""
        from ccplugin.redact import redact  # where a report is written: never in an xdist worker

        doc = self.reporter(fmt).render(outcome)
        target = Path(path)
        try:
            files.write_atomic(target, doc if isinstance(doc, bytes) else redact(controls.clean(doc)))
        except OSError as e:
            raise CCError(f"cannot write the {fmt} report {path}: {e.strerror or e}", "pass a writable path") from e
        return target

    def check(self, selected: Iterable[str]) -> None:
        """Refuse an unknown format before any work starts."""
        known = self.reporters()
        for fmt in selected:
            if fmt not in known:
                raise unknown_format(fmt, known)

    def check_reports(self, reports: Iterable[Selected]) -> None:
        """Refuse an unknown format or a path that cannot be written, before any work starts."""
        from ccplugin.report.select import check_writable  # where reports are asked for: never in an xdist worker

        reports = tuple(reports)
        self.check(r.fmt for r in reports)
        for r in reports:
            check_writable(Path(r.path))

    def filter_findings(self, result: ReviewResult) -> ReviewResult:
        """The findings through every registered filter, each given the one before's output."""
        findings = chain(self.pm.hook.ccplugin_filter_findings, result.findings)
        return ReviewResult(result.verdict, result.summary, tuple(findings), result.next_steps)


def host(*extra: object) -> Plugins:
    """A new plugin manager for one host: built-ins, then installed plugins, then ``extra`` (the host's own)."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for module in BUILTINS:
        pm.register(module)
    if may_declare(GROUP):
        _load_entry_points(pm, GROUP)
    for plugin in extra:
        pm.register(plugin)
    return Plugins(pm)


def chain(caller: pluggy.HookCaller, findings: Iterable[Finding], **kwargs: Any) -> list[Finding]:
    """Call each implementation of a findings filter with the previous one's answer (``None``: unchanged).

    The order is pluggy's call order (``tryfirst``/``trylast`` honoured, else the last registered first).
    The ccplugin hook and the pytest plugin's twin both run through here.
    """
    current = list(findings)
    for impl in reversed(caller.get_hookimpls()):
        args: Mapping[str, Any] = {**kwargs, "findings": list(current)}
        answer: Any = impl.function(*(args[name] for name in impl.argnames))
        if answer is not None:
            current = list(answer)
    return current


def unknown_format(fmt: str, known: Iterable[str]) -> CCError:
    return CCError(
        f"unknown report format {fmt!r}",
        f"use one of: {', '.join(known)} (a plugin adds more: see docs/plugins.md)",
        Exit.UNKNOWN_FORMAT,
    )


def _load_entry_points(pm: pluggy.PluginManager, group: str) -> None:
    """Register the modules installed distributions declare in ``group`` (never the working directory's)."""
    from importlib import metadata  # only when a distribution may declare one (tens of ms)

    for dist in metadata.distributions(path=installed_path()):
        for ep in dist.entry_points:
            if ep.group == group and pm.get_plugin(ep.name) is None and not pm.is_blocked(ep.name):
                pm.register(ep.load(), name=ep.name)


def installed_path() -> list[str]:
    """``sys.path`` without the working directory: where installed distributions are looked for."""
    here = os.path.realpath(os.getcwd())
    return [p for p in dict.fromkeys(sys.path) if p and os.path.realpath(p) != here]


def may_declare(group: str) -> bool:
    """Whether an installed distribution may declare an entry point in ``group``.

    Looks for the ``[group]`` section in the ``entry_points.txt`` of the distributions on
    :func:`installed_path`, which spares a run without third-party plugins importing
    ``importlib.metadata`` (tens of milliseconds). Whatever it cannot look into (a zip archive
    on ``sys.path``, another finder of distributions) counts as "may": the full scan decides.
    """
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return True
    section = f"[{group}]"
    for folder in installed_path():
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
