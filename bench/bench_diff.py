"""Diff collection on a realistic generated history, against a raw ``git diff`` of the same range.

The bench makes its own repository (no network): a few hundred files, small and large, text with
non-ASCII characters (Cyrillic, CJK, accents, one astral emoji, so the diff is not pure ASCII),
windows-1251 files (bytes that are not UTF-8), binaries (``.mo``, ``.png``), renames with and
without edits, deletions, new files with quoted names, mode changes and files with hundreds of
hunks; the feature branch's diff is several MB. It prints, as ratios from one run:

- ``collect()`` on the self-collect path (the default budget) and on the inline path (budget and
  ``INLINE_CAP`` lifted so the whole diff is inlined) vs ``git diff`` of the same range
  (target: <= 1.3x);
- the peak Python memory of each (``tracemalloc``) vs the diff's size (target: <= 2x);
- placing one finding per changed file (``findings.parse``, hunks not yet parsed) vs collection.

Run: ``.venv/bin/python bench/bench_diff.py [--scale S] [--rounds R]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import GIT_ENV

from ccplugin.review import collect as collect_mod
from ccplugin.review import findings
from ccplugin.review.collect import ReviewInput, collect
from ccplugin.review.target import Target, resolve_target

TIME_TARGET, MEMORY_TARGET = 1.3, 2.0
WORDS = ["alpha", "beta", "gamma", "delta", "value", "result", "items", "config", "path", "index"]
# non-ASCII text as real projects have it: translations, names, comments, one astral character
PHRASES = ["Привет, мир", "café crème", "日本語のコメント", "Ελληνικά", "naïve résumé", "données", "emoji 🎉"]


def git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True).stdout


def code_line(rng: random.Random, n: int) -> str:
    a, b = rng.sample(WORDS, 2)
    if n % 17 == 0:
        return f"    # {rng.choice(PHRASES)} ({n})\n"
    return f"    {a}_{n} = {b}({n}, {rng.randint(0, 999)})  # {a} {b}\n"


def text_file(rng: random.Random, lines: int) -> list[str]:
    return [f"def block_{n}(x):\n" if n % 9 == 0 else code_line(rng, n) for n in range(lines)]


def edit(rng: random.Random, lines: list[str], every: int) -> list[str]:
    """Change about one line in ``every`` (a hunk each, when they are far enough apart)."""
    out = list(lines)
    for n in range(rng.randint(0, every - 1), len(out), every):
        out[n] = code_line(rng, n + 100_000) if rng.random() < 0.7 else out[n] + code_line(rng, n + 200_000)
    return out


def cp1251_file(rng: random.Random, lines: int) -> bytes:
    rows = [f"{rng.choice(['Привет', 'Строка', 'Данные'])} {n}: {rng.choice(WORDS)}\n" for n in range(lines)]
    return "".join(rows).encode("cp1251")


def binary(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\0" + rng.randbytes(size)


class Layout:
    """Which files the generated repository has, by kind, at ``scale``."""

    def __init__(self, scale: float) -> None:
        self.small = [f"src/pkg{i % 20:02d}/module_{i:04d}.py" for i in range(int(300 * scale))]
        self.large = [f"data/table_{i:02d}.txt" for i in range(int(24 * scale))]
        self.cp1251 = [f"legacy/ru_{i:02d}.txt" for i in range(int(8 * scale) or 1)]
        self.binary = [f"locale/l{i:02d}/LC_MESSAGES/app.mo" for i in range(int(12 * scale))]
        self.binary += [f"static/img_{i:02d}.png" for i in range(int(12 * scale))]


def write(root: Path, path: str, data: str | bytes) -> None:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        full.write_text(data, encoding="utf-8")
    else:
        full.write_bytes(data)


def base_commit(root: Path, layout: Layout, rng: random.Random) -> dict[str, list[str]]:
    texts = {p: text_file(rng, rng.randint(60, 160)) for p in layout.small}
    texts |= {p: text_file(rng, 8000) for p in layout.large}
    for path, lines in texts.items():
        write(root, path, "".join(lines))
    for path in layout.cp1251:
        write(root, path, cp1251_file(rng, 400))
    for path in layout.binary:
        write(root, path, binary(rng, rng.randint(8_000, 40_000)))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return texts


def feature_commit(root: Path, layout: Layout, texts: dict[str, list[str]], rng: random.Random) -> None:
    small = list(layout.small)
    rng.shuffle(small)
    renamed, moved_edited, deleted = small[:25], small[25:50], small[50:60]
    for path in renamed + moved_edited:
        new = path.replace("module_", "moved_")
        git(root, "mv", path, new)
        if path in moved_edited:
            write(root, new, "".join(edit(rng, texts[path], 40)))
    git(root, "rm", "-q", *deleted)
    for path in small[60:]:
        write(root, path, "".join(edit(rng, texts[path], 25)))
    for path in layout.large:
        write(root, path, "".join(edit(rng, texts[path], 12)))
    for path in layout.cp1251[::2]:
        write(root, path, cp1251_file(rng, 420))
    for path in layout.binary[::2]:
        write(root, path, binary(rng, rng.randint(8_000, 40_000)))
    for i in range(30):
        name = f"new/données_{i:02d}.py" if i % 3 else f'new/we "ird" {i:02d}.py'
        write(root, name, "".join(text_file(rng, rng.randint(20, 200))))
    for path in small[60:63]:
        os.chmod(root / path, 0o755)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")


def make_repo(root: Path, scale: float) -> None:
    rng = random.Random(11)
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    layout = Layout(scale)
    texts = base_commit(root, layout, rng)
    git(root, "checkout", "-q", "-b", "feature")
    feature_commit(root, layout, texts, rng)


def cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (git)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


Times = tuple[list[float], list[float]]  # wall, CPU


def timed_pair(ours: Callable[[], object], theirs: Callable[[], object], rounds: int) -> tuple[Times, Times]:
    """Alternate the two so that load on the machine falls on both alike; wall and CPU seconds."""
    ours(), theirs()  # warm the page cache and git's index
    times: tuple[Times, Times] = (([], []), ([], []))
    for _ in range(rounds):
        for fn, (wall, cpu) in ((ours, times[0]), (theirs, times[1])):
            start, start_cpu = time.perf_counter(), cpu_seconds()
            fn()
            wall.append(time.perf_counter() - start)
            cpu.append(cpu_seconds() - start_cpu)
    return times


def raw_diff(root: Path, revs: Sequence[str]) -> Callable[[], object]:
    argv = ["git", "diff", "--no-ext-diff", *revs]
    return lambda: subprocess.run(argv, cwd=root, capture_output=True, check=True).stdout


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def one_finding_per_file(inp: ReviewInput) -> dict[str, Any]:
    items = [
        {
            "file": f.path,
            "line_start": 5 + i % 40,
            "line_end": 5 + i % 40,
            "severity": "low",
            "title": "t",
            "body": "b",
            "confidence": 0.5,
        }
        for i, f in enumerate(inp.files)
    ]
    return {"verdict": "approve", "summary": "s", "findings": items}


def placement_time(collected: Callable[[], ReviewInput], rounds: int) -> list[float]:
    """Seconds to place one finding per file on a fresh result (its hunks not yet parsed)."""
    times = []
    for _ in range(rounds):
        inp = collected()
        structured = one_finding_per_file(inp)
        start = time.perf_counter()
        findings.parse(structured, inp.hunks)
        times.append(time.perf_counter() - start)
    return times


def compare(name: str, run: Callable[[], ReviewInput], revs: Sequence[str], root: Path, rounds: int) -> None:
    result = run()
    (ours, ours_cpu), (theirs, theirs_cpu) = timed_pair(run, raw_diff(root, revs), rounds)
    ratio = statistics.median(ours) / statistics.median(theirs)
    cpu = statistics.median(ours_cpu) / statistics.median(theirs_cpu)
    memory = peak_memory(run) / max(result.diff_bytes, 1)
    place = statistics.median(placement_time(run, max(3, rounds // 2))) / statistics.median(ours)
    print(
        f"{name}: {len(result.files)} files, {result.diff_bytes:,} diff bytes, input_mode={result.input_mode}\n"
        f"  collect():  best {min(ours) * 1000:7.1f} ms  median {statistics.median(ours) * 1000:7.1f} ms"
        f"  CPU {statistics.median(ours_cpu) * 1000:7.1f} ms\n"
        f"  git diff:   best {min(theirs) * 1000:7.1f} ms  median {statistics.median(theirs) * 1000:7.1f} ms"
        f"  CPU {statistics.median(theirs_cpu) * 1000:7.1f} ms\n"
        f"  time:       {ratio:.2f}x git diff (median wall; best {min(ours) / min(theirs):.2f}x; "
        f"CPU {cpu:.2f}x; target <= {TIME_TARGET}x)\n"
        f"  memory:     peak {memory:.2f}x the diff's size (target <= {MEMORY_TARGET}x)\n"
        f"  placement:  one finding per file {place:.2f}x collection"
    )


def inline_everything(target: Target) -> ReviewInput:
    saved = collect_mod.INLINE_CAP
    collect_mod.INLINE_CAP = 1 << 40
    try:
        return collect(target, budget_bytes=1 << 40)
    finally:
        collect_mod.INLINE_CAP = saved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="file counts and diff size scale with this")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ccplugin-bench-") as tmp:
        os.environ.update(GIT_ENV, HOME=tmp)
        root = Path(tmp) / "repo"
        started = time.perf_counter()
        make_repo(root, args.scale)
        print(f"generated the repository in {time.perf_counter() - started:.1f} s")
        branch = resolve_target(root, "branch")
        revs = [branch.merge_base or "", branch.head or ""]
        compare("self-collect", lambda: collect(branch), revs, root, args.rounds)
        compare("inline", lambda: inline_everything(branch), revs, root, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
