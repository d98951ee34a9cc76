"""ccplugin: cross-model review gating on top of the Claude Code CLI."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccplugin")
except PackageNotFoundError:  # pragma: no cover (running from a source tree)
    __version__ = "0.0.0"
