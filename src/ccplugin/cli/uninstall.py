"""`ccplugin uninstall`: remove the Codex plugin and exactly what `ccplugin install` added."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import output
from ccplugin.cli.install import print_actions
from ccplugin.codex import install as codex_install
from ccplugin.errors import Exit


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="remove the Codex plugin")
    return p


def run_args(args: argparse.Namespace) -> int:
    return uninstall(as_json=args.json)


def uninstall(*, as_json: bool) -> int:
    report = codex_install.uninstall(os.environ, os.getcwd())
    if as_json:
        output.json_out(report.to_dict())
        return Exit.OK
    output.line(f"Codex plugin removed from {report.layout.home}")
    print_actions(report, "it was not installed; nothing changed")
    for note in report.notes:
        output.line(f"Note: {note}")
    return Exit.OK
