"""`ccplugin` command line: parse, dispatch, turn expected errors into one line and an exit code.

Only the module of the command being run is imported, so a hook or `status` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from ccplugin import __version__, output, paths
from ccplugin.cli.parser import Parser, add_json
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.redact import redact

# command → (module, one-line help); the module has add_parser(sub, name) and run_args(args)
COMMANDS: dict[str, tuple[str, str]] = {
    "review": ("review", "read-only Claude review of the current change"),
    ReviewMode.ADVERSARIAL: ("review", "challenge the change's design and assumptions (read-only)"),
    "rescue": ("rescue", "hand a task to Claude Code (it may edit files)"),
    "failover": ("failover", "run a command; if it fails or stalls, hand its task to Claude Code"),
    "status": ("status", "list jobs, or show one job"),
    "result": ("result", "show a finished job's result"),
    "cancel": ("cancel", "cancel a queued or running job"),
    "demo": ("demo", "review a sample change offline (no login needed)"),
    "eval": ("eval", "score the review on a corpus: recall on known bugs, false blocks on clean changes"),
    "ci": ("ci", "GitHub Actions: review a pull request (`ci github`), merge shards (`ci merge`)"),
    "install": ("install", "install or update the Codex plugin (`$cc:` skills and hooks)"),
    "uninstall": ("uninstall", "remove the Codex plugin and everything install added"),
    "setup": ("setup", "check the Codex plugin's setup, repair hook trust, toggle the review gate"),
    "hook": ("hook", "run one Codex hook event (Codex calls this)"),
    "reserve": ("reserve", "reserve a job id for a Codex subagent to run (the `$cc:` skills use it)"),
    "worker": ("worker", argparse.SUPPRESS),
}
BUG = 70  # EX_SOFTWARE: an unexpected error is a bug, reported with a short notice
LOG_FILE = "ccplugin.log"  # in the state root: the traces of unexpected errors


def _module(command: str) -> ModuleType:
    return importlib.import_module(f"ccplugin.cli.{COMMANDS[command][0]}")


def build_parser(selected: str | None) -> Parser:
    p = Parser(prog="ccplugin", description="Claude Code reviews, rescues and gates, as tracked jobs.")
    p.add_argument("--version", action="version", version=f"ccplugin {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (_, help_text) in COMMANDS.items():
        if name == selected:
            add_json(_module(name).add_parser(sub, name))
        elif help_text != argparse.SUPPRESS:
            sub.add_parser(name, help=help_text, add_help=False)
    return p


def _parse(args_list: list[str], selected: str | None) -> argparse.Namespace:
    try:
        return build_parser(selected).parse_args(args_list)
    except CCError as e:  # an unknown flag is reported by the top parser: point at the command's help
        if selected and e.fix == "see `ccplugin --help`":
            e.fix = f"see `ccplugin {selected} --help`"
        raise


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _dispatch(args_list))


def _dispatch(args_list: list[str]) -> int:
    selected = next((a for a in args_list if not a.startswith("-")), None)
    args = _parse(args_list, selected if selected in COMMANDS else None)
    if args.command is None:
        raise CCError("no command given", "run `ccplugin --help` to list commands")
    return int(_module(args.command).run_args(args))


def guarded(call: Callable[[], int]) -> int:
    """``call()``'s exit code; the one boundary where errors become a line and an exit code."""
    try:
        return call()
    except CCError as e:
        output.error(f"ccplugin: error: {e.line()}")
        return e.exit_code
    except KeyboardInterrupt:
        output.error("ccplugin: interrupted (^C)")
        return Exit.INTERRUPTED
    except Exception:  # the one place a bug becomes a short notice instead of a crash dump
        trace = traceback.format_exc(limit=8)
        output.error("ccplugin: unexpected error (a bug); please report it with this trace:")
        output.error(trace)
        where = _log_bug(trace)
        if where:
            output.error(f"ccplugin: the trace and version information are also in {where}")
        return BUG


def _log_bug(trace: str) -> str | None:
    """Append the trace with the versions to ``<state root>/ccplugin.log``; its path, None if unwritable."""
    path = os.path.join(paths.state_root(), LOG_FILE)
    record = (
        f"### {time.strftime('%Y-%m-%dT%H:%M:%S%z')} ccplugin {__version__}\n"
        f"python {sys.version.split()[0]} ({sys.executable}) on {sys.platform}\n\n{trace}\n"
    )
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(redact(record))
    except OSError:  # the notice on stderr is enough
        return None
    return path
