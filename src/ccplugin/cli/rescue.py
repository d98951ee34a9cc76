"""`ccplugin rescue`: hand a task to Claude Code as a tracked job (file edits allowed by default)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ccplugin import output
from ccplugin.cli import common
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.store import Store
from ccplugin.rescue import job as rescue_job
from ccplugin.rescue import request as rescue_request
from ccplugin.rescue import resume
from ccplugin.review import options
from ccplugin.review.options import Surface


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help="hand a task to Claude Code (it may edit files)")
    p.add_argument("task", nargs="*", help="what Claude Code should do, e.g. fix the failing test")
    p.add_argument("--prompt-file", metavar="PATH", help="read the task from PATH (`-`: from stdin)")
    p.add_argument("--resume", "--resume-last", dest="resume", action="store_true", help="continue the last rescue")
    p.add_argument("--fresh", action="store_true", help="start a new Claude session, do not resume")
    access = p.add_mutually_exclusive_group()
    access.add_argument("--write", dest="write", action="store_true", default=True, help="allow edits (default)")
    access.add_argument("--read-only", dest="write", action="store_false", help="investigate only, no edits")
    options.add_arguments(p, Surface.RESCUE)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--background", action="store_true", help="run as a detached job; print its id")
    how.add_argument("--wait", action="store_true", help="run in the foreground (the default)")
    p.add_argument("--job-id", help="run the job `ccplugin reserve` reserved (a Codex subagent's background run)")
    p.add_argument(
        "--resume-candidate",
        action="store_true",
        help="only report whether an earlier Claude session can be continued, and what the task's wording suggests",
    )
    return p


def run_args(args: argparse.Namespace) -> int:
    cwd = os.getcwd()
    task = task_text(args.task, args.prompt_file, cwd)
    if args.resume_candidate:
        return candidate(task=task, as_json=args.json)
    request = rescue_request.RescueRequest(
        cwd=cwd,
        task=task,
        write=args.write,
        resume=args.resume,
        fresh=args.fresh,
        model=args.model,
        effort=args.effort,
        timeout=args.timeout,
        max_turns=args.max_turns,
    )
    if args.job_id:
        return run_reserved(request, args.job_id, as_json=args.json)
    interactive = not args.json and args.prompt_file != "-" and sys.stdin.isatty() and sys.stderr.isatty()
    return rescue(request, background=args.background, as_json=args.json, ask=_ask if interactive else None)


def task_text(words: list[str], prompt_file: str | None, cwd: str) -> str:
    """The task from the words, or from ``--prompt-file`` (stdin only for an explicit ``-``)."""
    if prompt_file is None:
        return " ".join(words)
    if words:
        raise CCError("the task is given twice (as words and with --prompt-file)", "pass one of them")
    if prompt_file == "-":
        return sys.stdin.read()
    try:
        return Path(cwd, prompt_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CCError(
            f"prompt file {prompt_file} not found", "pass an existing file, or `--prompt-file -` to read stdin"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise CCError(f"cannot read prompt file {prompt_file}: {e}", "pass a UTF-8 text file") from None


def rescue(
    request: rescue_request.RescueRequest,
    *,
    background: bool = False,
    as_json: bool = False,
    ask: resume.Ask | None = None,
) -> int:
    """Submit a rescue job; in the foreground run it and exit with its outcome's code."""
    store = common.open_store()
    spec = rescue_job.spec(_settled(store, request, ask))
    return common.submitted(store, spec, background=background, as_json=as_json)


def run_reserved(request: rescue_request.RescueRequest, job_id: str, *, as_json: bool = False) -> int:
    """Run the rescue job a Codex session reserved (its subagent calls this with ``--job-id``)."""
    return common.run_reserved(
        job_id, rescue_request.KIND, "rescue", lambda store: rescue_job.spec(_settled(store, request, None)), as_json
    )


def _settled(store: Store, request: rescue_request.RescueRequest, ask: resume.Ask | None) -> rescue_request.Prepared:
    prep = rescue_job.settled(store, request, common.owner(), ask)
    _announce(prep.request)
    return prep


def _announce(req: rescue_request.RescueRequest) -> None:
    if req.decision == "resume":
        output.progress(f"continuing Claude session {req.resume_session} (from job {req.resume_job})")
    elif req.decision == "fresh-default" and req.candidate:
        job_id = req.candidate["job_id"]
        output.progress(f"starting fresh; {job_id} has a Claude session to continue: pass `--resume` for that")


def _ask(found: resume.Candidate, choice: str, reason: str) -> bool:
    """Ask once on the terminal; Enter (or end of input) takes the recommendation."""
    default = "c" if choice == "resume" else "f"
    output.error(f"{found.job_id} ({found.title}) left a Claude Code session that can be continued.")
    output.error(f"Recommended: {'continue it' if choice == 'resume' else 'start fresh'}, as {reason}.")
    output.error(f"Continue it (c) or start a fresh session (f)? [{default}]")
    answer = sys.stdin.readline().strip().lower() or default
    return answer.startswith("c")


def candidate(*, task: str, as_json: bool) -> int:
    """Report the resumable session (if any) and the recommendation for ``task``'s wording."""
    found = resume.query(common.open_store_to_read(), resume.Scope(common.here(), common.owner()), task)
    if as_json:
        output.json_out(found)
        return Exit.OK
    c = found["candidate"]
    if c is None:
        output.line(f"No resumable Claude Code session for {found['workspace']}; a rescue starts fresh.")
        return Exit.OK
    flag = "--resume" if found["recommendation"] == "resume" else "--fresh"
    output.line(f"Resumable: {c['job_id']} ({c['state']}) — {c['title']} — Claude session {c['claude_session']}.")
    output.line(f"Recommended: `ccplugin rescue {flag} …`, as {found['reason']}.")
    return Exit.OK
