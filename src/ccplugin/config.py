"""One place that resolves paths, environment and ``[tool.ccplugin]`` settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ccplugin import paths
from ccplugin.errors import CCError

SEVERITIES = ("critical", "high", "medium", "low")
FILTER_MODES = ("added", "diff_context", "file", "nofilter")
ON_ERROR = ("fail", "pass")
SCOPES = ("auto", "working-tree", "branch")


def workspace(cwd: str | Path) -> str:
    """The realpath of the enclosing work tree (a ``.git`` dir or file), else of ``cwd``."""
    return paths.workspace(str(cwd))


def owner_session(env: Mapping[str, str] | None = None) -> str | None:
    """The Codex session that owns new jobs (``CODEX_SESSION_ID``), if it is well formed."""
    env = os.environ if env is None else env
    return paths.valid_session(env.get("CODEX_SESSION_ID", "").strip())


def state_root(env: Mapping[str, str] | None = None) -> Path:
    """The store's root: ``$CCPLUGIN_HOME``, else ``$XDG_STATE_HOME/ccplugin``."""
    return Path(paths.state_root(os.environ if env is None else env))


@dataclass(frozen=True)
class Settings:
    """Review settings; file values first, then command-line overrides."""

    fail_on: str | None = None
    filter_mode: str = "nofilter"
    on_error: str = "fail"
    timeout: float = 1200.0
    max_turns: int = 40
    budget_bytes: int = 256 * 1024
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    model: str = "opus"
    effort: str | None = None
    cache: bool = True
    keep_jobs: int = 200
    waivers: str = ".ccplugin-waivers.toml"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def override(self, **values: Any) -> Settings:
        """A copy with every non-None value applied, validated."""
        given = {k: v for k, v in values.items() if v is not None}
        return validate(replace(self, **given))


def validate(s: Settings) -> Settings:
    _choice("fail_on", s.fail_on, (*SEVERITIES, "none"), optional=True)
    _choice("filter_mode", s.filter_mode, FILTER_MODES)
    _choice("on_error", s.on_error, ON_ERROR)
    if s.timeout <= 0:
        raise CCError(f"timeout must be positive, got {s.timeout}", "pass `--timeout SECONDS`")
    if s.max_turns < 1:
        raise CCError(f"max_turns must be at least 1, got {s.max_turns}", "pass `--max-turns N`")
    if s.budget_bytes < 1:
        raise CCError(f"budget_bytes must be positive, got {s.budget_bytes}", "fix [tool.ccplugin]")
    return s


def _choice(name: str, value: str | None, allowed: tuple[str, ...], optional: bool = False) -> None:
    if value is None and optional:
        return
    if value not in allowed:
        raise CCError(
            f"invalid {name} {value!r}",
            f"use one of: {', '.join(allowed)}",
        )


def load_settings(repo_root: Path) -> Settings:
    """Read ``.ccplugin.toml`` (preferred) or ``[tool.ccplugin]`` of ``pyproject.toml``."""
    table = _settings_table(repo_root)
    known = {f.name for f in fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise CCError(
                f"unknown setting `{key}` in ccplugin config",
                f"remove it; known: {', '.join(sorted(known))}",
            )
        values[name] = tuple(value) if isinstance(value, list) else value
    try:
        return validate(Settings(**values))
    except TypeError as e:  # pragma: no cover (guarded by the known-keys check)
        raise CCError(f"bad ccplugin settings: {e}", "fix [tool.ccplugin]") from e


def _settings_table(repo_root: Path) -> dict[str, Any]:
    dotfile = repo_root / ".ccplugin.toml"
    if dotfile.is_file():
        return _read_toml(dotfile)
    pyproject = repo_root / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        table = tool.get("ccplugin", {}) if isinstance(tool, dict) else {}
        return table if isinstance(table, dict) else {}
    return {}


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # imported when a settings file exists: most runs have none

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CCError(f"cannot read {path.name}: {e}", f"fix the TOML in {path}") from e
