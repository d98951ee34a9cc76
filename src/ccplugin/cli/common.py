"""What every command resolves the same way: the store, the workspace, the owner; how a job's start is shown."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ccplugin import output, paths
from ccplugin.cli import render
from ccplugin.errors import Exit
from ccplugin.jobs import reservations, service
from ccplugin.jobs.store import Job, Store, Unwritable


def open_store() -> Store:
    return service.open_store()


def open_store_to_read() -> Store:
    """The store for a command that only reads it: read-only where this process may not write it
    (inside Codex's sandbox, whose writable folders leave out ``~/.local/state``)."""
    try:
        return open_store()
    except Unwritable:
        return Store(Path(paths.state_root()), readonly=True)


def here() -> str:
    return paths.workspace(os.getcwd())


def owner() -> str | None:
    return paths.owner_session()


def submit(store: Store, spec: service.Spec, *, background: bool = False) -> Job:
    """Submit a job owned by this session: run in the foreground (progress on stderr), or detached."""
    return service.submit(store, spec, owner(), background=background, env=os.environ, echo=output.progress)


def submitted(store: Store, spec: service.Spec, *, background: bool, as_json: bool) -> int:
    """Submit a job and show it: how to follow a detached one, else the finished job's outcome."""
    job = submit(store, spec, background=background)
    return detached(job, as_json) if background else render.show(job, as_json)


def detached(job: Job, as_json: bool) -> int:
    """Say how to follow a job handed to a detached worker."""
    if as_json:
        output.json_out({"job_id": job.id, "state": "queued", "kind": job.kind, "title": job.title})
    else:
        output.line(f"{job.title}: started in the background as {job.id}.")
        output.line(f"Check progress with `ccplugin status {job.id}`; open it with `ccplugin result {job.id}`.")
    return Exit.OK


def run_reserved(job_id: str, kind: str, label: str, prepare: Callable[[Store], service.Spec], as_json: bool) -> int:
    """Run, in the foreground, the job a Codex session reserved; it stays unread for its owner."""
    store = open_store()
    job = reservations.run_reserved(store, job_id, kind, owner(), prepare, os.environ, output.progress)
    code = render.show(job, as_json)
    if not as_json:  # the line the subagent hands back to its parent
        output.line(f"\nBackground Claude Code {label} finished. Open it with $cc:result {job.id}.")
    return code
