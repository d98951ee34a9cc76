"""The review as GitHub-flavoured markdown blocks: the step summary and the sticky PR comment.

Everything the reviewer wrote is untrusted text: secrets are masked, ``<`` and ``>`` are
escaped (no HTML, no hidden comments, no images), and table cells lose ``|`` and newlines.
Blocks are whole units (a heading, one table row, one ``<details>``) so a size cap can drop
whole blocks from the end instead of cutting markup in half.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ccplugin.jobs import kinds
from ccplugin.redact import redact
from ccplugin.review.gate import EMOJI, GateStatus
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

Link = Callable[[Finding], str | None]


def gate_label(status: GateStatus) -> str:
    return f"{EMOJI[status]} {status.label}"


def text(value: str) -> str:
    """Reviewer prose made safe for markdown that GitHub renders."""
    return redact(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(value: str) -> str:
    return " ".join(text(value).split()).replace("|", "\\|")


def blocks(o: ReviewOutcome, notes: Sequence[str] = (), *, label: str = "", link: Link | None = None) -> list[str]:
    """The summary: heading and gate, the reviewer's summary, notes, findings table, details, what it saw."""
    title = kinds.of_mode(o.mode).report_title + (f" · {label}" if label else "")
    out = [f"## {title}\n", f"**Gate: {gate_label(o.gate.status)}** — {text(o.gate.reason)}\n"]
    if o.review:
        out.append(f"**Verdict:** {o.review.verdict}\n\n{text(o.review.summary)}\n")
    elif o.error:
        out.append(f"No review was produced: {text(o.error.line())}\n")
    out += [f"- {note}" for note in notes]
    if notes:
        out.append("")
    out += table(o, link)
    out += [details(f) for f in o.findings]
    out.append(saw(o))
    return out


def table(o: ReviewOutcome, link: Link | None = None) -> list[str]:
    if not o.findings:
        return ["No findings.\n"] if o.review else []
    gating = {f.fingerprint for f in o.gate.gating}
    rows = ["| Severity | Where | Finding | Diff | Baseline | Gate |", "| --- | --- | --- | --- | --- | --- |"]
    for f in o.findings:
        place = f"`{cell(f.where)}`"
        url = link(f) if link and f.in_repo else None
        if url:
            place = f"[{place}]({url})"
        status = "gating" if f.fingerprint in gating else (f"suppressed: {cell(f.suppressed)}" if f.suppressed else "")
        row = f"| {f.severity} | {place} | {cell(f.title)} | {f.location.value} | {f.baseline.value} | {status} |"
        rows.append(row)
    rows[-1] += "\n"
    return rows


def suggested(f: Finding, block: bool) -> str:
    """``f``'s suggestion: a committable ``suggestion`` block when ``block`` (and it holds no secret), else the
    change as a ``diff``; empty without one. Code in a fence is shown as written, so it is not escaped."""
    s = f.suggestion
    if s is None:
        return ""
    if block and redact(s.replacement) == s.replacement:
        return "\n\n" + fenced("suggestion", s.replacement)
    patch = redact(s.patch(f.file, f.line_start))
    return "\n\n**Suggested change** (as a patch: it is not a committable suggestion here)\n\n" + fenced("diff", patch)


def fenced(info: str, body: str) -> str:
    """``body`` in a backtick fence longer than any backtick run in it, so nothing in it can close the fence."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    end = "" if not body or body.endswith("\n") else "\n"
    return f"{fence}{info}\n{body}{end}{fence}\n"


def details(f: Finding) -> str:
    body = text(f.body)
    if f.recommendation:
        body += f"\n\n**Recommendation:** {text(f.recommendation)}"
    body += suggested(f, False)
    head = f"[{f.severity}] {cell(f.title)} ({cell(f.where)}) · {f.baseline.value}"
    foot = f"confidence {f.confidence:g} · fingerprint `{f.fingerprint}`"
    return f"<details><summary>{head}</summary>\n\n{body}\n\n{foot}\n</details>\n"


def saw(o: ReviewOutcome) -> str:
    inp = o.input
    files = inp.changed
    cost = "cached (no Claude call)" if o.cached else (f"${o.cost_usd:.4f}" if o.cost_usd is not None else "unknown")
    lines = [
        "#### What the reviewer saw",
        "",
        f"- Target: {cell(o.target.label or '?')}",
        f"- Input: {o.input_mode} · {len(files)} file(s), +{inp.additions or 0} −{inp.deletions or 0}",
        f"- Model: `{o.model}`" + (f" · effort {o.effort}" if o.effort else "") + f" · cost {cost}",
    ]
    lines += [f"- {cell(line)}" for line in o.provenance()]
    if o.not_reviewed:
        lines.append(f"- Not reviewed (generated/vendored/lock): {cell(o.not_reviewed)}")
    if o.coverage:
        lines.insert(3, f"- Coverage: {o.coverage.line()}")
    if o.focus:
        lines.append(f"- Focus: {cell(o.focus)}")
    if o.job_id:
        lines.append(f"- Job: `{o.job_id}`")
    return "\n".join(lines) + "\n"
