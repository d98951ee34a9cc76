"""One place that resolves paths, environment and ``[tool.ccplugin]`` settings."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ccplugin.errors import CCError
from ccplugin.review import options
from ccplugin.review.values import FAIL_ON, FilterMode, OnError

RULE_FILES = options.RULE_FILES


@dataclass(frozen=True)
class PathRule:
    """A review rule for the changed files matching ``paths`` (globs as in ``include``)."""

    paths: tuple[str, ...]
    rule: str


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
    max_cost_usd: float | None = None  # per review (every Claude run of it)
    max_pr_cost_usd: float | None = None  # per pull request, over its pushes and shards (CI)
    budget_bytes: int = 256 * 1024
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    model: str = "opus"
    effort: str | None = None
    cache: bool = True
    keep_jobs: int = 200
    waivers: str = ".ccplugin-waivers.toml"
    rules: tuple[str, ...] = RULE_FILES  # repository files whose text guides the reviewer
    path_rules: tuple[PathRule, ...] = ()
    review_generated: tuple[str, ...] = ()  # globs reviewed even when generated, vendored or lock files
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    given: frozenset[str] = field(default_factory=frozenset, compare=False)  # the keys the settings file set

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
        ("max_cost_usd", s.max_cost_usd is None or s.max_cost_usd > 0, "must be positive"),
        ("max_pr_cost_usd", s.max_pr_cost_usd is None or s.max_pr_cost_usd > 0, "must be positive"),
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
        values[name] = _typed(name, value)
    try:
        return validate(Settings(**values, given=frozenset(values)))
    except TypeError as e:  # pragma: no cover (guarded by the known-keys check)
        raise CCError(f"bad ccplugin settings: {e}", "fix [tool.ccplugin]") from e


def _typed(name: str, value: Any) -> Any:
    """A settings file's value as the field holds it; the review-rule keys are checked here."""
    if name in ("rules", "review_generated"):
        return _strings(name, value, paths=name == "rules")
    if name == "path_rules":
        return tuple(_path_rule(entry) for entry in _list(name, value))
    return tuple(value) if isinstance(value, list) else value


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _bad_setting(name, "must be a list")
    return value


def _strings(name: str, value: Any, paths: bool = False) -> tuple[str, ...]:
    items = _list(name, value)
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise _bad_setting(name, "must be a list of non-empty strings")
    if paths and any(_outside(v) for v in items):
        raise _bad_setting(name, "must name files inside the repository (relative paths, no `..`)")
    return tuple(v.strip() for v in items)


def _outside(path: str) -> bool:
    parts = path.strip().replace("\\", "/").split("/")
    return path.strip().startswith("/") or ".." in parts


def _path_rule(entry: Any) -> PathRule:
    if not isinstance(entry, dict) or set(entry) != {"paths", "rule"}:
        raise _bad_setting("path_rules", "entries must be tables with exactly `paths` (a list) and `rule` (text)")
    rule = entry["rule"]
    if not isinstance(rule, str) or not rule.strip():
        raise _bad_setting("path_rules", "`rule` must be non-empty text")
    paths = _strings("path_rules", entry["paths"])
    if not paths:
        raise _bad_setting("path_rules", "`paths` must name at least one glob")
    return PathRule(paths, rule.strip())


def _bad_setting(name: str, must: str) -> CCError:
    return CCError(
        f"`{name}` in the ccplugin settings {must}",
        f"fix `{name}` in .ccplugin.toml or [tool.ccplugin] of pyproject.toml (see docs/configuration.md)",
    )


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
