"""Only what is new: review the commits since the last reviewed head, carry the earlier findings that still apply.

Given ``since`` (the head an earlier review of this change saw), a branch review sends the model only
``since..head`` and carries forward the findings of that earlier review whose lines the new commits did
not touch, moved to where those lines are now and placed on the whole change's diff. The gate is over both.

Falls back to a full review, and says why, when: ``since`` is not in the clone; it is not an ancestor of
the head (a force-push); the change's merge base moved (a changed base, or the base merged in); there is
no new commit; the cache is off (``--no-cache``); or there is no stored record of a review of exactly
``merge_base..since`` under the same mode, focus, model, effort and path filter. The record is written by
this module after every branch review, into the review cache: in CI that cache is restored from this pull
request's and its base's entries only, and sealed with the cache secret when there is one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccplugin import git
from ccplugin.review import prompts
from ccplugin.review.cache import Cache
from ccplugin.review.hunks import classify, parse_hunks
from ccplugin.review.model import Finding, Hunk, ReviewResult
from ccplugin.review.paths import OUTSIDE
from ccplugin.review.target import Target
from ccplugin.review.values import Scope, Verdict

if TYPE_CHECKING:
    from ccplugin.review.engine import Prepared

_OLD = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@", re.MULTILINE)
Hunks = Mapping[str, tuple[Hunk, ...]]


@dataclass(frozen=True)
class Plan:
    """What the model reviews, and what is carried to the gate from the earlier review."""

    target: Target  # the incremental target (``since..head``), or the whole change
    since: str = ""  # the earlier head ("" : a full review)
    commits: int = 0  # new commits reviewed
    carried: tuple[Finding, ...] = ()
    hunks: Hunks | None = field(default=None, compare=False)  # the whole change's, to place findings on
    fallback: str = ""  # why a full review although ``since`` was given

    @property
    def incremental(self) -> bool:
        return bool(self.since)

    def summary(self) -> dict[str, Any]:
        if not (self.since or self.fallback):
            return {}
        return {"since": self.since, "commits": self.commits, "carried": len(self.carried), "fallback": self.fallback}


def plan(prep: Prepared, cache: Cache, env: Mapping[str, str] | None) -> Plan:
    """The incremental plan for ``prep.request.since``, or the whole change with the reason it is whole."""
    target, since = prep.target, (prep.request.since or "").strip()
    if not since or target.scope is not Scope.BRANCH or target.merge_base is None or target.head is None:
        return Plan(target)
    root = target.repo_root
    sha = git.commit_of(root, since, env)
    why = _refused(root, target, sha, since, env)
    if why:
        return Plan(target, fallback=why)
    assert sha is not None
    if not (prep.request.use_cache and prep.settings.cache):  # --no-cache never reads the cache
        return Plan(target, fallback="the cache is off, so the earlier review's findings cannot be read")
    record = cache.get(record_key(prep, target.merge_base, sha))
    if record is None or not isinstance(record.get("review"), dict):
        return Plan(target, fallback=f"no stored review of {sha[:12]} to carry findings from")
    earlier = ReviewResult.from_dict(record["review"]).findings
    whole = parse_hunks(git.decode(git.patch(root, [target.merge_base, target.head], env).result().stdout))
    commits = int(git.run(root, ["rev-list", "--count", f"{sha}..{target.head}"], env).out.strip() or 0)
    label = f"incremental diff {sha[:7]}..{target.head[:7]} ({commits} new commit(s)) of the {target.label}"
    incremental = replace(target, merge_base=sha, label=label)
    carried = carry(root, earlier, sha, target.head, whole, env)
    return Plan(incremental, sha, commits, carried, whole)


def _refused(root: Path, target: Target, sha: str | None, since: str, env: Mapping[str, str] | None) -> str:
    """Why ``since`` cannot start an incremental review ("": it can)."""
    assert target.head is not None and target.merge_base is not None
    if sha is None:
        return f"the last reviewed head {since[:40]} is not in this clone"
    if sha == target.head:
        return "no new commit since the last review"
    if git.run(root, ["merge-base", "--is-ancestor", sha, target.head], env, check=False).returncode != 0:
        return f"{sha[:12]} is not an ancestor of {target.head[:12]} (a force-push): the whole change is reviewed"
    if git.merge_base(root, sha, target.base_ref or target.merge_base, env) != target.merge_base:
        return "the base of the change moved since the last review: the whole change is reviewed"
    return ""


def record_key(prep: Prepared, merge_base: str, head: str) -> str:
    """The cache key of the record of a review of exactly ``merge_base..head`` under these settings."""
    s = prep.settings
    parts = {
        "record": "reviewed-head",
        "merge_base": merge_base,
        "head": head,
        "mode": prep.request.mode.value,
        "focus": prep.request.focus.strip(),
        "model": prep.model,
        "effort": prep.effort,
        "include": list(s.include + prep.request.include),
        "exclude": list(s.exclude + prep.request.exclude),
        "prompt": prompts.PROMPT_VERSION,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def remember(prep: Prepared, cache: Cache, result: ReviewResult, marked: Sequence[Finding]) -> None:
    """Record the findings of this review of the whole change (the next push carries them from here)."""
    target = prep.target
    if target.scope is not Scope.BRANCH or target.merge_base is None or target.head is None:
        return
    policy_edits = {f.fingerprint for f in marked}
    kept = tuple(f.with_(suppressed=None) for f in result.findings if f.fingerprint not in policy_edits)
    cache.put(record_key(prep, target.merge_base, target.head), {"review": replace(result, findings=kept).to_dict()})


def merged(result: ReviewResult, carried: Sequence[Finding], since: str) -> ReviewResult:
    """The new review's findings and the carried ones: what the gate judges."""
    if not carried:
        return result
    known = {f.fingerprint for f in result.findings}
    extra = tuple(f for f in carried if f.fingerprint not in known)
    said = f"{result.summary}\n\n({len(extra)} finding(s) carried forward from the review of {since[:12]}.)"
    return replace(result, verdict=Verdict.NEEDS_ATTENTION, summary=said.strip(), findings=result.findings + extra)


def carry(
    root: Path, earlier: Sequence[Finding], since: str, head: str, whole: Hunks, env: Mapping[str, str] | None
) -> tuple[Finding, ...]:
    """The earlier findings on lines ``since..head`` left alone, moved to their lines at ``head``."""
    out: list[Finding] = []
    olds: dict[str, list[tuple[int, int, int]] | None] = {}
    for f in earlier:
        if f.file == OUTSIDE:
            out.append(f)
            continue
        if f.file not in olds:
            olds[f.file] = _old_hunks(root, f.file, since, head, env)
        moved = _moved(f, olds[f.file])
        if moved is not None:
            out.append(moved.with_(location=classify(moved.file, moved.line_start, moved.line_end, whole)))
    return tuple(out)


def _old_hunks(
    root: Path, path: str, since: str, head: str, env: Mapping[str, str] | None
) -> list[tuple[int, int, int]] | None:
    """``(old start, old count, new count)`` of each hunk of ``path`` in ``since..head``; None: the new commits
    deleted or renamed it (a path in neither commit is left alone: nothing touched it)."""
    if not _exists(root, head, path, env):
        return None if _exists(root, since, path, env) else []
    args = ["diff", "--unified=0", "--no-renames", *git.DIFF_OPTIONS, since, head, "--", path]
    text = git.decode(git.run(root, args, env).stdout)
    out = []
    for m in _OLD.finditer(text):
        out.append((int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)))
    return out


def _exists(root: Path, rev: str, path: str, env: Mapping[str, str] | None) -> bool:
    return git.run(root, ["cat-file", "-e", f"{rev}:{path}"], env, check=False).returncode == 0


def _moved(f: Finding, hunks: list[tuple[int, int, int]] | None) -> Finding | None:
    """``f`` at its lines after the hunks, or None when a hunk touched them (or the file is gone)."""
    if hunks is None:
        return None
    lo, hi, shift = f.line_start, max(f.line_start, f.line_end), 0
    for start, old, new in hunks:
        first, last = (start, start + old - 1) if old else (start + 1, start)  # old == 0: inserted after ``start``
        if old and first <= hi and last >= lo:
            return None
        if not old and lo < first <= hi:  # lines inserted inside the range
            return None
        if last < lo:
            shift += new - old
    return f.with_(line_start=lo + shift, line_end=hi + shift) if shift else f
