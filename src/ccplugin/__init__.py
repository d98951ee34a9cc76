"""ccplugin: cross-model review gating on top of the Claude Code CLI."""

from __future__ import annotations

__version__ = "0.1.0"
