"""`ccplugin ci github` (review a pull request in GitHub Actions) and `ccplugin ci merge` (combine shards)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

from ccplugin.ci import merge, providers, runner
from ccplugin.cli import review
from ccplugin.cli.parser import Parser, add_json
from ccplugin.errors import CCError
from ccplugin.review import options
from ccplugin.review.options import Surface


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="GitHub Actions: review a pull request; merge shard results")
    targets = p.add_subparsers(dest="ci_command", metavar="{github,merge}", parser_class=Parser)
    gh = targets.add_parser("github", help="review the pull request of this workflow run and report it on GitHub")
    options.add_arguments(gh, Surface.CI)
    gh.add_argument(
        "--action-inputs",
        action="store_true",
        help=f"read the Action's inputs (its `toJSON(inputs)`) from ${options.INPUTS_VAR}, over these flags",
    )
    merge = targets.add_parser("merge", help="combine `ci github --result-json` files of shards into one gate")
    merge.add_argument("results", nargs="+", metavar="RESULT", help="shard result files, or folders holding them")
    merge.add_argument(
        "--expect", type=options.whole_number, help="how many shard results there must be (missing ones: ERROR)"
    )
    options.add_arguments(merge, Surface.MERGE)
    for child in (gh, merge):
        review.add_report_flag(child)
        add_json(child)
    return p


def run_args(args: argparse.Namespace) -> int:
    if args.ci_command not in ("github", "merge"):
        raise CCError("`ccplugin ci` needs a target", "run `ccplugin ci github` or `ccplugin ci merge`")
    if args.ci_command == "merge":  # shards of GitHub runs
        return merge.run(providers.get("github"), args.results, _publish(args), args.expect, os.environ)
    if args.action_inputs:
        args = with_action_inputs(args, os.environ)
    opts = runner.Options(
        publish=_publish(args),
        request=replace(
            review.request_of(args, mode=args.mode, scope="branch", focus=args.focus),
            filter_default=options.surface_default("filter_mode", Surface.CI),
        ),
        post_review=args.post_review,
        max_comments=args.max_comments,
        allow_pull_request_target=args.allow_pull_request_target,
        event_path=args.event,
        rescue_on_failure=args.rescue_on_failure,
        rescue_dir=args.rescue_dir,
        github_login=args.github_login,
    )
    return runner.run(providers.get(args.ci_command), opts, os.environ)


def _publish(args: argparse.Namespace) -> runner.Publish:
    return runner.Publish(args.junit, args.sarif, args.result_json, args.label, args.json, tuple(args.reports))


def with_action_inputs(args: argparse.Namespace, env: MutableMapping[str, str]) -> argparse.Namespace:
    """``args`` with the Action's inputs (JSON in ``$CCPLUGIN_INPUTS``) applied as the table's flags.

    The variable is taken out of ``env`` first: it holds the secret inputs too (the token, the
    cache secret), and nothing this process starts (Claude, git) may inherit it."""
    text = env.pop(options.INPUTS_VAR, None)
    fix = f"pass the inputs as `{options.INPUTS_VAR}: ${{{{ toJSON(inputs) }}}}` (see action/action.yml)"
    if text is None:
        raise CCError(f"--action-inputs: ${options.INPUTS_VAR} is not set", fix)
    try:
        inputs = json.loads(text)
    except ValueError:
        inputs = None
    if not isinstance(inputs, dict):
        raise CCError(f"--action-inputs: ${options.INPUTS_VAR} is not a JSON object", fix)
    try:
        argv = options.action_argv(inputs)
    except options.InputError as e:
        raise CCError(str(e), "fix the input in the workflow's `with:` (action/action.yml lists them)") from None
    parser = Parser(prog="ccplugin ci github (the Action's inputs)")
    options.add_arguments(parser, Surface.CI)
    return parser.parse_args(argv, namespace=args)
