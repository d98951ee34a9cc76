"""Where the plugin lives: names Codex knows it by, and the folders install writes.

``ccplugin install`` keeps everything it writes for one Codex home in ``$CODEX_HOME/ccplugin/``:

- ``marketplace/`` — a local marketplace (``.agents/plugins/marketplace.json``) holding the plugin
  ``plugins/cc/`` (manifest, skills, hooks, and ``bin/ccplugin``, the generated launcher that
  holds the absolute path of the Python that has ccplugin). Codex registers the folder
  (``codex plugin marketplace add``) and copies the plugin into its cache
  (``$CODEX_HOME/plugins/cache/ccplugin/cc/<version>/``) on ``codex plugin add``; hooks run from
  that copy (``$PLUGIN_ROOT``), skills call the launcher here by absolute path.
- ``install.json`` — what install changed beyond Codex's own commands (feature flags it set, with
  their old values), so uninstall reverts exactly that.

Keeping it inside the Codex home ties the plugin to the Codex it was registered with (two Codex
homes are two independent installs) and leaves nothing behind elsewhere on uninstall. Jobs and
hook state live in the ccplugin state root (:func:`ccplugin.paths.state_root`), shared by the
command line and the hooks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MARKETPLACE = "ccplugin"
PLUGIN = "cc"
PLUGIN_ID = f"{PLUGIN}@{MARKETPLACE}"
CODEX_BIN_ENV = "CCPLUGIN_CODEX_BIN"
INSTALL_CODEX_FIX = "install it: `npm install -g @openai/codex`, or point `CCPLUGIN_CODEX_BIN` at it"


def codex_home(env: Mapping[str, str] | None = None) -> Path:
    """``$CODEX_HOME``, else ``~/.codex`` (what Codex itself uses)."""
    env = os.environ if env is None else env
    if env.get("CODEX_HOME"):
        return Path(env["CODEX_HOME"]).expanduser()
    return Path(env.get("HOME", "~")).expanduser() / ".codex"


@dataclass(frozen=True)
class Layout:
    """The paths of one install, under one Codex home."""

    home: Path

    @classmethod
    def of(cls, env: Mapping[str, str] | None = None) -> Layout:
        return cls(codex_home(env))

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def root(self) -> Path:
        return self.home / "ccplugin"

    @property
    def marketplace(self) -> Path:
        return self.root / "marketplace"

    @property
    def plugin(self) -> Path:
        return self.marketplace / "plugins" / PLUGIN

    @property
    def launcher(self) -> Path:
        return self.plugin / "bin" / "ccplugin"

    @property
    def record(self) -> Path:
        return self.root / "install.json"

    @property
    def cache_root(self) -> Path:
        """The folder ``codex plugin add`` makes for our marketplace's plugins."""
        return self.home / "plugins" / "cache" / MARKETPLACE

    def cache(self, version: str) -> Path:
        """Codex's copy of the plugin, the one its hooks run from."""
        return self.cache_root / PLUGIN / version
