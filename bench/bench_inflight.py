"""Identical reviews in flight pay once: N `ccplugin review` started at once, one change, one state folder.

N repositories hold the same change; the fake Anthropic API answers each model call after ``--delay``
seconds. A review whose cache key another one is already computing waits for it and reports its result
as a cache hit, so the model calls made should be 1 (before the in-flight lock: about N / 2).
Run: ``.venv/bin/python bench/bench_inflight.py [--reviews N] [--delay S]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ccplugin.cli.demo import sample_repo
from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env, reply, structured_output

APPROVE = {"verdict": "approve", "summary": "Looks fine.", "findings": [], "next_steps": []}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=16)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    binary = find_claude_bin()
    if binary is None:
        print("claude CLI not found: run `make setup`")
        return 2
    answer = reply(structured_output(APPROVE), tool_offered="StructuredOutput", delay_s=args.delay)
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic([answer]) as fake:
        root = Path(tmp)
        env = offline_claude_env(fake, root / "offline", claude_bin=binary)
        repos = [sample_repo(root / f"shop{i}") for i in range(args.reviews)]
        start = time.perf_counter()
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "ccplugin", "review", "--json"],
                cwd=repo,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for repo in repos
        ]
        outs = [json.loads(child.communicate()[0] or "{}") for child in children]
        seconds = time.perf_counter() - start
        calls = len(fake.message_requests())
    gates = Counter(o.get("gate", {}).get("status", "no result") for o in outs)
    cached = sum(1 for o in outs if o.get("cached"))
    figures = {"reviews": args.reviews, "model_calls": calls, "cached": cached, "gates": dict(gates)}
    print(json.dumps({**figures, "delay_s": args.delay, "wall_s": round(seconds, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
