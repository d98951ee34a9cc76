"""What ``pytest --cc-review`` adds to a tiny suite, measured side by side in one run.

Run: ``.venv/bin/python bench/bench_pytest_plugin.py [--rounds R]``. Prints medians and best
times (wall clock of a whole ``python -m pytest`` process) for:

1. ``pytest --cc-review`` on an unchanged diff (a cache hit: no Claude call) vs plain ``pytest``
   on the same tiny suite (target: at most +100 ms, 0 Claude calls);
2. the plugin installed but disabled vs not loaded (``-p no:ccreview``) (target: at most +20 ms).

The review's one real Claude call happens before timing starts (the real claude CLI against the
offline fake API); the fake's request count proves that the timed runs made none. Both sides pass
``-p no:hypothesispytest -p no:cacheprovider``: our dev environment's hypothesis plugin imports
all of hypothesis at every terminal summary, which would only add the same noise to both sides.
``PYTHONDONTWRITEBYTECODE`` is dropped so that imports read cached bytecode, as in a normal
install (the warm-up runs write it). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import GIT_ENV

from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env, reply, structured_output
from helpers import finding, review_output

QUIET = ("-q", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def make_suite(root: Path) -> None:
    """Ten trivial tests, committed; then a one-line change left in the working tree."""
    root.mkdir()
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    tests = "".join(f"def test_{i}():\n    assert add({i}, 1) == {i + 1}\n\n\n" for i in range(10))
    (root / "test_calc.py").write_text("from calc import add\n\n\n" + tests)
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    (root / "calc.py").write_text("def add(a, b):\n    return a + b  # checked\n")


def pytest_run(root: Path, env: Mapping[str, str], args: Sequence[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *QUIET, *args], cwd=root, env=dict(env), capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} exited {done.returncode}:\n{done.stdout.decode()[-2000:]}")
    return elapsed


def timed_pair(
    root: Path, env: Mapping[str, str], ours: Sequence[str], theirs: Sequence[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Alternate the two so that load on the machine falls on both alike."""
    pytest_run(root, env, ours), pytest_run(root, env, theirs)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        times[0].append(pytest_run(root, env, ours))
        times[1].append(pytest_run(root, env, theirs))
    return times


def show(title: str, names: tuple[str, str], times: tuple[list[float], list[float]], target_ms: float) -> None:
    ours, theirs = (statistics.median(t) * 1000 for t in times)
    best = (min(times[0]) * 1000, min(times[1]) * 1000)
    print(f"== {title}")
    print(f"   {names[0]:<34} median {ours:8.1f} ms   best {best[0]:8.1f} ms")
    print(f"   {names[1]:<34} median {theirs:8.1f} ms   best {best[1]:8.1f} ms")
    print(f"   added: {ours - theirs:+.1f} ms (median), ratio {ours / theirs:.2f}x; target <= +{target_ms:.0f} ms")


def import_ms(module: str, rounds: int) -> float:
    """Median cumulative import time of ``module`` after pytest (``python -X importtime``)."""
    code = f"import pytest; import {module}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    for _ in range(rounds + 1):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True).stderr
        line = next(x for x in err.decode().splitlines() if x.rstrip().endswith(f"| {module}"))
        samples.append(int(line.split("|")[1]) / 1000)
    return statistics.median(samples[1:])  # the first run may write bytecode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    if find_claude_bin() is None:
        print("claude CLI not found (run `make setup`): skipping")
        return 0
    reviewed = review_output(finding("calc.py", 2, "low", "Comment adds nothing"))
    with (
        tempfile.TemporaryDirectory(prefix="bench-pytest-") as tmp,
        FakeAnthropic([reply(structured_output(reviewed), tool_offered="StructuredOutput")]) as fake,
    ):
        root = Path(tmp) / "suite"
        make_suite(root)
        env = offline_claude_env(fake, Path(tmp) / "offline")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: imports read cached bytecode
        review = ("--cc-review", "--cc-fail-on", "high")
        pytest_run(root, env, review)  # the one real review: fills the cache
        warm = len(fake.message_requests())
        times = timed_pair(root, env, review, (), args.rounds)
        show("cache-hit review vs plain pytest (10 tests)", ("pytest --cc-review (cache hit)", "pytest"), times, 100)
        print(f"   Claude calls during the timed runs: {len(fake.message_requests()) - warm} (warm-up: {warm})")
        times = timed_pair(root, env, (), ("-p", "no:ccreview"), args.rounds)
        show(
            "plugin installed but disabled vs not loaded",
            ("pytest (plugin disabled)", "pytest -p no:ccreview"),
            times,
            20,
        )
    print("== import cost, apart from process noise (python -X importtime, after pytest)")
    modules = (
        ("pytest_ccreview.plugin", "every pytest start"),
        ("pytest_ccreview.session", "--cc-review, an xdist worker"),
        ("pytest_ccreview.controller", "--cc-review, the controller"),
    )
    for module, when in modules:
        print(f"   {module:<26} ({when}): {import_ms(module, args.rounds):6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
