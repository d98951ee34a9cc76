"""The ``--cc-*`` options, read (command line over ini) into one value object.

Values the engine checks (severities, filter modes, scope, effort) are validated there, in one
place. Precedence: command line, then ``[tool.pytest.ini_options]``, then the engine's
``[tool.ccplugin]`` settings (or ``.ccplugin.toml``), then its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_ccreview.options import SPECS, flag

if TYPE_CHECKING:
    from ccplugin.report import select

MODES = {"review": "review", "adversarial": "adversarial-review", "adversarial-review": "adversarial-review"}


@dataclass(frozen=True)
class Options:
    """Everything ``--cc-review`` was asked to do; ``None`` leaves the choice to the engine."""

    mode: str = "review"
    base: str | None = None
    scope: str = "auto"
    model: str | None = None
    effort: str | None = None
    focus: str = ""
    fail_on: str | None = None
    filter_mode: str | None = None
    on_error: str | None = None
    timeout: float | None = None
    budget: int | None = None
    use_cache: bool = True
    junit: Path | None = None
    sarif: Path | None = None
    reports: tuple[tuple[str, Path], ...] = ()  # --cc-report FORMAT=PATH
    rescue_on_failure: bool = False
    rescue_dir: Path | None = None

    @property
    def files(self) -> tuple[tuple[str, Path], ...]:
        """Every report asked for, as (format, path): ``--cc-junit``, ``--cc-sarif``, then each ``--cc-report``."""
        named = (("junit", self.junit), ("sarif", self.sarif))
        return tuple((fmt, path) for fmt, path in named if path is not None) + self.reports

    def request_fields(self) -> dict[str, Any]:
        """Keyword arguments for the engine's ``ReviewRequest`` (all but ``cwd``)."""
        return {
            "mode": self.mode,
            "scope": self.scope,
            "base": self.base,
            "focus": self.focus,
            "model": self.model,
            "effort": self.effort,
            "fail_on": self.fail_on,
            "filter_mode": self.filter_mode,
            "on_error": self.on_error,
            "timeout": self.timeout,
            "budget_bytes": self.budget,
            "use_cache": self.use_cache,
        }


def resolve(config: pytest.Config) -> Options:
    """Read the options (command line over ini); bad values are a ``pytest.UsageError``."""
    text = {spec.ini: _text(config, spec.ini) for spec in SPECS if spec.kind not in ("flag", "reports")}
    return Options(
        mode=_mode(text["cc_mode"]),
        base=text["cc_base"],
        scope=text["cc_scope"] or "auto",
        model=text["cc_model"],
        effort=text["cc_effort"],
        focus=text["cc_focus"] or "",
        fail_on=text["cc_fail_on"],
        filter_mode=text["cc_filter_mode"],
        on_error=text["cc_on_error"],
        timeout=_number(text["cc_timeout"], "--cc-timeout", float),
        budget=_number(text["cc_budget"], "--cc-budget", int),
        use_cache=not flag(config, "cc_no_cache"),
        junit=_path(config, "cc_junit"),
        sarif=_path(config, "cc_sarif"),
        reports=_reports(config),
        rescue_on_failure=flag(config, "cc_rescue_on_failure"),
        rescue_dir=_path(config, "cc_rescue_dir"),
    )


def _text(config: pytest.Config, name: str) -> str | None:
    given = config.getoption(name)
    value = str(given if given is not None else config.getini(name) or "").strip()
    return value or None


def _mode(value: str | None) -> str:
    if value is None:
        return "review"
    if value not in MODES:
        raise pytest.UsageError(f"--cc-mode {value!r}: use `review` or `adversarial`")
    return MODES[value]


def _number(value: str | None, flag: str, kind: type[float] | type[int]) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise pytest.UsageError(f"{flag} {value!r}: expected a number") from None


def _reports(config: pytest.Config) -> tuple[tuple[str, Path], ...]:
    """``--cc-report`` (relative to where pytest was started), else the ``cc_report`` lines (to the ini file)."""
    given: list[str] | None = config.getoption("cc_report")
    if given is not None:
        return tuple((s.fmt, config.invocation_params.dir / s.path) for s in map(_selected, given))
    base = config.inipath.parent if config.inipath else config.rootpath
    return tuple((s.fmt, base / s.path) for s in map(_selected, config.getini("cc_report")))


def _selected(text: str) -> select.Selected:
    from ccplugin.report import select  # only with --cc-report: an xdist worker imports no reporter module

    try:
        return select.parse(text)
    except ValueError as e:
        raise pytest.UsageError(f"--cc-report: {e}") from None


def _path(config: pytest.Config, name: str) -> Path | None:
    """A command-line path is relative to where pytest was started, an ini path to the ini file."""
    given = config.getoption(name)
    if given is not None:
        return config.invocation_params.dir / given if str(given).strip() else None
    value = str(config.getini(name)).strip()
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return base / value
