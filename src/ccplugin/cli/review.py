"""`ccplugin review` and `ccplugin adversarial-review`."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import config, output, plugins
from ccplugin.cli import common
from ccplugin.errors import CCError, Exit
from ccplugin.jobs import background, runner
from ccplugin.jobs.store import Job, State, Store
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.outcome import ReviewOutcome


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    adversarial = name == "adversarial-review"
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="challenge the change's design (read-only)" if adversarial else "read-only review of the change",
    )
    p.add_argument("--base", help="diff base ref (branch scope); default: CI hints, origin/HEAD, main, master")
    p.add_argument("--scope", choices=config.SCOPES, default="auto")
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
    how = p.add_mutually_exclusive_group()
    how.add_argument("--background", action="store_true", help="run as a detached job; print its id")
    how.add_argument("--wait", action="store_true", help="run in the foreground (the default)")
    if adversarial:
        p.add_argument("focus", nargs="*", help="what to challenge, e.g. the retry and rollback design")
    return p


def run_args(args: argparse.Namespace) -> int:
    request = engine.ReviewRequest(
        cwd=os.getcwd(),
        mode=args.command,
        scope=args.scope,
        base=args.base,
        focus=" ".join(getattr(args, "focus", [])),
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
    )
    return review(request, background=args.background, as_json=args.json)


def review(request: engine.ReviewRequest, *, background: bool = False, as_json: bool = False) -> int:
    """Submit a review job; in the foreground, run it and exit with the gate's code."""
    prep = engine.prepare(request)
    store = common.open_store()
    job = store.create(
        kind=request.mode,
        workspace=str(prep.target.repo_root),
        owner=common.owner(),
        title=prep.title,
        request=request.to_dict(),
        model=prep.model,
        effort=prep.effort,
        state=State.QUEUED if background else State.RUNNING,
    )
    if background:
        return _detach(store, job, as_json)
    job = runner.run(store, job, review_job.executor(prep), os.environ, output.progress, prep.settings.keep_jobs)
    store.mark_viewed(job.id)
    return show(job, as_json)


def _detach(store: Store, job: Job, as_json: bool) -> int:
    ident = background.start_worker(job.id, os.environ, store.log_path(job.id))
    store.update(job.id, pid=ident.pid, pid_start=ident.start)
    if as_json:
        output.json_out({"job_id": job.id, "state": "queued", "kind": job.kind, "title": job.title})
    else:
        output.line(f"{job.title}: started in the background as {job.id}.")
        output.line(f"Check progress with `ccplugin status {job.id}`; open it with `ccplugin result {job.id}`.")
    return Exit.OK


def show(job: Job, as_json: bool) -> int:
    """Print a finished review job and return its exit code (the gate's, or why it has none)."""
    if job.result is None:
        raise CCError(
            f"job {job.id} {job.state.value} without a result: {job.error or 'no detail'}",
            "see `ccplugin status " + job.id + "`",
            Exit.NOT_REVIEWED,
        )
    outcome = ReviewOutcome.from_dict(job.result)
    output.write(plugins.render(outcome, "json" if as_json else "markdown") + ("\n" if as_json else ""))
    if job.state is State.CANCELLED:
        return Exit.INTERRUPTED
    return outcome.gate.exit_code
