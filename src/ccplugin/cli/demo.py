"""`ccplugin demo`: the whole review flow on a sample change, offline by default.

Offline, the bundled fake Anthropic API runs on 127.0.0.1 and the real `claude` CLI reviews the
sample change against it; nothing leaves the machine and no login is needed. `--live` uses your
own Claude login instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ccplugin import output, proc
from ccplugin.errors import CCError, Exit
from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env

_BEFORE = '"""Prices for the demo shop."""\n\n\ndef total(prices: list[float]) -> float:\n    return sum(prices)\n'
_ADDED = (
    "\n\ndef apply_discount(price: float, percent: float) -> float:\n"
    '    """Return ``price`` reduced by ``percent`` (0-100)."""\n'
    "    return price - price * percent\n"
)


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="review a sample change offline (no login needed)")
    p.add_argument("--live", action="store_true", help="use your Claude login instead of the bundled fake API")
    p.add_argument("--keep", action="store_true", help="keep the sample repository and print its path")
    return p


def run_args(args: argparse.Namespace) -> int:
    return demo(live=args.live, keep=args.keep, as_json=args.json)


def demo(*, live: bool, keep: bool, as_json: bool) -> int:
    root = Path(tempfile.mkdtemp(prefix="ccplugin-demo-"))
    try:
        repo = sample_repo(root / "shop")
        code = _review_live(repo, as_json) if live else _review_offline(repo, root, as_json)
    finally:
        if keep:
            output.error(f"sample repository kept at {root / 'shop'}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return _verdict(code, as_json)


def sample_repo(path: Path) -> Path:
    """A git repo with one commit and an uncommitted change that adds a real bug."""
    path.mkdir(parents=True)
    git = ["git", "-c", "user.name=ccplugin demo", "-c", "user.email=demo@ccplugin.invalid"]
    (path / "pricing.py").write_text(_BEFORE)
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "pricing.py"],
        ["commit", "-q", "-m", "Add pricing"],
    ):
        done = proc.run([*git, *argv], cwd=path)
        if done.returncode != 0:
            raise CCError(
                f"git {argv[0]} failed in the demo repository: {done.err.strip()}",
                "check `git --version`",
            )
    (path / "pricing.py").write_text(_BEFORE + _ADDED)
    return path


def _review_offline(repo: Path, root: Path, as_json: bool) -> int:
    binary = find_claude_bin()
    if binary is None:
        raise CCError(
            "the demo needs the Claude Code CLI and none was found",
            "run `make demo` (installs the pinned CLI into tools/), or `npm install -g @anthropic-ai/claude-code`",
        )
    with FakeAnthropic("demo_review") as fake:
        output.progress(f"fake Anthropic API on {fake.url}; reviewing the sample change with {binary}")
        env = offline_claude_env(fake, root / "offline", claude_bin=binary)
        return _review(repo, env, as_json)


def _review_live(repo: Path, as_json: bool) -> int:
    output.progress("reviewing the sample change with your Claude login (this spends tokens)")
    return _review(repo, dict(os.environ), as_json)


def _review(repo: Path, env: dict[str, str], as_json: bool) -> int:
    argv = [sys.executable, "-m", "ccplugin", "review", "--fail-on", "high", "--no-cache"]
    argv += ["--json"] if as_json else []
    # output passes straight through: the demo shows exactly what `ccplugin review` prints
    return proc.call(argv, cwd=repo, env=env)


def _verdict(code: int, as_json: bool) -> int:
    if code == Exit.GATE_FAIL:
        if not as_json:
            output.line("\nDemo done: the gate FAILED (exit 1) as it should: the sample change has a real bug.")
        return Exit.OK
    output.error(f"demo: the review exited {code}, expected the gate to fail (1); see the output above")
    return code if code != Exit.OK else Exit.NOT_REVIEWED
