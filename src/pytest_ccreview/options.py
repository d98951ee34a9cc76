"""The ``--cc-*`` options and their ``cc_*`` ini twins.

Imported on every pytest start, so it holds only what registers them and tells whether
``--cc-review`` is on; reading their values is :mod:`pytest_ccreview.settings`, imported when
it is.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest


class Spec(NamedTuple):
    """One option: its flag, ini twin (also the argparse dest), kind and help."""

    flag: str
    kind: str  # flag | text | number | integer | path | reports
    help: str
    metavar: str | None = None

    @property
    def ini(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


SPECS = (
    Spec("--cc-review", "flag", "review the change with Claude Code; the review gate becomes the item cc-review::gate"),
    Spec("--cc-mode", "text", "review (default) or adversarial", "MODE"),
    Spec("--cc-base", "text", "base ref of a branch review (default: CI hints, origin/HEAD, main, master)", "REF"),
    Spec("--cc-scope", "text", "auto (default), working-tree or branch", "SCOPE"),
    Spec("--cc-model", "text", "opus | sonnet | haiku | a full model id (default opus)", "MODEL"),
    Spec("--cc-effort", "text", "low | medium | high | xhigh | max (default by model)", "EFFORT"),
    Spec("--cc-focus", "text", "what the review should concentrate on, e.g. 'migration safety'", "TEXT"),
    Spec("--cc-fail-on", "text", "fail the gate at this severity or worse: critical|high|medium|low|none", "SEVERITY"),
    Spec("--cc-filter-mode", "text", "which findings may gate by diff location: added|diff_context|file|nofilter", "M"),
    Spec("--cc-on-error", "text", "when the review could not run: fail (an error item) or pass (xfail)", "POLICY"),
    Spec("--cc-timeout", "number", "wall-clock limit for the Claude run, seconds", "SECONDS"),
    Spec("--cc-budget", "integer", "inline the diff up to this many bytes, else the reviewer collects it", "BYTES"),
    Spec("--cc-no-cache", "flag", "ignore a stored review of the same diff"),
    Spec("--cc-junit", "path", "write the findings as JUnit XML to PATH", "PATH"),
    Spec("--cc-sarif", "path", "write the findings as SARIF 2.1.0 to PATH", "PATH"),
    Spec(
        "--cc-report",
        "reports",
        "also write the outcome as FORMAT to PATH (repeatable; any installed reporter)",
        "FORMAT=PATH",
    ),
    Spec("--cc-rescue-on-failure", "flag", "on failed tests or gate: propose a patch from a temporary git worktree"),
    Spec("--cc-rescue-dir", "path", "where cc-rescue.patch and cc-rescue.md go (default: pytest's cache)", "DIR"),
)


def add(parser: pytest.Parser) -> None:
    """Register every ``--cc-*`` option and its ini twin."""
    group = parser.getgroup("cc-review", "Claude Code review gate (ccplugin)")
    for spec in SPECS:
        if spec.kind == "flag":
            group.addoption(spec.flag, action="store_true", default=None, dest=spec.ini, help=spec.help)
            parser.addini(spec.ini, f"{spec.help} (ini twin of {spec.flag})", type="bool", default=False)
        elif spec.kind == "reports":
            group.addoption(spec.flag, action="append", dest=spec.ini, metavar=spec.metavar, help=spec.help)
            parser.addini(spec.ini, f"{spec.help} (ini twin of {spec.flag}, one a line)", type="linelist", default=[])
        else:
            group.addoption(spec.flag, dest=spec.ini, metavar=spec.metavar, default=None, help=spec.help)
            parser.addini(spec.ini, f"{spec.help} (ini twin of {spec.flag})", type="string", default="")


def enabled(config: pytest.Config) -> bool:
    """``--cc-review`` on the command line or ``cc_review = true`` in the ini file."""
    return flag(config, "cc_review")


def flag(config: pytest.Config, name: str) -> bool:
    """A flag from the command line, else from the ini file."""
    given = config.getoption(name)
    return bool(given) if given is not None else bool(config.getini(name))
