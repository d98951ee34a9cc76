"""The pull-request review: in-hunk comments only, deduplicated across pushes, plus one sticky comment.

Each finding's lines are checked against the pull request's own hunks (``GET pulls/{n}/files``),
because GitHub refuses the whole review (422) when one comment is outside the diff. Findings
that fit are in-line comments (worst first, at most ``max_comments``); the others are listed
in the review body. Every comment and body line carries a hidden fingerprint marker, so a
later push finds what was already said, in current and outdated comments alike, and does not
say it again. One summary comment per mode (and shard) is found by its marker and edited in
place. A token that may not write (fork pull requests) is a 403: the caller falls back to the
annotations, which need no token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccplugin.ci import summary
from ccplugin.ci.rest import GitHub, GitHubError
from ccplugin.ci.workflow import fit
from ccplugin.review.hunks import changed_path, parse_hunks
from ccplugin.review.model import Finding, Hunk
from ccplugin.review.outcome import ReviewOutcome

BATCH = 30  # comments per review request (more trips GitHub's abuse detection)
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
_FP = re.compile(r"<!-- ccplugin:fp=([0-9a-f]{8,64}) -->")


def fp_marker(f: Finding) -> str:
    return f"<!-- ccplugin:fp={f.fingerprint} -->"


def summary_marker(mode: str, label: str = "") -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", label)
    return f"<!-- ccplugin:summary:{mode}{':' + safe if safe else ''} -->"


@dataclass(frozen=True)
class Comment:
    """One in-line comment: a finding anchored to lines of one hunk on the new side."""

    finding: Finding
    line: int
    start_line: int | None = None

    def to_api(self, gating: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.finding.file, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None:
            out |= {"start_line": self.start_line, "start_side": "RIGHT"}
        return out | {"body": comment_body(self.finding, gating)}


@dataclass(frozen=True)
class Plan:
    inline: tuple[Comment, ...]
    in_body: tuple[Finding, ...]  # new, but outside the diff or over the cap
    already: tuple[Finding, ...]  # said on an earlier push


@dataclass(frozen=True)
class Posted:
    comments: int = 0
    in_body: int = 0
    already: int = 0
    sticky: str = ""  # "created" | "updated" | ""
    problem: str = ""  # why something was not posted

    def note(self) -> str:
        said = f"{self.comments} in-line comment(s) and {self.in_body} finding(s) in the review body posted"
        if self.already:
            said += f"; {self.already} already reported on an earlier push"
        return said


def pr_hunks(files: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Hunk, ...]]:
    """New-side hunks per path from ``GET pulls/{n}/files`` (no ``patch``: binary or too large)."""
    out: dict[str, tuple[Hunk, ...]] = {}
    for item in files:
        patch, path = item.get("patch"), str(item.get("filename", ""))
        if not patch or not path or item.get("status") == "removed":
            continue
        out[path] = parse_hunks(f"--- a/f\n+++ b/f\n{patch}\n").get("f", ())
    return out


def place(f: Finding, hunks: Mapping[str, tuple[Hunk, ...]]) -> Comment | None:
    """The finding's lines within one hunk of its file, or None when no hunk has them."""
    path = changed_path(f.file, hunks)
    if path is None:
        return None
    lo, hi = f.line_start, max(f.line_start, f.line_end)
    for h in hunks[path]:
        start, end = max(lo, h.start), min(hi, h.end)
        if start <= end:
            return Comment(f.with_(file=path), end, start if start < end else None)
    return None


def plan(findings: Sequence[Finding], hunks: Mapping[str, tuple[Hunk, ...]], seen: set[str], max_comments: int) -> Plan:
    inline: list[Comment] = []
    in_body: list[Finding] = []
    already: list[Finding] = []
    for f in findings:
        if f.suppressed is not None:
            continue
        if f.fingerprint in seen:
            already.append(f)
            continue
        comment = place(f, hunks) if len(inline) < max_comments else None
        if comment is not None:
            inline.append(comment)
        else:
            in_body.append(f)
    return Plan(tuple(inline), tuple(in_body), tuple(already))


def seen_fingerprints(bodies: Iterable[str | None]) -> set[str]:
    return {fp for body in bodies if body for fp in _FP.findall(body)}


def comment_body(f: Finding, gating: bool) -> str:
    text = f"**[{f.severity}] {summary.cell(f.title)}**\n\n{summary.text(f.body)}"
    if f.recommendation:
        text += f"\n\n**Recommendation:** {summary.text(f.recommendation)}"
    tags = ["cc-review", *(["gating"] if gating else []), f"confidence {f.confidence:g}"]
    return f"{text}\n\n<sub>{' · '.join(tags)}</sub>\n{fp_marker(f)}"


def review_body(p: Plan, o: ReviewOutcome, label: str) -> str:
    title = summary.TITLES.get(o.mode, "Claude Code review") + (f" · {label}" if label else "")
    lines = [f"### {title}", "", f"**Gate: {summary.gate_label(o.gate.status)}** — {summary.text(o.gate.reason)}", ""]
    if p.inline:
        lines.append(f"{len(p.inline)} new finding(s) commented in-line.")
    if p.in_body:
        lines += ["", "Not in the diff's hunks (or over the comment limit), so listed here:", ""]
        lines += [
            f"- **[{f.severity}]** `{summary.cell(f.where)}` {summary.cell(f.title)} {fp_marker(f)}" for f in p.in_body
        ]
    if p.already:
        lines += ["", f"{len(p.already)} finding(s) reported on an earlier push are not repeated."]
    text, _ = fit(lines, BODY_LIMIT, "(list shortened: see the workflow run's summary)")
    return text


def post_review(api: GitHub, number: int, head_sha: str, o: ReviewOutcome, max_comments: int, label: str) -> Posted:
    """Post the new findings as one review (batched); a GitHub refusal becomes ``problem``."""
    try:
        hunks = pr_hunks(api.get_all(f"pulls/{number}/files"))
        bodies = [c.get("body") for c in api.get_all(f"pulls/{number}/comments")]
        bodies += [r.get("body") for r in api.get_all(f"pulls/{number}/reviews")]
        p = plan(o.findings, hunks, seen_fingerprints(bodies), max_comments)
        landed = _submit(api, number, head_sha, p, o, label) if p.inline or p.in_body else 0
    except GitHubError as e:
        return Posted(problem=_problem("post the review", e))
    return Posted(landed, len(p.in_body) + len(p.inline) - landed, len(p.already))


def _submit(api: GitHub, number: int, head_sha: str, p: Plan, o: ReviewOutcome, label: str) -> int:
    """Post ``p`` as reviews of at most ``BATCH`` comments; the number of in-line comments that landed.

    Should GitHub still refuse a batch (422: a line it does not consider part of the diff), the
    batch's findings go into that review's body instead.
    """
    gating = {f.fingerprint for f in o.gate.gating}
    batches = [p.inline[i : i + BATCH] for i in range(0, len(p.inline), BATCH)] or [()]
    landed = 0
    for i, batch in enumerate(batches):
        part = Plan(batch, p.in_body, p.already) if i == 0 else Plan(batch, (), ())
        comments = [c.to_api(c.finding.fingerprint in gating) for c in batch]
        try:
            _create_review(api, number, head_sha, review_body(part, o, label), comments)
            landed += len(batch)
        except GitHubError as e:
            if e.status != 422 or not comments:
                raise
            moved = Plan((), (*part.in_body, *(c.finding for c in batch)), part.already)
            _create_review(api, number, head_sha, review_body(moved, o, label), [])
    return landed


def _create_review(api: GitHub, number: int, head_sha: str, body: str, comments: list[dict[str, Any]]) -> None:
    payload: dict[str, Any] = {"event": "COMMENT", "body": body, "comments": comments}
    if head_sha:
        payload["commit_id"] = head_sha
    api.post(f"pulls/{number}/reviews", payload)


def upsert_sticky(api: GitHub, number: int, marker: str, body: str) -> Posted:
    """Create the summary comment, or edit the one that carries ``marker``."""
    text = f"{marker}\n{body}"
    try:
        existing = [c for c in api.get_all(f"issues/{number}/comments") if marker in str(c.get("body", ""))]
        if existing:
            api.patch(f"issues/comments/{existing[0]['id']}", {"body": text})
            return Posted(sticky="updated")
        api.post(f"issues/{number}/comments", {"body": text})
    except GitHubError as e:
        return Posted(problem=_problem("update the summary comment", e))
    return Posted(sticky="created")


def _problem(what: str, e: GitHubError) -> str:
    if e.status in (401, 403, 404):
        return (
            f"could not {what} ({e.status}: {e.message}): the token cannot write to this pull request "
            "(a fork's pull request gets a read-only token; otherwise grant `pull-requests: write`); "
            "the findings are in the annotations and the step summary"
        )
    return f"could not {what} ({e}); the findings are in the annotations and the step summary"
