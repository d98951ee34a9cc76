"""``ccplugin install`` / ``uninstall``: put the plugin into the installed Codex, or take it out.

Install (idempotent; it is also the update path):

0. before any change: a flag step 4 needs that the user set to ``false`` (``hooks = false`` turns
   off every Codex hook, not only ours) is turned on only with consent (``--enable-hooks``, or a
   yes on a terminal); otherwise install stops with exit 5 and changes nothing;
1. write the marketplace folder (:mod:`ccplugin.codex.materialise`) — untouched when unchanged;
2. ``codex plugin marketplace add`` it (re-registered when it moved);
3. ``codex plugin add cc@ccplugin`` when Codex's cached copy differs from the folder or the plugin
   is not enabled;
4. turn on the feature flags this Codex needs for plugin hooks (:mod:`ccplugin.codex.features`);
5. trust the plugin's current hook hashes (:mod:`ccplugin.codex.appserver`);
6. remember in ``install.json`` what step 4 changed.

Running it again with nothing changed runs no Codex command that writes and changes no file.
Uninstall removes the trust entries, the plugin and the marketplace through Codex, deletes the
empty ``$CODEX_HOME/plugins/cache/ccplugin`` folder Codex leaves behind, reverts the flags install
set, and deletes ``$CODEX_HOME/ccplugin``; the job store is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccplugin import __version__, files
from ccplugin.claude import env as claude_env
from ccplugin.claude.types import ClaudeFailure
from ccplugin.codex import features, materialise
from ccplugin.codex.appserver import AppServer, Hook, HookTrust
from ccplugin.codex.codexcli import Codex
from ccplugin.codex.layout import MARKETPLACE, PLUGIN, PLUGIN_ID, Layout
from ccplugin.errors import CCError, Exit


@dataclass(frozen=True)
class Report:
    """What install or uninstall did, in the order it did it."""

    layout: Layout
    actions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "codex_home": str(self.layout.home),
            "marketplace": str(self.layout.marketplace),
            "launcher": str(self.layout.launcher),
            "plugin": PLUGIN_ID,
            "version": __version__,
            "changed": bool(self.actions),
            "actions": list(self.actions),
            "notes": list(self.notes),
            "hooks": [{"key": h.key, "trust": h.trust} for h in self.hooks],
        }


ENABLE_HOOKS_FLAG = "--enable-hooks"


def refuse(_names: list[str]) -> bool:
    """The default answer to "turn on the hooks you turned off?": no."""
    return False


def install(env: Mapping[str, str], cwd: str, allow: Callable[[list[str]], bool] = refuse) -> Report:
    """Install or update; ``allow`` decides on flags the user set to false (asked before any change)."""
    layout = Layout.of(env)
    codex = Codex.find(env)
    check_writable(layout.home)
    wanted = features.wanted(codex.features())
    check_consent(layout, features.turned_off(layout.config, wanted), allow)
    actions: list[str] = []
    tree = materialise.build(layout, sys.executable, tool_dirs(env, codex))
    if materialise.write_tree(layout.marketplace, tree):
        actions.append(f"wrote the plugin to {layout.plugin}")
    actions += register(codex, layout, tree)
    changes = features.enable(layout.config, wanted)
    actions += [f"set [features] {c.name} = true in {layout.config}" for c in changes]
    _remember(layout, changes)
    with AppServer(codex, cwd) as server:
        trusted = trust_hooks(server, cwd)
        hooks = tuple(h for h in server.hooks(cwd) if h.plugin_id == PLUGIN_ID)
    if trusted:
        actions.append(f"trusted {trusted} plugin hook(s) in {layout.config}")
    return Report(layout, tuple(actions), hooks=hooks)


def check_consent(layout: Layout, off: list[str], allow: Callable[[list[str]], bool]) -> None:
    """Turning on a flag the user set to false enables every Codex hook, not only ours: only if allowed."""
    if off and not allow(off):
        raise hooks_off_error(layout, off)


def hooks_off_error(layout: Layout, off: list[str]) -> CCError:
    names = " and ".join(f"`{n} = false`" for n in off)
    return CCError(
        f"{layout.config} sets [features] {names}, which turns off every Codex hook (the plugin's too)",
        f"rerun with `ccplugin install {ENABLE_HOOKS_FLAG}` to turn it on, or keep it off and do without the "
        "plugin's hooks",
        Exit.NEEDS_CONSENT,
    )


def register(codex: Codex, layout: Layout, tree: materialise.Tree) -> list[str]:
    """Register the marketplace and (re)install the plugin where Codex's copy is stale."""
    actions = []
    config = read_config(layout.config)
    source = config.get("marketplaces", {}).get(MARKETPLACE, {}).get("source")
    if source != str(layout.marketplace):
        if source is not None:
            codex.run("plugin", "marketplace", "remove", MARKETPLACE)
        codex.run("plugin", "marketplace", "add", str(layout.marketplace))
        actions.append(f"registered the marketplace `{MARKETPLACE}` with Codex")
    prefix = f"plugins/{PLUGIN}/"
    ours = {rel.removeprefix(prefix): f for rel, f in tree.items() if rel.startswith(prefix)}
    enabled = config.get("plugins", {}).get(PLUGIN_ID, {}).get("enabled") is True
    if not enabled or source != str(layout.marketplace) or materialise.read_tree(layout.cache(__version__)) != ours:
        codex.run("plugin", "add", PLUGIN_ID)
        actions.append(f"installed the plugin `{PLUGIN_ID}` {__version__} into Codex")
    return actions


def trust_hooks(server: AppServer, cwd: str) -> int:
    """Trust every plugin hook Codex reports untrusted or modified; how many."""
    ours = [h for h in server.hooks(cwd) if h.plugin_id == PLUGIN_ID]
    if not ours:
        raise CCError(
            f"Codex lists none of the `{PLUGIN_ID}` hooks",
            "check `codex features list` shows `hooks` true, then run `ccplugin install` again",
        )
    stale = [h for h in ours if h.trust != HookTrust.TRUSTED]
    server.trust(stale)
    return len(stale)


def uninstall(env: Mapping[str, str], cwd: str) -> Report:
    layout = Layout.of(env)
    codex = Codex.find(env)
    config = read_config(layout.config)
    actions: list[str] = []
    keys = [k for k in config.get("hooks", {}).get("state", {}) if k.startswith(f"{PLUGIN_ID}:")]
    if keys:
        with AppServer(codex, cwd) as server:
            server.forget(keys)
        actions.append(f"removed the trust of {len(keys)} plugin hook(s)")
    if PLUGIN_ID in config.get("plugins", {}):
        codex.run("plugin", "remove", PLUGIN_ID)
        actions.append(f"removed the plugin `{PLUGIN_ID}` from Codex")
    if MARKETPLACE in config.get("marketplaces", {}):
        codex.run("plugin", "marketplace", "remove", MARKETPLACE)
        actions.append(f"removed the marketplace `{MARKETPLACE}` from Codex")
    if remove_if_empty(layout.cache_root):
        actions.append(f"deleted the empty folder {layout.cache_root}")
    reverted = features.revert(layout.config, _recorded(layout))
    actions += [f"restored [features] {name} in {layout.config}" for name in reverted]
    if layout.root.exists():
        shutil.rmtree(layout.root)
        actions.append(f"deleted {layout.root}")
    note = "jobs and their results stay in the ccplugin state folder (`ccplugin status --all`)"
    return Report(layout, tuple(actions), notes=(note,))


def remove_if_empty(folder: Path) -> bool:
    """Delete ``folder`` when it is an empty directory (``codex plugin remove`` leaves ours); whether it did."""
    try:
        folder.rmdir()  # fails on a missing folder, a file, or one with anything in it
    except OSError:
        return False
    return True


def read_config(path: Path) -> dict[str, Any]:
    """Codex's ``config.toml`` as data ({} when there is none)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CCError(f"cannot read {path}: {e}", f"fix {path}; Codex cannot read it either") from None


def tool_dirs(env: Mapping[str, str], codex: Codex) -> list[str]:
    """Folders of ``claude`` and ``codex`` as found now, for the launcher's PATH."""
    dirs = [os.path.dirname(os.path.abspath(codex.binary))]
    with contextlib.suppress(ClaudeFailure):  # no claude yet: setup says how to install it
        dirs.insert(0, os.path.dirname(claude_env.find_binary(env)))
    return dirs


def check_writable(home: Path) -> None:
    """A clear error when the Codex home cannot be written."""
    e = write_error(home)
    if e is not None:
        raise CCError(
            f"cannot write to the Codex home {home} ({e.strerror or e})",
            "make it writable, or point `CODEX_HOME` at a writable folder",
        )


def write_error(folder: Path) -> OSError | None:
    """Why a file cannot be created in ``folder`` (made first if missing), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        return e
    return None


def _remember(layout: Layout, changes: list[features.FlagChange]) -> None:
    """Keep the flag changes of every install so uninstall can revert them all."""
    flags = [*(_recorded(layout)), *changes]
    record = {"version": __version__, "python": sys.executable, "flags": [c.to_dict() for c in flags]}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    if not layout.record.exists() or layout.record.read_text(encoding="utf-8") != text:
        files.write_atomic(layout.record, text)


def read_record(layout: Layout) -> dict[str, Any]:
    """``install.json`` ({} when missing or unreadable)."""
    try:
        data = json.loads(layout.record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _recorded(layout: Layout) -> list[features.FlagChange]:
    try:
        return [features.FlagChange.from_dict(d) for d in read_record(layout).get("flags", [])]
    except (KeyError, TypeError, AttributeError):
        return []
