"""What Codex's UserPromptSubmit hook costs, against starting a bare interpreter, in one run.

The hook runs on every prompt, so it must cost little more than ``python -c pass``. This runs the
plugin's real launcher (``bin/ccplugin hook UserPromptSubmit``, a ``/bin/sh`` script that execs
this interpreter into :mod:`ccplugin.codex.fasthook`) with a store of 100 jobs (the session's
are all seen already, as after the first prompt), interleaved with ``python -c pass``; medians of
``RUNS`` each. Target: hook <= 1.5x bare start.

Also reported (no target): the full check, taken when the store changed since the session last
looked (it opens the store and lists the session's finished jobs).

Run: ``.venv/bin/python bench/bench_hook.py [--check]``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ccplugin
from ccplugin.codex import materialise
from ccplugin.codex.fasthook import session_path
from ccplugin.codex.layout import Layout
from ccplugin.jobs.store import State, Store

JOBS, RUNS, TARGET = 100, 40, 1.5
SESSION = "01a21363-dc49-71e0-97af-36d260c2fc61"


def fill_store(root: Path, workspace: str) -> None:
    """100 finished reviews, a third of them this session's, all already viewed."""
    with Store(root) as store:
        for i in range(JOBS):
            job = store.create(
                kind="review",
                workspace=workspace,
                owner=SESSION if i % 3 == 0 else f"other-{i % 5}",
                title=f"Review of working tree diff #{i}",
                request={"scope": "auto"},
                model="opus",
                effort=None,
            )
            store.transition(job.id, [State.QUEUED], State.RUNNING)
            store.transition(job.id, [State.RUNNING], State.COMPLETED, result={"verdict": "approve"})
            store.mark_viewed(job.id)


def timed(argv: list[str], stdin: bytes, env: dict[str, str], before: object = None) -> float:
    if callable(before):
        before()
    began = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0 or done.stdout or done.stderr:
        raise SystemExit(f"unexpected output from {argv[:2]}: {done.returncode} {done.stdout!r} {done.stderr!r}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET}x")
    args = parser.parse_args(argv)
    # an installed package has its bytecode compiled; a checkout run with PYTHONDONTWRITEBYTECODE may not
    compileall.compile_dir(Path(ccplugin.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        root, workspace = Path(tmp) / "state", Path(tmp) / "work"
        workspace.mkdir()
        fill_store(root, str(workspace))
        layout = Layout(Path(tmp) / "codex-home")
        materialise.write_tree(layout.marketplace, materialise.build(layout, sys.executable))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"CCPLUGIN_HOME": str(root)}
        payload = {"session_id": SESSION, "turn_id": "t1", "cwd": str(workspace), "hook_event_name": "UserPromptSubmit"}
        stdin = json.dumps(payload | {"prompt": "add a test for the parser", "model": "gpt-5.5"}).encode()
        hook = [str(layout.launcher), "hook", "UserPromptSubmit"]
        bare = [sys.executable, "-c", "pass"]
        seen = Path(session_path(str(root), SESSION, ".seen"))
        timed(hook, stdin, env)  # the first prompt of the session: the full check leaves the stamp
        samples: dict[str, list[float]] = {"bare": [], "hook": [], "full": []}
        for _ in range(RUNS):
            samples["bare"].append(timed(bare, b"", env))
            samples["hook"].append(timed(hook, stdin, env))
            samples["full"].append(timed(hook, stdin, env, before=lambda: seen.unlink(missing_ok=True)))
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratio = med["hook"] / med["bare"]
    full = med["full"] / med["bare"]
    print(f"python -c pass:                      {med['bare'] * 1000:7.2f} ms (median of {RUNS})")
    print(f"UserPromptSubmit hook, {JOBS} jobs:      {med['hook'] * 1000:7.2f} ms ({ratio:.2f}x, target <= {TARGET}x)")
    print(f"  after a store change (full check): {med['full'] * 1000:7.2f} ms ({full:.2f}x, no target)")
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
