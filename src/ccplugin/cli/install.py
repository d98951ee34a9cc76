"""`ccplugin install`: install or update the Codex plugin (idempotent)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ccplugin import output
from ccplugin.codex import install as codex_install
from ccplugin.codex.appserver import HookTrust
from ccplugin.errors import Exit


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="install or update the Codex plugin",
        description="Install the `cc` plugin into the Codex found on PATH (or $CCPLUGIN_CODEX_BIN), "
        "under $CODEX_HOME (default ~/.codex). Running it again updates the plugin and changes nothing "
        "when it is current.",
    )
    p.add_argument(
        codex_install.ENABLE_HOOKS_FLAG,
        dest="enable_hooks",
        action="store_true",
        help="turn on `[features] hooks` when your config.toml sets it to false (every Codex hook then runs); "
        "without it, install asks on a terminal and stops otherwise",
    )
    return p


def run_args(args: argparse.Namespace) -> int:
    return install(as_json=args.json, enable_hooks=args.enable_hooks)


def install(*, as_json: bool, enable_hooks: bool = False) -> int:
    allow = (lambda _names: True) if enable_hooks else ask_on_terminal
    report = codex_install.install(os.environ, os.getcwd(), allow)
    if as_json:
        output.json_out(report.to_dict())
        return Exit.OK
    output.line(f"Codex plugin `{report.to_dict()['plugin']}` {report.to_dict()['version']} in {report.layout.home}")
    print_actions(report, "already installed and up to date; nothing changed")
    trusted = sum(1 for h in report.hooks if h.trust == HookTrust.TRUSTED)
    output.line(f"Hooks trusted: {trusted} of {len(report.hooks)}. Launcher: {report.layout.launcher}")
    output.line("Next: in Codex, run `$cc:setup` to check Claude Code and the sandbox.")
    return Exit.OK


def ask_on_terminal(names: list[str]) -> bool:
    """y/N on a terminal; no terminal is a no (install then names the flag to pass)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    shown = ", ".join(f"`{n} = false`" for n in names)
    sys.stderr.write(
        f"Codex's config.toml sets [features] {shown}: every Codex hook is off, the plugin's too.\n"
        "Turn it on (all your Codex hooks will run again)? [y/N] "
    )
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


def print_actions(report: codex_install.Report, unchanged: str) -> None:
    """One ``- action`` line per change, or ``- unchanged`` when there was none."""
    for action in report.actions or (unchanged,):
        output.line(f"- {action}")
