"""What `ccplugin status` costs at 100 jobs and at 10,000 jobs, side by side in one run.

status = open the store + list the workspace's newest 20 jobs (reaping live ones first).
Both runs have the same 2 live jobs (live jobs scale with concurrency, not history).
The store has indexes for exactly that, so the cost should not grow with history:
target ratio <= 1.5x. Run: ``.venv/bin/python bench/bench_status.py [--check]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ccplugin.jobs.ids import new_job_id
from ccplugin.jobs.store import COLUMNS, State, Store

SMALL, LARGE, SHOWN, RUNS, LIVE = 100, 10_000, 20, 300, 2
TARGET = 1.5
RESULT = {"verdict": "needs-attention", "findings": [{"title": "x" * 80, "body": "y" * 400}] * 4}


def add_jobs(store: Store, workspace: str, count: int) -> None:
    """``count`` finished reviews with realistic payloads, through the store's API."""
    for i in range(count):
        job = store.create(
            kind="review",
            workspace=workspace,
            owner=None,
            title=f"Review working tree #{i}",
            request={"scope": "auto", "focus": "z" * 200},
            model="opus",
            effort=None,
        )
        store.transition(job.id, [State.QUEUED], State.FAILED, result=RESULT, error="x")


def add_running(store: Store, workspace: str, count: int) -> None:
    """Live jobs whose worker (this process) is alive, so listing reaps-checks them."""
    for _ in range(count):
        store.create(
            kind="review",
            workspace=workspace,
            owner=None,
            title="Running review",
            request={},
            model="opus",
            effort=None,
            state=State.RUNNING,
        )


def clone_history(root: Path, template: str, count: int) -> None:
    """``count`` older copies of one finished job, in one transaction (the API would take
    a transaction per job; this only makes the history long)."""
    rest = [c for c in COLUMNS if c not in ("id", "created_at")]
    sql = (
        f"INSERT INTO jobs (id, created_at, {', '.join(rest)})"
        f" SELECT ?, created_at - ?, {', '.join(rest)} FROM jobs WHERE id = ?"
    )
    ids: set[str] = set()
    while len(ids) < count:  # thousands per millisecond: the random part may repeat
        ids.add(new_job_id("review"))
    rows = [(job_id, 60.0 * (i + 1), template) for i, job_id in enumerate(sorted(ids))]
    with sqlite3.connect(root / "jobs.db") as db:
        db.executemany(sql, rows)


def time_status(root: Path, workspace: str) -> float:
    """Median seconds of one status call (fresh store handle each time, like the CLI)."""
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        with Store(root) as store:
            jobs = store.list(workspace, limit=SHOWN)
        samples.append(time.perf_counter() - began)
        assert len(jobs) == SHOWN
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET}x")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root, workspace = Path(tmp) / "state", tmp
        with Store(root) as store:
            add_jobs(store, workspace, SMALL - LIVE)
            add_running(store, workspace, LIVE)
            template = store.list(workspace, states=[State.FAILED], limit=1)[0].id
        small = time_status(root, workspace)
        clone_history(root, template, LARGE - SMALL)
        with Store(root) as store:
            assert len(store.list(workspace)) == LARGE
        large = time_status(root, workspace)
    ratio = large / small
    print(f"status at {SMALL:>6} jobs: {small * 1000:7.3f} ms (median of {RUNS})")
    print(f"status at {LARGE:>6} jobs: {large * 1000:7.3f} ms (median of {RUNS})")
    print(f"ratio {LARGE}/{SMALL}: {ratio:.2f}x (target <= {TARGET}x)")
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
