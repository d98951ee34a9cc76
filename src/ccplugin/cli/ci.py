"""`ccplugin ci github` (review a pull request in GitHub Actions) and `ccplugin ci merge` (combine shards)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin.cli import review
from ccplugin.cli.parser import Parser, add_json
from ccplugin.errors import CCError


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="GitHub Actions: review a pull request; merge shard results")
    targets = p.add_subparsers(dest="ci_command", metavar="{github,merge}", parser_class=Parser)
    gh = targets.add_parser("github", help="review the pull request of this workflow run and report it on GitHub")
    gh.add_argument("--mode", choices=("review", "adversarial-review"), default="review")
    gh.add_argument("--focus", default="", help="what an adversarial review should challenge")
    review.add_review_flags(gh)
    gh.add_argument("--paths", nargs="+", action="extend", dest="include", metavar="GLOB", help="only these paths")
    gh.add_argument("--exclude-paths", nargs="+", action="extend", dest="exclude", metavar="GLOB", help="skip these")
    gh.add_argument(
        "--post-review",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="post in-hunk review comments and the summary comment (default on)",
    )
    gh.add_argument("--max-comments", type=_count, default=20, help="in-line comments per run at most (default 20)")
    gh.add_argument(
        "--allow-pull-request-target",
        action="store_true",
        help="review a fork's code under pull_request_target anyway (it then runs beside your secrets)",
    )
    gh.add_argument(
        "--github-login",
        default="github-actions[bot]",
        metavar="LOGIN",
        help="who the token posts as (default github-actions[bot]; a GitHub App token: <app-slug>[bot]); "
        "only that author's comments count as already reported or as the summary comment",
    )
    gh.add_argument("--event", metavar="PATH", help="a pull_request event file to use instead of $GITHUB_EVENT_PATH")
    gh.add_argument(
        "--rescue-on-failure",
        action="store_true",
        help="on a FAIL gate: propose a fix from a temporary git worktree (cc-rescue.patch, cc-rescue.md)",
    )
    gh.add_argument("--rescue-dir", metavar="DIR", help="where the rescue files go (default: $GITHUB_WORKSPACE)")
    _add_files(gh)
    merge = targets.add_parser("merge", help="combine `ci github --result-json` files of shards into one gate")
    merge.add_argument("results", nargs="+", metavar="RESULT", help="shard result files, or folders holding them")
    merge.add_argument("--expect", type=_count, help="how many shard results there must be (missing ones: ERROR)")
    _add_files(merge)
    for child in (gh, merge):
        add_json(child)
    return p


def _add_files(p: argparse.ArgumentParser) -> None:
    p.add_argument("--junit", metavar="PATH", help="write the findings as JUnit XML")
    p.add_argument("--sarif", metavar="PATH", help="write the findings as SARIF 2.1.0")
    p.add_argument("--result-json", metavar="PATH", help="write the outcome for `ccplugin ci merge`")
    p.add_argument("--label", default="", help="name of this shard (titles, summary comment marker)")
    review.add_report_flag(p)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def run_args(args: argparse.Namespace) -> int:
    from ccplugin.ci import merge, providers, runner  # imported only when a ci command runs

    if args.ci_command not in ("github", "merge"):
        raise CCError("`ccplugin ci` needs a target", "run `ccplugin ci github` or `ccplugin ci merge`")
    publish = runner.Publish(args.junit, args.sarif, args.result_json, args.label, args.json, tuple(args.reports))
    if args.ci_command == "merge":  # shards of GitHub runs
        return merge.run(providers.get("github"), args.results, publish, args.expect, os.environ)
    options = runner.Options(
        request=review.request_of(args, mode=args.mode, scope="branch", focus=args.focus),
        publish=publish,
        post_review=args.post_review,
        max_comments=args.max_comments,
        allow_pull_request_target=args.allow_pull_request_target,
        event_path=args.event,
        rescue_on_failure=args.rescue_on_failure,
        rescue_dir=args.rescue_dir,
        github_login=args.github_login,
    )
    return runner.run(providers.get(args.ci_command), options, os.environ)
