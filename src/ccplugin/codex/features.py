"""The ``[features]`` flags of Codex's ``config.toml`` that plugin hooks need, set and reverted
with tomlkit so every other byte of the file (comments, order, spacing) stays as it was.

Which flags: ``hooks`` (``codex_hooks`` in older builds) when the installed Codex does not already
run with it on, and ``plugin_hooks`` only while that Codex still knows the flag (0.169 lists it
as "removed": plugin hooks run without it). Each change is recorded with the value it replaced,
so uninstall puts back exactly that, and leaves alone a flag the user changed since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Item, Table

from ccplugin import files
from ccplugin.codex.codexcli import Feature, Stage
from ccplugin.errors import CCError


@dataclass(frozen=True)
class FlagChange:
    name: str
    old: bool | None  # None: the key was absent
    added_table: bool = False  # install created the [features] table
    separator: bool = False  # tomlkit put a blank line before that table

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FlagChange:
        return cls(str(d["name"]), d.get("old"), bool(d.get("added_table")), bool(d.get("separator")))


def wanted(features: Mapping[str, Feature]) -> list[str]:
    """The flags to turn on for plugin hooks to run under this Codex."""
    names = []
    hooks = features.get("hooks") or features.get("codex_hooks")
    if hooks is not None and not hooks.enabled:
        names.append(hooks.name)
    plugin_hooks = features.get("plugin_hooks")
    if plugin_hooks is not None and plugin_hooks.stage != Stage.REMOVED and not plugin_hooks.enabled:
        names.append(plugin_hooks.name)
    return names


def turned_off(config: Path, names: Iterable[str]) -> list[str]:
    """Those of ``names`` the user set to ``false`` in ``[features]`` (not merely left out)."""
    table = _parse(_read(config), config).get("features")
    return [n for n in names if isinstance(table, Table) and table.get(n) is False]


def enable(config: Path, names: Iterable[str]) -> list[FlagChange]:
    """Set ``[features] <name> = true`` for each name not already true; the changes made."""
    names = list(names)
    if not names:
        return []
    before = _read(config)
    doc = _parse(before, config)
    table, added = _features(doc, config)
    changes = []
    for name in names:
        old = table.get(name)
        if old is True:
            continue
        _set(table, name, True)
        changes.append(FlagChange(name, old if isinstance(old, bool) else None, added))
    if changes:
        after = tomlkit.dumps(doc)
        separator = added and after.startswith(before + "\n[")
        changes = [FlagChange(c.name, c.old, c.added_table, separator) for c in changes]
        _write(config, after)
    return changes


def revert(config: Path, changes: Iterable[FlagChange]) -> list[str]:
    """Undo ``changes`` where the flag still holds the value install set; the names reverted."""
    changes = list(changes)
    if not changes or not config.exists():
        return []
    doc = _parse(_read(config), config)
    table = doc.get("features")
    if not isinstance(table, Table):
        return []
    reverted = []
    for change in changes:
        if table.get(change.name) is not True:
            continue  # the user changed it since: theirs now
        if change.old is None:
            del table[change.name]
        else:
            _set(table, change.name, change.old)
        reverted.append(change.name)
    if reverted:
        _write(config, _dump_without_empty_table(doc, table, changes))
    return reverted


def _dump_without_empty_table(doc: tomlkit.TOMLDocument, table: Table, changes: list[FlagChange]) -> str:
    """The document's text; a ``[features]`` table install added goes again once it is empty."""
    if not (any(c.added_table for c in changes) and len(table) == 0):
        return tomlkit.dumps(doc)
    del doc["features"]
    text = tomlkit.dumps(doc)
    if any(c.separator for c in changes) and text.endswith("\n\n"):
        text = text[:-1]  # the blank line tomlkit put before the table
    return text


def _features(doc: tomlkit.TOMLDocument, config: Path) -> tuple[Table, bool]:
    table = doc.get("features")
    if table is None:
        table = tomlkit.table()
        doc["features"] = table
        return table, True
    if not isinstance(table, Table):
        raise CCError(f"`features` in {config} is not a table", f"make it a `[features]` table in {config}")
    return table, False


def _set(table: Table, name: str, value: bool) -> None:
    """Set ``name`` keeping the old line's comment and spacing."""
    new: Item = tomlkit.item(value)
    old = table.item(name) if name in table else None
    if isinstance(old, Item):
        new.trivia.indent = old.trivia.indent
        new.trivia.comment_ws = old.trivia.comment_ws
        new.trivia.comment = old.trivia.comment
        new.trivia.trail = old.trivia.trail
    table[name] = new


def _read(config: Path) -> str:
    try:
        return config.read_text(encoding="utf-8") if config.exists() else ""
    except (OSError, UnicodeDecodeError) as e:
        raise CCError(f"cannot read {config}: {e}", f"check the file's permissions and encoding: {config}") from None


def _parse(text: str, config: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as e:
        raise CCError(f"{config} is not valid TOML ({e})", f"fix {config}; Codex cannot read it either") from None


def _write(config: Path, text: str) -> None:
    """Replace the file atomically, keeping its permissions."""
    mode = config.stat().st_mode & 0o777 if config.exists() else 0o600
    try:
        files.write_atomic(config, text, mode=mode)
    except OSError as e:
        raise CCError(f"cannot write {config} ({e.strerror})", f"make {config.parent} writable") from None
