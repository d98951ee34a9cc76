"""Only what is new: model calls and bytes sent on a second push, incremental (``--since last``) vs a full re-review.

A branch adds ``--files`` modules of ``--lines`` lines each in its first commit; the second commit edits one
line of one of them. The first review is a full one; then the second push is reviewed twice from the same
state: ``ccplugin review --since last`` (only the new commit's diff goes to the model, the first review's
findings carried) and ``ccplugin review --no-cache`` (the whole change again). The fake Anthropic API
answers every call; "bytes" is the JSON size of the model requests it received.
Run: ``.venv/bin/python bench/bench_incremental.py [--files N] [--lines N]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import GIT_ENV

from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env, reply, structured_output

FOUND = {
    "verdict": "needs-attention",
    "summary": "One finding.",
    "findings": [
        {
            "severity": "medium",
            "title": "Unchecked input",
            "body": "mod0 trusts its input.",
            "file": "mod0.py",
            "line_start": 2,
            "line_end": 2,
            "confidence": 0.8,
            "recommendation": "Check it.",
        }
    ],
    "next_steps": [],
}


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def _repo(root: Path, files: int, lines: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("bench\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "feature")
    for i in range(files):
        (repo / f"mod{i}.py").write_text("".join(f"VALUE_{i}_{n} = {n}\n" for n in range(lines)))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first push")
    return repo


def _review(repo: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "ccplugin", "review", "--scope", "branch", "--base", "main", "--json", *extra]
    done = subprocess.run(argv, cwd=repo, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return dict(json.loads(done.stdout or "{}"))


def _sent(fake: FakeAnthropic, since: int) -> tuple[int, int]:
    asked = fake.message_requests()[since:]
    return len(asked), sum(len(json.dumps(r.body)) for r in asked)


def _verdict(outcome: dict[str, Any]) -> str | None:
    review = outcome.get("review") or {}
    return review.get("verdict") if isinstance(review, dict) else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--lines", type=int, default=60)
    args = parser.parse_args()
    binary = find_claude_bin()
    if binary is None:
        print("claude CLI not found: run `make setup`")
        return 2
    answer = reply(structured_output(FOUND), tool_offered="StructuredOutput")
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic([answer]) as fake:
        root = Path(tmp)
        env = offline_claude_env(fake, root / "offline", claude_bin=binary)
        repo = _repo(root, args.files, args.lines)
        first = _review(repo, env)
        calls_first, bytes_first = _sent(fake, 0)
        path = repo / f"mod{args.files - 1}.py"
        path.write_text(path.read_text().replace(f"_{args.lines - 1} = ", f"_{args.lines - 1} = -", 1))
        _git(repo, "commit", "-qam", "second push")
        seen = len(fake.message_requests())
        incremental = _review(repo, env, "--since", "last")
        calls_inc, bytes_inc = _sent(fake, seen)
        seen = len(fake.message_requests())
        full = _review(repo, env, "--no-cache")
        calls_full, bytes_full = _sent(fake, seen)
    figures = {
        "files": args.files,
        "lines_per_file": args.lines,
        "first_push": {"model_calls": calls_first, "bytes_sent": bytes_first, "verdict": _verdict(first)},
        "second_push_incremental": {
            "model_calls": calls_inc,
            "bytes_sent": bytes_inc,
            "findings": len((incremental.get("review") or {}).get("findings", [])),
            "incremental": incremental.get("incremental"),
        },
        "second_push_full": {
            "model_calls": calls_full,
            "bytes_sent": bytes_full,
            "findings": len((full.get("review") or {}).get("findings", [])),
        },
        "bytes_saved": f"{1 - bytes_inc / bytes_full:.1%}" if bytes_full else None,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
