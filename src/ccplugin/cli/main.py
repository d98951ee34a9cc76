"""`ccplugin` command line: parse, dispatch, turn expected errors into one line and an exit code."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from ccplugin import __version__, output
from ccplugin.cli import cancel, demo, result, review, status, worker
from ccplugin.cli.parser import Parser, add_json
from ccplugin.errors import CCError, Exit

_COMMANDS = {
    "review": review,
    "adversarial-review": review,
    "status": status,
    "result": result,
    "cancel": cancel,
    "demo": demo,
    "worker": worker,
}


def build_parser() -> Parser:
    p = Parser(prog="ccplugin", description="Claude Code reviews, rescues and gates, as tracked jobs.")
    p.add_argument("--version", action="version", version=f"ccplugin {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module in _COMMANDS.items():
        module_parser = module.add_parser(sub, name)
        add_json(module_parser)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        if args.command is None:
            raise CCError("no command given", "run `ccplugin --help` to list commands")
        return int(_COMMANDS[args.command].run_args(args))
    except CCError as e:
        output.error(f"ccplugin: error: {e.line()}")
        return e.exit_code
    except KeyboardInterrupt:
        output.error("ccplugin: interrupted (^C)")
        return Exit.INTERRUPTED
    except Exception:
        output.error("ccplugin: unexpected error (a bug); please report it with this trace:")
        output.error(traceback.format_exc(limit=8))
        return 70


def namespace_kwargs(args: argparse.Namespace, *drop: str) -> dict[str, object]:
    return {k: v for k, v in vars(args).items() if k not in {"command", *drop}}
