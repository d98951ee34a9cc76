"""`ccplugin worker JOB` (internal): the detached process that runs a background job."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import work
from ccplugin.cli import common
from ccplugin.errors import Exit
from ccplugin.jobs import lifecycle, runner


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=argparse.SUPPRESS)
    p.add_argument("job")
    return p


def run_args(args: argparse.Namespace) -> int:
    return worker(job_id=args.job)


def worker(*, job_id: str) -> int:
    """Claim the queued job (a job cancelled while queued is never started) and run it."""
    store = common.open_store()
    job = lifecycle.claim(store, job_id, runner.own_identity())
    if job is None:
        return Exit.OK
    runner.run(store, job, work.executor_for(job.kind), os.environ)
    return Exit.OK
