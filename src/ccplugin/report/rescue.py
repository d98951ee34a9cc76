"""Rescue reports: markdown (terminal and `$cc:result`) and JSON (the `--json` contract)."""

from __future__ import annotations

import json
from typing import Any

from ccplugin.rescue.outcome import PARTIAL_NOTE, RescueOutcome
from ccplugin.rescue.request import CONTINUE_PROMPT

_STATUS = {"completed": "completed", "failed": "FAILED", "cancelled": "CANCELLED"}
_NO_TEXT = "Claude Code did not return a final message."


def render(outcome: RescueOutcome, fmt: str) -> str:
    """``fmt`` is ``markdown`` or ``json``."""
    return to_json(outcome) if fmt == "json" else markdown(outcome)


def to_json(o: RescueOutcome) -> str:
    return json.dumps(o.to_dict(), indent=2, sort_keys=True)


def markdown(o: RescueOutcome) -> str:
    lines = ["# Claude Code Rescue", "", *_header(o), *_default_note(o), ""]
    lines += [o.text.strip() or _NO_TEXT, ""]
    lines += _files(o)
    lines += _run(o)
    return "\n".join(lines).rstrip() + "\n"


def _header(o: RescueOutcome) -> list[str]:
    task = " ".join(o.task.split()) or f"({CONTINUE_PROMPT.lower().rstrip('.')})"
    mode = "write (Claude may edit files)" if o.write else "read-only"
    session = f"continued {o.resumed_session} (from job {o.resumed_job})" if o.resumed_session else "new"
    status = _STATUS[o.state]
    if o.error is not None:
        status += f" — {PARTIAL_NOTE}" if o.partial else f" — {o.error.line()}"
    return [f"Task: {task}", f"Mode: {mode}", f"Claude session: {session}", f"Status: {status}"]


def _default_note(o: RescueOutcome) -> list[str]:
    c = o.resume_candidate
    if o.decision != "fresh-default" or not c:
        return []
    advice = "continuing it" if c.get("recommendation") == "resume" else "a fresh start"
    return [
        "",
        f"Started fresh by default: {c['job_id']} ({c['title']}) left a Claude session that could be continued,"
        f" and {c.get('reason', 'the wording')} (suggesting {advice}). To continue it: `ccplugin rescue --resume …`.",
    ]


def _files(o: RescueOutcome) -> list[str]:
    title = "## Files changed so far" if o.partial else "## Files changed"
    rows = [f"- {f['path']} ({_seen(f)})" for f in o.files_changed]
    if not rows:
        rows = ["No files changed." if o.files_in_git is not None else "No edits by Claude (not a git work tree)."]
    if o.git_truncated:
        rows.append("- … (too many changed paths; the list is cut)")
    return [title, "", *rows, ""]


def _seen(f: dict[str, Any]) -> str:
    where = [w for w, on in (("edited by Claude", f["by_claude"]), ("changed in git", f["in_git"])) if on]
    return "; ".join(where)


def _run(o: RescueOutcome) -> list[str]:
    effort = f" · effort {o.effort}" if o.effort else ""
    cost = f"cost ${o.cost_usd:.4f}" if o.cost_usd is not None else "cost unknown"
    turns = f" · {o.num_turns} turns" if o.num_turns else ""
    out = ["## Run", "", f"- Model: {o.model}{effort} · {cost}{turns}"]
    if o.job_id:
        out.append(f"- Job: {o.job_id}")
    if o.session_id and o.session_persisted:
        out.append(f"- Claude session: {o.session_id}")
        out.append(f"- Continue it: `ccplugin rescue --resume …` or `claude --resume {o.session_id}`")
    if o.denials:
        shown = ", ".join(_denial(d) for d in o.denials[:5])
        out.append(f"- Denied tool calls: {shown}" + (" …" if len(o.denials) > 5 else ""))
    return out


def _denial(d: dict[str, Any]) -> str:
    args = d.get("tool_input") or {}
    target = next((str(args[k]) for k in ("command", "file_path", "path") if args.get(k)), "")
    return f"{d.get('tool_name') or 'tool'}({target[:60]})" if target else str(d.get("tool_name") or "tool")
