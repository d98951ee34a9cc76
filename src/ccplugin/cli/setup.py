"""`ccplugin setup` (`$cc:setup`): check the Codex plugin's setup, repair hook trust, toggle the gate."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import output
from ccplugin.claude.install import Route
from ccplugin.codex import setup as codex_setup
from ccplugin.errors import Exit


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="check and repair the Codex plugin's setup")
    gate = p.add_mutually_exclusive_group()
    gate.add_argument(
        "--enable-review-gate",
        dest="gate",
        action="store_const",
        const=True,
        help="review each Codex turn's edits with Claude before Codex stops (this workspace)",
    )
    gate.add_argument("--disable-review-gate", dest="gate", action="store_const", const=False, help="turn it off")
    p.add_argument(
        "--install-claude",
        nargs="?",
        const=Route.PIP,
        type=Route,
        choices=list(Route),
        metavar="{pip,npm}",
        help="install Claude Code when it is missing, then check again: `pip` (the default; the claude-agent-sdk "
        "wheel, which bundles the CLI, into ccplugin's Python, no Node.js needed) or `npm` "
        "(`npm install -g @anthropic-ai/claude-code`)",
    )
    return p


def run_args(args: argparse.Namespace) -> int:
    return setup(gate=args.gate, as_json=args.json, install_claude=args.install_claude)


def setup(*, gate: bool | None, as_json: bool, install_claude: Route | None = None) -> int:
    """Exit 0 when every required check passes, 2 when something needs attention."""
    report = codex_setup.setup(os.environ, os.getcwd(), gate, install_claude)
    if as_json:
        output.json_out(report.to_dict())
    else:
        output.line(codex_setup.render(report))
    return Exit.OK if report.ready else Exit.USAGE
