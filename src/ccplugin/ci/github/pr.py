"""The pull-request review: in-hunk comments only, deduplicated across pushes, plus one sticky comment.

Each finding's lines are checked against the hunks of the commit the review names (see below),
because GitHub refuses the whole review (422) when one comment is outside the diff. Findings
that fit are in-line comments (worst first, at most ``max_comments``); the others are listed
in the review body. Every comment and body line carries a hidden fingerprint marker, so a
later push finds what was already said, in current and outdated comments alike, and does not
say it again. One summary comment per mode (and shard) is found by its marker and edited in
place. A token that may not write (fork pull requests) is a 403: the caller falls back to the
annotations, which need no token.

Only what the Action itself wrote counts: a comment, review or summary comment is read for
markers (and edited) only when its author's ``user.login`` is the login the Action posts as
(:attr:`Where.login`, ``--github-login``: ``github-actions[bot]`` for the workflow's
``GITHUB_TOKEN``, ``<app-slug>[bot]`` for a GitHub App's token). ``GET /user`` cannot say it: an
installation token is refused there. Logins ending in ``[bot]`` cannot be taken by a person.

Comments are placed against the diff of the commit they name (``commit_id``): the caller gives
that diff's hunks from git; without them, the pull request's files are used only while GitHub
still says its head is that commit. Every body fits GitHub's 65,536 characters, a cut one says
so; a comment GitHub still refuses (422) is isolated by halving the batch, and only it moves to
a review body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ccplugin.ci.github import summary
from ccplugin.ci.github.rest import GitHub, GitHubError
from ccplugin.ci.github.workflow import fit
from ccplugin.jobs import kinds
from ccplugin.review.hunks import changed_path, parse_hunks
from ccplugin.review.model import Finding, Hunk
from ccplugin.review.outcome import ReviewOutcome

BATCH = 30  # comments per review request (more trips GitHub's abuse detection)
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
COMMENT_MAX = 65_536  # characters GitHub accepts in one comment body
DEFAULT_LOGIN = "github-actions[bot]"  # who the workflow's GITHUB_TOKEN writes as
ISOLATION_TRIES = 12  # refused review requests spent on one batch to find the comments GitHub refuses
CONTINUED = "More in-line comments of this review (GitHub refused one of a larger batch)."
ProblemKind = Literal["", "permission", "rate-limit", "other"]
_FP = re.compile(r"<!-- ccplugin:fp=([0-9a-f]{8,64}) -->")
_HEAD = re.compile(r"<!-- ccplugin:head=([0-9a-f]{40,64}) -->")


def fp_marker(f: Finding) -> str:
    return f"<!-- ccplugin:fp={f.fingerprint} -->"


def summary_marker(mode: str, label: str = "") -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", label)
    return f"<!-- ccplugin:summary:{mode}{':' + safe if safe else ''} -->"


def source_marker(mode: str, label: str = "") -> str:
    """Which run (mode and shard) wrote an in-line comment: only that run's later reviews may resolve its thread."""
    return summary_marker(mode, label).replace("ccplugin:summary:", "ccplugin:from:", 1)


@dataclass(frozen=True)
class Where:
    """The pull request a review goes to, the commit its comments name, and who the Action posts as."""

    number: int
    head_sha: str
    login: str = DEFAULT_LOGIN
    label: str = ""
    max_comments: int = 20


def ours(item: Mapping[str, Any], login: str) -> bool:
    """Written by ``login`` (a deleted user's ``user`` is null)."""
    user = item.get("user")
    return isinstance(user, Mapping) and user.get("login") == login


@dataclass(frozen=True)
class Comment:
    """One in-line comment: a finding anchored to lines of one hunk on the new side."""

    finding: Finding
    line: int
    start_line: int | None = None
    applies: bool = False  # its suggestion applies to the file at the commit (post.py checked)

    @property
    def whole(self) -> bool:
        """The comment covers all of the finding's lines (so a suggestion block replaces exactly them)."""
        return (self.start_line or self.line) == self.finding.line_start and self.line == self.finding.line_end

    def to_api(self, gating: bool, source: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.finding.file, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None:
            out |= {"start_line": self.start_line, "start_side": "RIGHT"}
        return out | {"body": comment_body(self.finding, gating, source, block=self.applies and self.whole)}


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
    sticky: Literal["created", "updated", ""] = ""
    problem: str = ""  # why something was not posted
    kind: ProblemKind = ""
    moved: bool = False  # the pull request moved past the reviewed commit: nothing could go in-line

    def note(self) -> str:
        said = f"{self.comments} in-line comment(s) and {self.in_body} finding(s) in the review body posted"
        if self.already:
            said += f"; {self.already} already reported on an earlier push"
        if self.moved:
            said += " (the pull request moved past the reviewed commit, so none could be placed in-line)"
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


def plan(
    findings: Sequence[Finding],
    hunks: Mapping[str, tuple[Hunk, ...]],
    seen: set[str],
    max_comments: int,
    applicable: frozenset[str] = frozenset(),
) -> Plan:
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
            inline.append(replace(comment, applies=f.fingerprint in applicable))
        else:
            in_body.append(f)
    return Plan(tuple(inline), tuple(in_body), tuple(already))


def seen_fingerprints(bodies: Iterable[str | None]) -> set[str]:
    return {fp for body in bodies if body for fp in _FP.findall(body)}


def comment_body(f: Finding, gating: bool, source: str = "", *, block: bool = False) -> str:
    """The comment; its suggestion as a committable ``suggestion`` block when ``block``, else as a ``diff``."""
    text = f"**[{f.severity}] {summary.cell(f.title)}**\n\n{summary.text(f.body)}"
    if f.recommendation:
        text += f"\n\n**Recommendation:** {summary.text(f.recommendation)}"
    tags = ["cc-review", f.baseline.value, *(["gating"] if gating else []), f"confidence {f.confidence:g}"]
    # the suggestion goes in the tail, which a cut keeps whole: a fence is never cut in half
    return capped(text, summary.suggested(f, block) + f"\n\n<sub>{' · '.join(tags)}</sub>\n{source}{fp_marker(f)}")


def capped(text: str, tail: str, limit: int = COMMENT_MAX) -> str:
    """``text`` then ``tail`` in at most ``limit`` characters: the tail (tags, marker) whole, a cut text says so."""
    if len(text) + len(tail) <= limit:
        return text + tail
    note = (
        f"\n\n_… cut to fit GitHub's {limit:,}-character limit ({len(text):,} characters): "
        "the whole finding is in the workflow run's summary and the SARIF file._"
    )
    return text[: max(0, limit - len(tail) - len(note))] + note + tail


def _listed(f: Finding) -> str:
    return f"- **[{f.severity}]** `{summary.cell(f.where)}` {summary.cell(f.title)} ({f.baseline.value}) {fp_marker(f)}"


def review_body(p: Plan, o: ReviewOutcome, label: str) -> str:
    title = kinds.of_mode(o.mode).report_title + (f" · {label}" if label else "")
    lines = [f"### {title}", "", f"**Gate: {summary.gate_label(o.gate.status)}** — {summary.text(o.gate.reason)}", ""]
    if p.inline:
        lines.append(f"{len(p.inline)} new finding(s) commented in-line.")
    if p.in_body:
        lines += ["", "Not in the diff's hunks (or over the comment limit), so listed here:", ""]
        lines += [_listed(f) for f in p.in_body]
    if p.already:
        lines += ["", f"{len(p.already)} finding(s) reported on an earlier push are not repeated."]
    text, _ = fit(lines, BODY_LIMIT, "(list shortened: see the workflow run's summary)")
    return text


Hunks = Mapping[str, tuple[Hunk, ...]]


def post_review(
    api: GitHub, where: Where, o: ReviewOutcome, local: Hunks | None, applicable: frozenset[str] = frozenset()
) -> Posted:
    """Post the new findings as one review (batched); a GitHub refusal becomes ``problem``.

    ``local`` is the diff of ``where.head_sha`` from git (None when the checkout lacks that commit);
    ``applicable`` the findings whose suggestion applies to their file at that commit.
    """
    try:
        hunks = local if local is not None else commit_hunks(api, where)
        seen = seen_fingerprints(_our_bodies(api, where))
        p = plan(o.findings, hunks or {}, seen, where.max_comments, applicable)
        landed = _submit(api, where, p, o) if p.inline or p.in_body else 0
    except GitHubError as e:
        return _problem("post the review", e)
    return Posted(landed, len(p.in_body) + len(p.inline) - landed, len(p.already), moved=hunks is None)


def commit_hunks(api: GitHub, where: Where) -> dict[str, tuple[Hunk, ...]] | None:
    """The hunks of ``where.head_sha`` from the pull request's files, or None once its head moved on.

    GitHub lists the files of the current head only, so the head is checked before and after.
    """
    if where.head_sha and _head(api, where.number) != where.head_sha:
        return None
    files = api.get_all(f"pulls/{where.number}/files")
    if where.head_sha and _head(api, where.number) != where.head_sha:
        return None
    return pr_hunks(files)


def _head(api: GitHub, number: int) -> str:
    pull = api.get(f"pulls/{number}")
    head = pull.get("head") if isinstance(pull, Mapping) else None
    return str(head.get("sha") or "") if isinstance(head, Mapping) else ""


def _our_bodies(api: GitHub, where: Where) -> list[str | None]:
    """Bodies of the review comments and reviews the Action wrote (nobody else's markers count)."""
    items = api.get_all(f"pulls/{where.number}/comments") + api.get_all(f"pulls/{where.number}/reviews")
    return [item.get("body") for item in items if isinstance(item, Mapping) and ours(item, where.login)]


def _submit(api: GitHub, where: Where, p: Plan, o: ReviewOutcome) -> int:
    """Post ``p`` as reviews of at most ``BATCH`` comments; the number of in-line comments that landed.

    The first review carries the body. A comment GitHub refuses (422) is isolated by halving its
    batch; the refused ones are listed in one more review's body.
    """
    gating, source = {f.fingerprint for f in o.gate.gating}, source_marker(o.mode, where.label)
    batches = [p.inline[i : i + BATCH] for i in range(0, len(p.inline), BATCH)] or [()]
    body, refused = review_body(p, o, where.label), list[Comment]()
    for batch in batches:
        payloads = [(c, c.to_api(c.finding.fingerprint in gating, source)) for c in batch]
        isolated, body = _isolate(api, where, body, payloads)
        refused += isolated
    if refused:
        _create_review(api, where, review_body(Plan((), tuple(c.finding for c in refused), ()), o, where.label), [])
    return len(p.inline) - len(refused)


def _isolate(
    api: GitHub, where: Where, body: str, batch: Sequence[tuple[Comment, dict[str, Any]]]
) -> tuple[list[Comment], str]:
    """Post ``batch``, halving it while GitHub refuses it (422): (the refused comments, ``body`` if never posted).

    On the first refusal the body goes alone: when GitHub refuses that too, the comments are not
    the problem and the error stands. At most ``ISOLATION_TRIES`` refusals; then what is left is refused whole.
    """
    pending, refused, tries = [list(batch)], list[Comment](), ISOLATION_TRIES
    while pending:
        part = pending.pop(0)
        try:
            _create_review(api, where, body or CONTINUED, [payload for _, payload in part])
            body = ""
            continue
        except GitHubError as e:
            if e.status != 422 or not part:
                raise
        if body:
            _create_review(api, where, body, [])
            body = ""
        tries -= 1
        if tries <= 0:  # enough: what is left is refused whole
            refused += [c for chunk in (part, *pending) for c, _ in chunk]
            break
        if len(part) == 1:
            refused.append(part[0][0])
            continue
        half = len(part) // 2
        pending[:0] = [part[:half], part[half:]]
    return refused, body


def _create_review(api: GitHub, where: Where, body: str, comments: list[dict[str, Any]]) -> None:
    payload: dict[str, Any] = {"event": "COMMENT", "body": body, "comments": comments}
    if where.head_sha:
        payload["commit_id"] = where.head_sha
    api.post(f"pulls/{where.number}/reviews", payload)


def head_marker(o: ReviewOutcome) -> str:
    """The head a completed branch review saw, for the next push's incremental review ("" for any other)."""
    head = o.target.head
    if o.review is None or o.error is not None or o.target.scope != "branch" or not head:
        return ""
    return f"\n<!-- ccplugin:head={head} -->"


def reviewed_head(api: GitHub, where: Where, marker: str) -> str | None:
    """The head named in the Action's own summary comment carrying ``marker`` (a person's comment never counts)."""
    for c in api.get_all(f"issues/{where.number}/comments"):
        body = str(c.get("body") or "") if isinstance(c, Mapping) else ""
        if ours(c, where.login) and body.startswith(marker):
            found = _HEAD.search(body)
            return found.group(1) if found else None
    return None


def upsert_sticky(
    api: GitHub, where: Where, marker: str, body: str, comments: Sequence[Mapping[str, Any]] | None = None
) -> Posted:
    """Create the summary comment, or edit the one the Action wrote that carries ``marker``.

    ``comments``: the pull request's issue comments, when the caller has just read them."""
    text = f"{marker}\n{body}"
    try:
        if comments is None:
            comments = issue_comments(api, where)
        existing = [c for c in comments if ours(c, where.login) and marker in str(c.get("body", ""))]
        if existing:
            api.patch(f"issues/comments/{existing[0]['id']}", {"body": text})
            return Posted(sticky="updated")
        api.post(f"issues/{where.number}/comments", {"body": text})
    except GitHubError as e:
        return _problem("update the summary comment", e)
    return Posted(sticky="created")


def issue_comments(api: GitHub, where: Where) -> list[Mapping[str, Any]]:
    return [c for c in api.get_all(f"issues/{where.number}/comments") if isinstance(c, Mapping)]


def problem_of(what: str, e: GitHubError) -> Posted:
    """What a GitHub refusal means for ``what`` (could not …), as the caller reports it."""
    return _problem(what, e)


def _problem(what: str, e: GitHubError) -> Posted:
    if e.rate_limited or e.status == 429:
        said = (
            f"could not {what}: GitHub's rate limit held ({e.status}: {e.message}); the findings are in the "
            "annotations and the step summary; re-run the job later to post them"
        )
        return Posted(problem=said, kind="rate-limit")
    if e.status in (401, 403, 404):
        said = (
            f"could not {what} ({e.status}: {e.message}): the token cannot write to this pull request "
            "(a fork's pull request gets a read-only token; otherwise grant `pull-requests: write`); "
            "the findings are in the annotations and the step summary"
        )
        return Posted(problem=said, kind="permission")
    return Posted(
        problem=f"could not {what} ({e}); the findings are in the annotations and the step summary", kind="other"
    )
