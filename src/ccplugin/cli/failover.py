"""`ccplugin failover -- COMMAND…`: run a command; if it fails or stalls, Claude Code takes over its task.

Exit codes: 0 when the command succeeded (no rescue ran); otherwise the rescue's own code —
0 completed, 3 Claude failed, 130 cancelled or interrupted. 2 is a usage error (no command, no
task, a bad flag, an executable that is not there); nothing runs then.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from dataclasses import replace
from typing import Any

from ccplugin import output
from ccplugin.cli import common, render
from ccplugin.errors import CCError, Exit
from ccplugin.rescue import failover as watch
from ccplugin.rescue import job as rescue_job
from ccplugin.rescue import request as rescue_request

DEFAULT_STALL = 600.0
MODEL, EFFORT = "opus", "high"


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name, help="run a command; if it fails or stalls, hand its task to Claude Code"
    )
    p.add_argument(
        "--stall-timeout",
        type=float,
        default=DEFAULT_STALL,
        metavar="SECONDS",
        help=f"stop the command after this long without output (default {DEFAULT_STALL:g}; 0: never)",
    )
    p.add_argument("--task", help="the task to hand over (default: the prompt of `codex exec PROMPT`)")
    p.add_argument("--model", help=f"model for the rescue (default {MODEL})")
    p.add_argument("--effort", help=f"effort for the rescue (default {EFFORT})")
    p.add_argument("--timeout", type=float, help="wall-clock limit for the rescue's Claude run, seconds")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND", help="the command to run, after `--`")
    return p


def run_args(args: argparse.Namespace) -> int:
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return failover(
        command=command,
        task=args.task,
        stall_timeout=args.stall_timeout,
        model=args.model,
        effort=args.effort,
        timeout=args.timeout,
        as_json=args.json,
    )


def failover(
    *,
    command: list[str],
    task: str | None = None,
    stall_timeout: float = DEFAULT_STALL,
    model: str | None = None,
    effort: str | None = None,
    timeout: float | None = None,
    as_json: bool = False,
) -> int:
    """Run ``command``; on a non-zero exit or a stall run ``rescue --fresh --write`` with its task."""
    request = _request(command, task, stall_timeout, model, effort, timeout)
    rescue_request.prepare(request)  # a bad model or effort is an error before anything runs
    # with --json stdout carries one JSON object, so the command's own stdout goes to stderr
    out, err = functools.partial(output.raw, err=as_json), functools.partial(output.raw, err=True)
    tried = watch.attempt(
        command, cwd=request.cwd, env=os.environ, stall_timeout=stall_timeout or None, out=out, err=err
    )
    said = tried.describe(stall_timeout)
    if tried.path == "succeeded":
        output.progress(f"failover: {said}; no rescue needed")
        return _report(tried, None, Exit.OK) if as_json else Exit.OK
    output.progress(f"failover: {said}; handing the task to Claude Code (rescue --fresh --write)")
    return _take_over(replace(request, context=_context(said, tried.tail)), tried, as_json)


def _take_over(request: rescue_request.RescueRequest, tried: watch.Attempt, as_json: bool) -> int:
    """Run the rescue in the foreground and print its report (inside the failover report with --json)."""
    store = common.open_store()
    job = common.submit(store, rescue_job.spec(rescue_job.settled(store, request, common.owner())))
    text, code = render.rendered(job, "json" if as_json else "markdown")
    if as_json:
        return _report(tried, json.loads(text), code)
    output.write(text)
    return code


def _request(
    command: list[str],
    task: str | None,
    stall_timeout: float,
    model: str | None,
    effort: str | None,
    timeout: float | None,
) -> rescue_request.RescueRequest:
    if not command:
        raise CCError("no command to run", 'put it after `--`: `ccplugin failover -- codex exec "fix the build"`')
    if stall_timeout < 0:
        raise CCError(
            f"--stall-timeout must be 0 (off) or positive, got {stall_timeout:g}", "pass `--stall-timeout 300`"
        )
    text = task if task is not None else watch.task_of(command)
    if not (text or "").strip():
        raise CCError(
            "no task to hand over if the command fails",
            "pass `--task TEXT` (only `codex exec PROMPT` names its own task)",
        )
    return rescue_request.RescueRequest(
        cwd=os.getcwd(),
        task=text or "",
        write=True,
        fresh=True,
        model=model or MODEL,
        effort=effort or EFFORT,
        timeout=timeout,
    )


def _context(said: str, tail: str) -> str:
    body = tail.strip() or "(it printed nothing)"
    return f"Another agent tried this task first: {said}. The end of its output:\n{body}"


def _report(tried: watch.Attempt, rescue: dict[str, Any] | None, code: int) -> int:
    output.json_out({"failover": tried.to_dict(), "rescue": rescue, "exit_code": code})
    return code
