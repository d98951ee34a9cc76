"""One place that resolves paths, environment and ``[tool.ccplugin]`` settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ccplugin import paths
from ccplugin.errors import CCError
from ccplugin.review import options
from ccplugin.review.values import FAIL_ON, FilterMode, OnError


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
    """Review settings; file values first, then command-line overrides.

    Its fields are the table's settings (:func:`ccplugin.review.options.setting_keys`), with the
    table's defaults (a test holds the two together)."""

    fail_on: str | None = None
    filter_mode: FilterMode = FilterMode.NOFILTER
    on_error: OnError = OnError.FAIL
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
        return validate(replace(self, **given), given)


def validate(s: Settings, flags: Collection[str] = ()) -> Settings:
    """``s`` when every value is allowed; the error names the flag when the value came from one
    (``flags``: the names given on the command line), else the settings file."""
    _choice("fail_on", s.fail_on, FAIL_ON, optional=True)
    _choice("filter_mode", s.filter_mode, tuple(FilterMode))
    _choice("on_error", s.on_error, tuple(OnError))
    s = replace(s, filter_mode=FilterMode(s.filter_mode), on_error=OnError(s.on_error))
    for name, ok, must in (
        ("timeout", s.timeout > 0, "must be positive"),
        ("max_turns", s.max_turns >= 1, "must be at least 1"),
        ("budget_bytes", s.budget_bytes >= 1, "must be positive"),
    ):
        if not ok:
            raise _bad_number(name, getattr(s, name), must, name in flags)
    return s


def _bad_number(name: str, value: object, must: str, from_flag: bool) -> CCError:
    flag = "--" + name.replace("_", "-")
    if from_flag:
        return CCError(f"`{flag} {value}`: the value {must}", f"pass `{flag} N` with N {must.removeprefix('must be ')}")
    return CCError(
        f"`{name}` in the ccplugin settings {must}, got {value}",
        f"fix `{name}` in .ccplugin.toml or [tool.ccplugin] of pyproject.toml",
    )


def _choice(name: str, value: str | None, allowed: tuple[str, ...], optional: bool = False) -> None:
    if value is None and optional:
        return
    if value not in allowed:
        raise CCError(
            f"invalid {name} {value!r}",
            f"use one of: {', '.join(allowed)}",
        )


SETTINGS_FILE = ".ccplugin.toml"
PYPROJECT = "pyproject.toml"
Reader = Callable[[str], bytes | None]  # a repository-relative file's bytes, None when absent


def load_settings(repo_root: Path) -> Settings:
    """Read ``.ccplugin.toml`` (preferred) or ``[tool.ccplugin]`` of ``pyproject.toml`` in ``repo_root``.

    Reviews never call this: what judges a change is read from a commit (``review.policy``)."""
    return read_settings(worktree_reader(repo_root))[0]


def read_settings(read: Reader, where: str = "") -> tuple[Settings, str | None]:
    """The settings ``read`` finds, and the file they came from (None: the defaults).

    ``where`` names the source in errors, e.g. `` at 1a2b3c4 (base)``."""
    file, table = _settings_table(read, where)
    return settings_of(table), file


def settings_of(table: Mapping[str, Any]) -> Settings:
    known = options.setting_keys()
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


def _settings_table(read: Reader, where: str) -> tuple[str | None, dict[str, Any]]:
    dotfile = read(SETTINGS_FILE)
    if dotfile is not None:
        return SETTINGS_FILE, parse_toml(dotfile, SETTINGS_FILE, where)
    pyproject = read(PYPROJECT)
    table = ccplugin_table(parse_toml(pyproject, PYPROJECT, where)) if pyproject is not None else None
    return (PYPROJECT, table) if table is not None else (None, {})


def ccplugin_table(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """``[tool.ccplugin]`` of a parsed ``pyproject.toml``; None when there is none."""
    tool = doc.get("tool", {})
    table = tool.get("ccplugin") if isinstance(tool, dict) else None
    if table is None:
        return None
    return table if isinstance(table, dict) else {}


def parse_toml(data: bytes, name: str, where: str = "") -> dict[str, Any]:
    """A TOML document; bad TOML is one line naming the file (and the commit it was read from)."""
    import tomllib  # imported when a settings file exists: most runs have none

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        fix = f"fix the TOML in {name} and commit it" if where else f"fix the TOML in {name}"
        raise CCError(f"cannot read {name}{where}: {e}", fix) from e


def worktree_reader(root: Path) -> Reader:
    """Files as they are in the work tree at ``root``."""

    def read(name: str) -> bytes | None:
        path = root / name
        if not path.is_file():
            return None
        try:
            return path.read_bytes()
        except OSError as e:
            raise CCError(f"cannot read {path}: {e}", f"check the permissions of {path}") from e

    return read
