"""Engine overhead: `ccplugin review` vs a bare `claude -p` with the same prompt, same fake API, one run.

Both sides run the real claude CLI (tools/) against the bundled fake Anthropic API on 127.0.0.1; the
review side adds diff collection, the job store, parsing, the gate and rendering. Target ratio <= 1.10x.
Run: ``.venv/bin/python bench/bench_engine.py [--runs N]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ccplugin.claude import argv as claude_argv
from ccplugin.claude.types import Mode, RunSpec
from ccplugin.cli.demo import sample_repo
from ccplugin.review import engine, prompts
from ccplugin.review.collect import collect
from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env

TARGET = 1.10


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return time.perf_counter() - start


def bare_argv(binary: str, repo: Path) -> list[str]:
    prep = engine.prepare(engine.ReviewRequest(cwd=str(repo)))
    inp = collect(prep.target, budget_bytes=prep.settings.budget_bytes)
    prompt = prompts.render("review", target_label=prep.target.label, review_input=inp.context)
    spec = RunSpec(
        prompt=prompt,
        cwd=str(repo),
        mode=Mode.REVIEW,
        model=prep.model,
        effort=prep.effort,
        max_turns=prep.settings.max_turns,
        timeout=600,
        json_schema=prompts.schema(),
        persist_session=True,
    )
    return claude_argv.build_argv(binary, spec)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    binary = find_claude_bin()
    if binary is None:
        print("claude CLI not found: run `make setup`")
        return 2
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic("review_approve") as fake:
        root = Path(tmp)
        repo = sample_repo(root / "shop")
        env = offline_claude_env(fake, root / "offline", claude_bin=binary)
        review = [sys.executable, "-m", "ccplugin", "review", "--no-cache", "--json"]
        bare = bare_argv(binary, repo)
        timed(review, repo, env), timed(bare, repo, env)  # warm the page cache
        ours = [timed(review, repo, env) for _ in range(runs)]
        theirs = [timed(bare, repo, env) for _ in range(runs)]
    a, b = statistics.median(ours), statistics.median(theirs)
    figures = {"review_median_s": round(a, 3), "bare_claude_median_s": round(b, 3), "ratio": round(a / b, 3)}
    print(json.dumps({**figures, "runs": runs, "target": TARGET}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
