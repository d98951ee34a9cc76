"""`ccplugin result [JOB]`: open a finished job (the latest of this workspace by default)."""

from __future__ import annotations

import argparse
from typing import Any

from ccplugin.cli import common
from ccplugin.cli.render import show
from ccplugin.errors import CCError
from ccplugin.jobs.store import TERMINAL, Job, Store


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="show a finished job's result")
    p.add_argument("job", nargs="?", help="job id (or a unique prefix); default: the latest finished")
    return p


def run_args(args: argparse.Namespace) -> int:
    return result(job_ref=args.job, as_json=args.json)


def result(*, job_ref: str | None, as_json: bool) -> int:
    """Print the job's result; exits with the job's own code (a review's gate, a rescue's outcome)."""
    store = common.open_store_to_read()
    job = store.find(job_ref, common.here()) if job_ref else latest_finished(store)
    if job.state not in TERMINAL:
        raise CCError(
            f"job {job.id} is still {job.state.value}",
            f"wait with `ccplugin status {job.id} --wait`",
        )
    store.mark_viewed(job.id)
    return show(job, as_json)


def latest_finished(store: Store) -> Job:
    for job in store.list(common.here(), owner=common.owner(), limit=50):
        if job.state in TERMINAL:
            return job
    raise CCError(
        "no finished Claude Code jobs for this workspace yet", "start one with `ccplugin review` or `ccplugin rescue`"
    )
