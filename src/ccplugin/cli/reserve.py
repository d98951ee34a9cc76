"""`ccplugin reserve --kind KIND`: reserve a job id that a Codex subagent then runs.

The `$cc:` skills' background flow: the parent Codex turn reserves a job (owned by its session
through ``CODEX_SESSION_ID``), a Codex subagent runs ``ccplugin <kind> --job-id <id> …`` in the
foreground, and the user opens it with ``$cc:result <id>``. A reservation nobody claims is failed
by the store after a while.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ccplugin import output
from ccplugin.cli import common
from ccplugin.errors import Exit
from ccplugin.jobs import kinds, reservations


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="reserve a job id for a Codex subagent to run")
    p.add_argument(
        "--kind", choices=[k.value for k in kinds.RESERVABLE], required=True, help="the command that will run it"
    )
    return p


def run_args(args: argparse.Namespace) -> int:
    return reserve(kind=args.kind, as_json=args.json)


def reserve(*, kind: str, as_json: bool) -> int:
    store = common.open_store()
    job = reservations.reserve(store, kind, common.here(), common.owner())
    if as_json:
        output.json_out(
            {
                "job_id": job.id,
                "kind": job.kind,
                "workspace": job.workspace,
                "owner_session": job.owner,
                "parent_thread_id": os.environ.get("CODEX_THREAD_ID"),
            }
        )
    else:
        output.line(f"Reserved {job.id} for a {kind} run: `ccplugin {kind} --job-id {job.id} …`")
    return Exit.OK
