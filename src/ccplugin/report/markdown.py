"""The markdown reporter: terminal output and what `$cc:result` shows."""

from __future__ import annotations

from ccplugin.hookspecs import hookimpl
from ccplugin.jobs import kinds
from ccplugin.report import Builtin
from ccplugin.review.model import Finding
from ccplugin.review.outcome import FileSummary, ReviewOutcome


@hookimpl
def ccplugin_reporters() -> list[Builtin]:
    return [Builtin("markdown", ".md", render)]


def render(o: ReviewOutcome) -> str:
    lines = [f"# {kinds.of_mode(o.mode).heading}", ""]
    lines += [f"Target: {o.target.label or '?'}"]
    if o.focus:
        lines += [f"Focus: {o.focus}"]
    lines += [f"Gate: {o.gate.status.label} — {o.gate.reason}"]
    if o.review:
        lines += [f"Verdict: {o.review.verdict}", "", o.review.summary, ""]
        lines += _findings(o)
        lines += _bullets("Next steps", list(o.review.next_steps))
    elif o.error:
        lines += ["", f"No review was produced: {o.error.line()}", ""]
    lines += _saw(o)
    return "\n".join(lines).rstrip() + "\n"


def _findings(o: ReviewOutcome) -> list[str]:
    if not o.findings:
        return ["No material findings.", ""]
    gating = {f.fingerprint for f in o.gate.gating}
    out = ["## Findings", ""]
    for f in o.findings:
        out += _finding(f, f.fingerprint in gating)
    return out


def _finding(f: Finding, gating: bool) -> list[str]:
    where = f.where
    tags = [f.location.value, f.baseline.value, f"fp {f.fingerprint}"]
    if gating:
        tags.insert(0, "GATING")
    if f.suppressed:
        tags.insert(0, f"suppressed: {f.suppressed}")
    out = [f"- [{f.severity}] {f.title} ({where}) · {' · '.join(tags)}"]
    out += [f"  {line}" for line in f.body.splitlines()]
    if f.recommendation:
        out += [f"  Recommendation: {f.recommendation}"]
    if f.suggestion:
        patch = f.suggestion.patch(f.file, f.line_start)
        out += [f"  Suggested change (`ccplugin review --apply {f.fingerprint}`):", "  ```diff"]
        out += [f"  {line}" for line in patch.splitlines()] + ["  ```"]
    return [*out, ""]


def _bullets(title: str, items: list[str]) -> list[str]:
    return [f"## {title}", "", *(f"- {i}" for i in items), ""] if items else []


def _saw(o: ReviewOutcome) -> list[str]:
    inp = o.input
    files = inp.changed
    shown = ", ".join(_file_label(f) for f in files[:20]) + (" …" if len(files) > 20 else "")
    out = ["## What the reviewer saw", ""]
    out += [f"- Input: {o.input_mode} · {len(files)} file(s), +{inp.additions or 0} −{inp.deletions or 0}"]
    if o.coverage:
        out += [f"- Coverage: {o.coverage.line()}"]
    if files:
        out += [f"- Files: {shown}"]
    if o.not_reviewed:
        out += [f"- Not reviewed (generated/vendored/lock): {o.not_reviewed}"]
    cost = "cached, no Claude call" if o.cached else _cost(o.cost_usd)
    effort = f" · effort {o.effort}" if o.effort else ""
    out += [f"- Model: {o.model}{effort} · {cost}"]
    out += [f"- {line}" for line in o.provenance()]
    if o.job_id:
        out += [f"- Job: {o.job_id}"]
    if o.session_id and o.session_persisted:
        out += [f"- Resume: `claude --resume {o.session_id}`"]
    elif o.session_id:
        out += ["- Resume: not offered (run with `--no-session-persistence`: no Claude session transcript was kept)"]
    return out


def _file_label(f: FileSummary) -> str:
    extra = " binary" if f.binary else ""
    return f"{f.path} ({f.status}{extra})"


def _cost(cost: float | None) -> str:
    return f"cost ${cost:.4f}" if cost is not None else "cost unknown"
