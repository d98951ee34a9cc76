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

from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review.options import BY_NAME, Option, Surface, old_inis, on
from pytest_ccreview.options import flag

if TYPE_CHECKING:
    from ccplugin.report import select


@dataclass(frozen=True)
class Options:
    """Everything ``--cc-review`` was asked to do; ``None`` leaves the choice to the engine."""

    mode: ReviewMode = ReviewMode.REVIEW
    base: str | None = None
    scope: str = "auto"
    model: str | None = None
    effort: str | None = None
    focus: str = ""
    fail_on: str | None = None
    filter_mode: str | None = None
    on_error: str | None = None
    timeout: float | None = None
    max_cost_usd: float | None = None
    budget_bytes: int | None = None
    cache: bool = True
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
            "max_cost_usd": self.max_cost_usd,
            "budget_bytes": self.budget_bytes,
            "use_cache": self.cache,
        }


def resolve(config: pytest.Config) -> Options:
    """Read the options (command line over ini); bad values are a ``pytest.UsageError``."""
    values = {o.name: _value(config, o) for o in on(Surface.PYTEST)}
    return Options(**{k: v for k, v in values.items() if v is not None}, reports=_reports(config))


def _value(config: pytest.Config, o: Option) -> Any:
    """One option's value; None leaves the Options default (and so the engine's choice)."""
    if o.type == "flag":
        return flag(config, o.ini)
    if o.type == "negated":
        return not flag(config, o.ini)
    if o.type == "path":
        return _path(config, o.ini)
    text = _text(config, o)
    if o is BY_NAME["mode"]:
        return _mode(o, text)
    if o.type in ("float", "int"):
        return _number(text, o.pytest_flag, float if o.type == "float" else int)
    return text


def _text(config: pytest.Config, o: Option) -> str | None:
    """The command line's value, else the ini file's (its older twin too, ``cc_budget``)."""
    given = config.getoption(o.ini)
    if given is None:
        given = next((v for v in (config.getini(n) for n in (o.ini, *old_inis(o))) if v), "")
    value = str(given).strip()
    return value or None


def _mode(o: Option, value: str | None) -> ReviewMode:
    if value is None:
        return ReviewMode.REVIEW
    if o.value(value) not in o.choices:
        raise pytest.UsageError(f"--cc-mode {value!r}: use `review` or `adversarial`")
    return ReviewMode(o.value(value))


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
