"""What starting the command line costs: ``ccplugin status`` against a bare interpreter, in one run.

``status`` is what the Codex skills and users run most, and it needs the store and the job list only: the
modules of the other commands (the engine, the reporters, the ci and demo code) are imported only by the
commands that use them. This prints the median wall clock of ``python -m ccplugin status --json`` in an empty
repository with an empty store, interleaved with ``python -c pass`` (``RUNS`` each), and, apart from process
noise, what importing each command's module costs (``python -X importtime``, cumulative). No target: the
figures are what the lazy imports of ``cli/render.py``, ``cli/ci.py`` and ``cli/demo.py`` are measured by.

Run: ``.venv/bin/python bench/bench_cli.py``.
"""

from __future__ import annotations

import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import GIT_ENV

import ccplugin

RUNS = 20
MODULES = ("ccplugin.cli.status", "ccplugin.cli.review", "ccplugin.cli.ci", "ccplugin.cli.demo", "ccplugin.cli.render")


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed: {done.returncode} {done.stderr!r}")
    return time.perf_counter() - began


def import_ms(module: str, env: dict[str, str]) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter (bytecode cached), in ms."""
    code = f"import {module}"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True)
    line = next(x for x in reversed(done.stderr.splitlines()) if re.search(rf"\|\s+{re.escape(module)}$", x))
    return int(line.split("|")[1]) / 1000


def main() -> int:
    compileall.compile_dir(Path(ccplugin.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | GIT_ENV
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
        env["CCPLUGIN_HOME"] = str(Path(tmp) / "state")
        status = [sys.executable, "-m", "ccplugin", "status", "--json"]
        bare = [sys.executable, "-c", "pass"]
        timed(status, repo, env)  # creates the store
        samples: dict[str, list[float]] = {"bare": [], "status": []}
        for _ in range(RUNS):
            samples["bare"].append(timed(bare, repo, env))
            samples["status"].append(timed(status, repo, env))
    med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    print(f"python -c pass:                 {med['bare']:7.1f} ms (median of {RUNS})")
    print(f"ccplugin status --json:         {med['status']:7.1f} ms ({med['status'] / med['bare']:.2f}x)")
    for module in MODULES:
        print(f"  import {module:<22} {statistics.median(import_ms(module, env) for _ in range(5)):6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
