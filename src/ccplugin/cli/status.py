"""`ccplugin status [JOB] [--all] [--wait]`: the jobs of this workspace, or one job."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ccplugin import output
from ccplugin.cli import common
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.store import LIVE, TERMINAL, Job, Store

WAIT_TIMED_OUT = 124
_LIST_LIMIT = 20


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="list jobs, or show one job")
    p.add_argument("job", nargs="?", help="job id (or a unique prefix)")
    p.add_argument("--all", action="store_true", help="every job of this workspace, not only this session's")
    p.add_argument("--wait", action="store_true", help="block until the job finishes")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most (default 600)")
    return p


def run_args(args: argparse.Namespace) -> int:
    return status(job_ref=args.job, all_jobs=args.all, wait=args.wait, timeout=args.timeout, as_json=args.json)


def status(*, job_ref: str | None, all_jobs: bool, wait: bool, timeout: float, as_json: bool) -> int:
    store = common.open_store_to_read()
    if job_ref is None:
        if wait:
            raise CCError("--wait needs a job id", "run `ccplugin status JOB --wait`")
        return _overview(store, all_jobs, as_json)
    job = store.find(job_ref, common.here())
    timed_out = False
    if wait:
        job, timed_out = wait_for(store, job, timeout)
    _print_job(job, as_json, timed_out)
    return WAIT_TIMED_OUT if timed_out else Exit.OK


def wait_for(store: Store, job: Job, timeout: float) -> tuple[Job, bool]:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while job.state not in TERMINAL:
        if time.monotonic() >= deadline:
            return job, True
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
        job = store.get(job.id)
    return job, False


def _overview(store: Store, all_jobs: bool, as_json: bool) -> int:
    ws = common.here()
    owner = None if all_jobs else common.owner()
    live = store.list(ws, owner=owner, states=LIVE)
    recent = store.list(ws, owner=owner, limit=_LIST_LIMIT)
    jobs = live + [j for j in recent if j.state not in LIVE]
    if as_json:
        output.json_out({"workspace": ws, "owner": owner, "jobs": [summary(j) for j in jobs]})
        return Exit.OK
    if not jobs:
        output.line(f"No Claude Code jobs recorded for {ws} yet.")
        return Exit.OK
    output.line("| Job | Kind | State | Gate | Phase | Elapsed | Summary |")
    output.line("|---|---|---|---|---|---|---|")
    for j in jobs:
        cells = (j.id, j.kind, j.state.value, gate_of(j) or "", j.phase or "", _duration(j.elapsed), j.title)
        output.line("| " + " | ".join(_cell(c) for c in cells) + " |")
    return Exit.OK


def summary(job: Job) -> dict[str, Any]:
    """A job as status shows it: no request, no result payload."""
    d = job.to_dict()
    for heavy in ("request", "result"):
        d.pop(heavy, None)
    d["elapsed_s"] = round(job.elapsed, 1)
    d["gate"] = gate_of(job)
    d["unread"] = job.unread
    return d


def gate_of(job: Job) -> str | None:
    """A finished review's gate status (pass, fail, error, nothing, off); None for other jobs."""
    gate = (job.result or {}).get("gate")
    return str(gate.get("status")) if isinstance(gate, dict) else None


def _print_job(job: Job, as_json: bool, timed_out: bool) -> None:
    if as_json:
        output.json_out({**summary(job), "wait_timed_out": timed_out})
        return
    rows = [
        ("Job", job.id),
        ("Kind", job.kind),
        ("State", job.state.value),
        ("Phase", job.phase or ""),
        ("Gate", gate_of(job) or "-"),
        ("Title", job.title),
        ("Model", f"{job.model}" + (f" · effort {job.effort}" if job.effort else "")),
        ("Elapsed", _duration(job.elapsed)),
    ]
    if job.error:
        rows.append(("Error", job.error))
    if job.claude_session:
        rows.append(("Claude session", job.claude_session))
    rows.append(
        (
            "Next",
            f"`ccplugin result {job.id}`" if job.state in TERMINAL else f"`ccplugin cancel {job.id}`",
        )
    )
    for k, v in rows:
        output.line(f"{k}: {v}")
    if timed_out:
        output.line(f"Still {job.state.value} after waiting; run `ccplugin status {job.id} --wait` again.")


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 60}m {s % 60}s" if s >= 60 else f"{s}s"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
