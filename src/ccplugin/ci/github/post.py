"""Post the outcome to the pull request: the in-hunk review comments and the sticky summary comment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccplugin import git
from ccplugin.ci.github import pr, spend, summary, threads, workflow
from ccplugin.ci.github.event import Event
from ccplugin.ci.github.rest import DEFAULT_API, GitHub, GitHubError
from ccplugin.review import suggestion
from ccplugin.review.hunks import parse_hunks
from ccplugin.review.model import Finding, Hunk
from ccplugin.review.outcome import ReviewOutcome

if TYPE_CHECKING:
    from ccplugin.ci.runner import Options, Report


def post(o: ReviewOutcome, ev: Event, opts: Options, env: Mapping[str, str], report: Report) -> None:
    assert ev.pr is not None
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        report.notes.append("no `GITHUB_TOKEN`: no pull-request review was posted; see the annotations")
        return
    api, where = _api(ev, opts, env, token)
    if o.review is not None:
        report.posted = pr.post_review(api, where, o, _commit_hunks(o, ev, env), _applicable(o, ev, env))
        _problem(report.posted.problem, report)
        if report.posted.kind == "permission":  # a read-only token: the sticky comment would be refused as well
            return
        if not report.posted.problem:
            report.notes.append(report.posted.note())
    resolved = _resolve_stale(api, where, o, report)
    marker = pr.summary_marker(o.mode, opts.publish.label)
    try:
        comments = pr.issue_comments(api, where)
    except GitHubError as e:
        _problem(pr.problem_of("read the summary comments", e).problem, report)
        return
    before = _spent(comments, where, marker)
    cost = 0.0 if o.cached else o.cost_usd or 0.0
    said = spend.line(cost, before.total + cost, report.pr_cap, before.own)
    report.notes.append(said)
    ledger = before.own.add(where.head_sha, cost).marker()
    body = _sticky_body(o, env, [said, *([resolved] if resolved else [])]) + pr.head_marker(o)
    sticky = pr.upsert_sticky(api, where, marker, f"{body}\n{ledger}", comments)
    report.sticky = sticky.sticky
    _problem(sticky.problem, report)
    if api.waits.seconds:
        report.notes.append(api.waits.note())


def last_reviewed(ev: Event, opts: Options, env: Mapping[str, str]) -> str | None:
    """The head the Action's summary comment of this mode (and label) names; None when there is none or GitHub
    cannot be asked (the review is then a full one)."""
    api, where = _api(ev, opts, env, env.get("GITHUB_TOKEN", ""))
    try:
        return pr.reviewed_head(api, where, pr.summary_marker(opts.request.mode, opts.publish.label))
    except GitHubError:
        return None


def spent(ev: Event, opts: Options, env: Mapping[str, str]) -> float | None:
    """What this pull request's earlier runs cost (every shard, every push); None when it cannot be read."""
    assert ev.pr is not None
    api, where = _api(ev, opts, env, env.get("GITHUB_TOKEN", ""))
    try:
        return _spent(pr.issue_comments(api, where), where, "").total
    except GitHubError:
        return None


def _api(ev: Event, opts: Options, env: Mapping[str, str], token: str) -> tuple[GitHub, pr.Where]:
    assert ev.pr is not None
    api = GitHub(env.get("GITHUB_API_URL") or DEFAULT_API, token, ev.repository)
    login = opts.github_login or pr.DEFAULT_LOGIN
    return api, pr.Where(ev.pr.number, ev.pr.head_sha, login, opts.publish.label, opts.max_comments)


def _spent(comments: Sequence[Mapping[str, Any]], where: pr.Where, marker: str) -> spend.Spent:
    """The ledgers of the summary comments the Action wrote on the pull request (nobody else's count)."""
    return spend.spent(comments, marker, lambda c: pr.ours(c, where.login))


def _commit_hunks(o: ReviewOutcome, ev: Event, env: Mapping[str, str]) -> dict[str, tuple[Hunk, ...]] | None:
    """New-side hunks of the event's head commit against its merge base, from git (None: not in this clone)."""
    assert ev.pr is not None
    root, head = Path(o.target.repo_root or "."), ev.pr.head_sha
    base = ev.pr.base_sha or o.target.merge_base or ""
    if not head or not base or git.commit_of(root, head, env) != head:
        return None
    merge_base = git.merge_base(root, base, head, env)
    if merge_base is None:
        return None
    return parse_hunks(git.decode(git.patch(root, [merge_base, head], env).result().stdout))


def _resolve_stale(api: GitHub, where: pr.Where, o: ReviewOutcome, report: Report) -> str:
    """Resolve the Action's threads whose finding the new review no longer reports; the note said ("" if none).

    Only after a review (an error is no evidence that a finding is gone); a GraphQL refusal is a warning.
    """
    if o.review is None:
        return ""
    current = [f.fingerprint for f in o.findings if f.suppressed is None]
    source = pr.source_marker(o.mode, where.label)
    try:
        done = threads.resolve_stale(api, where.number, where.login, source, current)
    except GitHubError as e:
        _problem(f"could not resolve the review threads of fixed findings ({e}); the gate is unaffected", report)
        return ""
    if not (done.resolved or done.human or done.outdated_kept):
        return ""
    report.notes.append(done.note())
    return done.note()


def _applicable(o: ReviewOutcome, ev: Event, env: Mapping[str, str]) -> frozenset[str]:
    """Fingerprints of the findings whose suggestion applies cleanly to their file at the event's head commit."""
    assert ev.pr is not None
    root, head = Path(o.target.repo_root or "."), ev.pr.head_sha
    if not head or git.commit_of(root, head, env) != head:
        return frozenset()
    return frozenset(f.fingerprint for f in o.findings if f.suggestion and _applies_at(root, head, f, env))


def _applies_at(root: Path, head: str, f: Finding, env: Mapping[str, str]) -> bool:
    assert f.suggestion is not None
    data = git.file_at(root, head, f.file, env)
    try:
        text = data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return False
    return text is not None and suggestion.applies(text, f.line_start, f.line_end, f.suggestion)


def _problem(problem: str, report: Report) -> None:
    if problem:
        report.problems.append(problem)
        report.notes.append(problem)


def _sticky_body(o: ReviewOutcome, env: Mapping[str, str], extra: list[str]) -> str:
    run_id, repo = env.get("GITHUB_RUN_ID"), env.get("GITHUB_REPOSITORY")
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    notes = [f"[workflow run]({server}/{repo}/actions/runs/{run_id})"] if run_id and repo else []
    notes += extra
    blocks = [*summary.blocks(o, notes)[:-1]]
    text, _ = workflow.fit(blocks, pr.BODY_LIMIT, "_Shortened: the full list is in the workflow run's summary._")
    return text
