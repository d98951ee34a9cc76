"""`ccplugin review` and `ccplugin adversarial-review`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ccplugin import git, paths, plugins
from ccplugin.ci import providers
from ccplugin.claude import env as claude_env
from ccplugin.cli import apply, common, render
from ccplugin.errors import CCError
from ccplugin.jobs import kinds, service
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.jobs.store import Job, State
from ccplugin.report import select
from ccplugin.review import engine, options
from ccplugin.review import job as review_job
from ccplugin.review.options import Surface
from ccplugin.review.outcome import ReviewOutcome


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    adversarial = name == ReviewMode.ADVERSARIAL
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="challenge the change's design (read-only)" if adversarial else "read-only review of the change",
    )
    options.add_arguments(p, Surface.REVIEW)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--background", action="store_true", help="run as a detached job; print its id")
    how.add_argument("--wait", action="store_true", help="run in the foreground (the default)")
    p.add_argument("--job-id", help="run the job `ccplugin reserve` reserved (a Codex subagent's background run)")
    p.add_argument(
        "--apply",
        metavar="FINGERPRINT",
        help="apply that finding's suggested replacement to the work tree (no review is run)",
    )
    p.add_argument("--job", metavar="JOB", help="with --apply: the review job (default: this workspace's last)")
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


def run_args(args: argparse.Namespace) -> int:
    if args.apply is not None or args.job is not None:
        if args.apply is None:
            raise CCError("`--job` picks the review `--apply` reads", "pass `--apply FINGERPRINT` with it")
        return apply.run(args.apply, args.job)
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
    """The review request the table's flags (:mod:`ccplugin.review.options`) describe, for the current directory."""
    return engine.ReviewRequest(
        cwd=os.getcwd(),
        mode=ReviewMode(mode),
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
        max_cost_usd=args.max_cost_usd,
        max_pr_cost_usd=getattr(args, "max_pr_cost_usd", None),  # a flag of `ci github` only
        budget_bytes=args.budget_bytes,
        use_cache=args.cache,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        base_hint=providers.base_hint(os.environ),  # the CI's base branch, for a branch review with no --base
        since=_since(args.since, mode) if getattr(args, "since", None) else None,  # `review` only
    )


def _since(ref: str, mode: str) -> str:
    """``--since``: a commit of this repository, or ``last`` (the head of this workspace's last completed review)."""
    root = git.toplevel(Path(os.getcwd()))
    if ref.strip() != "last":
        sha = git.commit_of(root, ref.strip())
        if sha is None:
            raise CCError(f"`--since {ref}` is not a commit of this repository", "pass a commit, a branch, or `last`")
        return sha
    with common.open_store_to_read() as store:
        jobs = store.list(paths.workspace(str(root)), states=[State.COMPLETED])
    for job in jobs:
        target = (job.result or {}).get("target") or {}
        if job.kind == mode and (job.result or {}).get("review") and target.get("scope") == "branch":
            return str(target.get("head") or "")
    raise CCError(
        "`--since last`: this workspace has no completed branch review to start from",
        "run `ccplugin review --scope branch` once, or pass a commit: `--since <ref>`",
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
    spec = review_job.spec(engine.prepare(request, hooks))
    store = common.open_store()
    if background:
        return common.submitted(store, spec, background=True, as_json=as_json)
    job = common.submit(store, spec)
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
    label = kinds.of_mode(request.mode).label
    return common.run_reserved(job_id, request.mode, label, lambda _store: _reservable(request), as_json)


def _reservable(request: engine.ReviewRequest) -> service.Spec:
    return review_job.spec(engine.prepare(request))
