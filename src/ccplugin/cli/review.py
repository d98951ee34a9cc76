"""`ccplugin review` and `ccplugin adversarial-review`."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import config, plugins
from ccplugin.ci import providers
from ccplugin.claude import env as claude_env
from ccplugin.cli import common, render
from ccplugin.errors import CCError
from ccplugin.jobs.store import Job, State
from ccplugin.report import select
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.outcome import ReviewOutcome


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    adversarial = name == "adversarial-review"
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="challenge the change's design (read-only)" if adversarial else "read-only review of the change",
    )
    p.add_argument("--scope", choices=config.SCOPES, default="auto")
    add_review_flags(p)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--background", action="store_true", help="run as a detached job; print its id")
    how.add_argument("--wait", action="store_true", help="run in the foreground (the default)")
    p.add_argument("--job-id", help="run the job `ccplugin reserve` reserved (a Codex subagent's background run)")
    add_report_flag(p)
    if adversarial:
        p.add_argument("focus", nargs="*", help="what to challenge, e.g. the retry and rollback design")
    return p


def add_report_flag(p: argparse.ArgumentParser) -> None:
    """``--report FORMAT=PATH``, repeatable: any installed reporter (built-in: markdown, json, junit, sarif)."""
    p.add_argument(
        "--report",
        action="append",
        default=[],
        type=_selected,
        metavar=select.USAGE,
        dest="reports",
        help="also write the outcome as FORMAT to PATH (repeatable; formats: markdown, json, junit, sarif "
        "and any an installed plugin adds)",
    )


def _selected(text: str) -> select.Selected:
    try:
        return select.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_review_flags(p: argparse.ArgumentParser) -> None:
    """The flags every review surface shares (`review`, `adversarial-review`, `ci github`)."""
    p.add_argument("--base", help="diff base ref (branch scope); default: CI hints, origin/HEAD, main, master")
    p.add_argument("--model", help="opus | sonnet | haiku | a full model id (default opus)")
    p.add_argument("--effort", help="low | medium | high | xhigh | max (default by model)")
    p.add_argument(
        "--fail-on",
        choices=(*config.SEVERITIES, "none"),
        help="gate: fail at this severity or worse",
    )
    p.add_argument(
        "--filter-mode",
        choices=config.FILTER_MODES,
        help="which findings may gate (by diff location)",
    )
    p.add_argument("--on-error", choices=config.ON_ERROR, help="exit code policy when the review could not run")
    p.add_argument("--timeout", type=float, help="wall-clock limit for the Claude run, seconds")
    p.add_argument("--max-turns", type=int, help="Claude turn limit")
    p.add_argument("--budget-bytes", type=int, help="inline the diff up to this size, else self-collect")
    p.add_argument("--include", action="append", default=[], metavar="GLOB", help="only review matching paths")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths")
    p.add_argument("--no-cache", action="store_true", help="ignore a cached result for the same diff")


def run_args(args: argparse.Namespace) -> int:
    request = request_of(args, mode=args.command, scope=args.scope, focus=" ".join(getattr(args, "focus", [])))
    reports = tuple(args.reports)
    if reports and (args.job_id or args.background):
        raise CCError(
            "`--report` writes the files when the review ends here",
            "drop `--background`/`--job-id`, or write them later with `ccplugin result <job> --json`",
        )
    if args.job_id:
        return run_reserved(request, args.job_id, as_json=args.json)
    return review(request, background=args.background, as_json=args.json, reports=reports)


def request_of(args: argparse.Namespace, *, mode: str, scope: str, focus: str) -> engine.ReviewRequest:
    """The review request the shared flags (:func:`add_review_flags`) describe, for the current directory."""
    return engine.ReviewRequest(
        cwd=os.getcwd(),
        mode=mode,
        scope=scope,
        base=args.base,
        focus=focus,
        model=args.model,
        effort=args.effort,
        fail_on=args.fail_on,
        filter_mode=args.filter_mode,
        on_error=args.on_error,
        timeout=args.timeout,
        max_turns=args.max_turns,
        budget_bytes=args.budget_bytes,
        use_cache=not args.no_cache,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        base_hint=providers.base_hint(os.environ),  # the CI's base branch, for a branch review with no --base
    )


def review(
    request: engine.ReviewRequest,
    *,
    background: bool = False,
    as_json: bool = False,
    reports: tuple[select.Selected, ...] = (),
) -> int:
    """Submit a review job; in the foreground, run it, write the reports and exit with the gate's code."""
    claude_env.check_sandbox_network(os.environ)  # inside Codex without network: say so first
    hooks = plugins.host()
    hooks.check_reports(reports)  # an unknown format or an unwritable path is refused before anything runs
    prep = engine.prepare(request, hooks)
    store = common.open_store()
    job = common.create_review_job(store, prep, State.QUEUED if background else State.RUNNING)
    if background:
        return common.detach(store, job, as_json)
    job = common.run_here(store, job, review_job.executor(prep), prep.settings.keep_jobs)
    write_reports(job, hooks, reports)
    return render.show(job, as_json)


def write_reports(job: Job, hooks: plugins.Plugins, reports: tuple[select.Selected, ...]) -> None:
    """Each ``--report``, from the job's outcome (a job without one has no report: :func:`render.show` says why)."""
    if not reports or job.result is None:
        return
    outcome = render.stored(job, ReviewOutcome.from_dict)
    for r in reports:
        hooks.write(outcome, r.fmt, r.path)


def run_reserved(request: engine.ReviewRequest, job_id: str, *, as_json: bool = False) -> int:
    """Run the review job a Codex session reserved (its subagent calls this with ``--job-id``)."""
    claude_env.check_sandbox_network(os.environ)
    label = "adversarial review" if request.mode == "adversarial-review" else "review"
    return common.run_reserved(job_id, request.mode, label, lambda _store: _reservable(request), as_json)


def _reservable(request: engine.ReviewRequest) -> common.Reservable:
    prep = engine.prepare(request)
    return common.Reservable(
        workspace=str(prep.target.repo_root),
        title=prep.title,
        request=request.to_dict(),
        model=prep.model,
        effort=prep.effort,
        executor=review_job.executor(prep),
        keep=prep.settings.keep_jobs,
    )
