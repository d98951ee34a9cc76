"""`ccplugin hook <event>`: what Codex runs for SessionStart, UserPromptSubmit, Stop, SessionEnd.

The plugin's launcher calls :mod:`ccplugin.codex.fasthook` directly (no argparse, for speed);
this command is the same entry for people and scripts. It always exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ccplugin.codex import fasthook


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="run one Codex hook event, reading its JSON on stdin")
    p.add_argument("event", nargs="?", default="", help=", ".join(fasthook.EVENTS))
    return p


def run_args(args: argparse.Namespace) -> int:
    return fasthook.run(args.event, sys.stdin.buffer, os.environ)
