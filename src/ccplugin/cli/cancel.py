"""`ccplugin cancel JOB`: stop a queued or running job (its process group, identity-checked)."""

from __future__ import annotations

import argparse
from typing import Any

from ccplugin import output
from ccplugin.cli import common
from ccplugin.cli.status import summary
from ccplugin.errors import Exit
from ccplugin.jobs import lifecycle
from ccplugin.jobs.store import State


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="cancel a queued or running job")
    p.add_argument("job", help="job id (or a unique prefix)")
    return p


def run_args(args: argparse.Namespace) -> int:
    return cancel(job_ref=args.job, as_json=args.json)


def cancel(*, job_ref: str, as_json: bool) -> int:
    store = common.open_store()
    job = lifecycle.cancel(store, store.find(job_ref, common.here()).id)
    if as_json:
        output.json_out(summary(job))
    elif job.state is State.CANCELLING:  # its worker, in another PID namespace, has not stopped yet
        output.line(
            f"Asked {job.id} ({job.title}) to stop: its worker runs outside this sandbox and stops itself"
            f" (see `ccplugin status {job.id}`). State: {job.state.value}."
        )
    else:
        output.line(f"Cancelled {job.id} ({job.title}). State: {job.state.value}.")
    return Exit.OK
