"""The installed Codex CLI, driven through its subcommands (``plugin``, ``features``).

Facts about codex 0.169 this relies on (checked by tests/test_codex_plugin.py):

- ``codex plugin marketplace add <folder>`` registers ``[marketplaces.<name>]`` in
  ``config.toml``; adding the same folder again is a no-op, another folder under the same name
  is refused ("remove it before adding this source").
- ``codex plugin add cc@ccplugin`` copies the plugin into ``$CODEX_HOME/plugins/cache/…`` (file
  modes kept) and writes ``[plugins."cc@ccplugin"] enabled = true``; running it again refreshes
  the copy. ``plugin remove`` and ``marketplace remove`` delete exactly their own tables: Codex
  edits ``config.toml`` in place and keeps comments and other settings byte for byte.
- ``codex features list`` prints ``name  stage  true|false`` rows; in 0.169 ``hooks`` is stable
  and on, ``plugin_hooks`` is "removed" (plugin hooks run without it).
- Every command prints a harmless ``WARNING: proceeding, even though we could not create PATH
  aliases`` on stderr when ``CODEX_HOME`` is under /tmp.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ccplugin import proc
from ccplugin.codex.layout import CODEX_BIN_ENV, INSTALL_CODEX_FIX, PLUGIN_ID
from ccplugin.errors import CCError

TIMEOUT = 60.0


class Stage(StrEnum):
    """A Codex feature's stage, as ``codex features list`` prints it."""

    STABLE = "stable"
    EXPERIMENTAL = "experimental"
    UNDER_DEVELOPMENT = "under development"
    DEPRECATED = "deprecated"
    REMOVED = "removed"


@dataclass(frozen=True)
class Feature:
    name: str
    stage: str  # a Stage value; kept as text: a newer Codex may print another
    enabled: bool


@dataclass(frozen=True)
class Codex:
    """One codex binary and the environment to run it in."""

    binary: str
    env: Mapping[str, str]

    @classmethod
    def find(cls, env: Mapping[str, str]) -> Codex:
        """``$CCPLUGIN_CODEX_BIN``, else ``codex`` on PATH; a clear error when neither exists."""
        explicit = env.get(CODEX_BIN_ENV, "").strip()
        binary = proc.which(explicit, env) if explicit else proc.which("codex", env)
        if not binary:
            shown = f"{CODEX_BIN_ENV}={explicit} is not an executable" if explicit else "Codex CLI `codex` not found"
            raise CCError(shown, INSTALL_CODEX_FIX)
        return cls(binary, env)

    def run(self, *args: str, timeout: float = TIMEOUT) -> str:
        """``codex ARGS``; its stdout, or a CCError naming the command and Codex's own message."""
        shown = "codex " + " ".join(args)
        try:
            done = proc.run([self.binary, *args], env=self.env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CCError(f"`{shown}` did not finish within {timeout:.0f} s", "check `codex` runs at all") from None
        if done.returncode != 0:
            raise CCError(f"`{shown}` failed: {message(done.err or done.out)}", "fix what Codex reports, then retry")
        return done.out

    def version(self) -> str:
        return self.run("--version").strip()

    def features(self) -> dict[str, Feature]:
        """``codex features list`` as name → Feature."""
        found: dict[str, Feature] = {}
        for row in self.run("features", "list").splitlines():
            parts = row.split()
            if len(parts) >= 3 and parts[-1] in ("true", "false"):
                found[parts[0]] = Feature(parts[0], " ".join(parts[1:-1]), parts[-1] == "true")
        return found

    def plugin_status(self) -> str | None:
        """The STATUS column of ``codex plugin list`` for the plugin, None when not listed."""
        for row in self.run("plugin", "list").splitlines():
            cells = [c.strip() for c in row.split("  ") if c.strip()]
            if cells and cells[0] == PLUGIN_ID:
                return cells[1] if len(cells) > 1 else ""
        return None


def message(text: str) -> str:
    """Codex's error text without its warnings and stack backtrace, on one line."""
    kept = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Stack backtrace"):
            break
        if line and not line.startswith("WARNING:"):
            kept.append(line)
    return " ".join(kept)[:400] or "no message"
