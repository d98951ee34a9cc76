"""Time ``collect()`` against a raw ``git diff`` of the same 5,000-file change.

Run: ``.venv/bin/python bench/bench_diff.py [--files N] [--rounds R]``. Prints the best and
median times of each and their ratio (target: collect ≤ 1.3 × git diff), for a committed
branch change and for the same change left in the working tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import GIT_ENV

from ccplugin.review.collect import collect
from ccplugin.review.target import Target, resolve_target


def git(root: Path, *args: str) -> bytes:
    env = {**os.environ, **GIT_ENV, "HOME": str(root.parent)}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True).stdout


def source(i: int, version: int) -> str:
    lines = [f"def function_{i}_{n}(x):\n    return x * {n} + {i}\n\n" for n in range(12)]
    if version:
        lines[3] = f"def function_{i}_3(x):\n    return x * 3 + {i} + {version}  # changed\n\n"
        lines[9] = f"def function_{i}_9(x, y=None):\n    return (x, y)\n\n"
    return "".join(lines)


def write_files(root: Path, count: int, version: int) -> None:
    for i in range(count):
        path = root / f"pkg{i % 50:02d}" / f"module_{i:05d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(source(i, version))


def make_repo(root: Path, count: int) -> None:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(root, count, 0)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def timed_pair(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int
) -> tuple[list[float], list[float]]:
    """Alternate the two so that load on the machine falls on both alike."""
    ours(), theirs()  # warm the page cache and git's index
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, into in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return times


def raw_diff(root: Path, revs: Sequence[str]) -> Callable[[], object]:
    argv = ["git", "diff", "--no-ext-diff", *revs]
    return lambda: subprocess.run(argv, cwd=root, capture_output=True, check=True).stdout


def compare(name: str, target: Target, revs: Sequence[str], rounds: int) -> None:
    result = collect(target)
    ours, theirs = timed_pair(lambda: collect(target), raw_diff(target.repo_root, revs), rounds)
    best = min(ours) / min(theirs)
    median = statistics.median(ours) / statistics.median(theirs)
    print(
        f"{name}: {len(result.files)} files, {result.diff_bytes} diff bytes, "
        f"input_mode={result.input_mode}\n"
        f"  collect():  best {min(ours) * 1000:7.1f} ms  median {statistics.median(ours) * 1000:7.1f} ms\n"
        f"  git diff:   best {min(theirs) * 1000:7.1f} ms  median {statistics.median(theirs) * 1000:7.1f} ms\n"
        f"  ratio:      best {best:.2f}x  median {median:.2f}x  (target <= 1.3x)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ccplugin-bench-") as tmp:
        root = Path(tmp) / "repo"
        os.environ.update(GIT_ENV, HOME=tmp)
        make_repo(root, args.files)
        git(root, "checkout", "-q", "-b", "feature")
        write_files(root, args.files, 1)
        working = resolve_target(root, "working-tree")
        compare("working tree", working, [working.head or "HEAD"], args.rounds)
        git(root, "commit", "-q", "-a", "-m", "change every file")
        branch = resolve_target(root, "branch")
        compare("branch", branch, [branch.merge_base or "", branch.head or ""], args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
