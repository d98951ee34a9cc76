"""GitHub as a CI provider (see :mod:`ccplugin.ci.provider` for the contract).

The environment probes and the workflow event are cheap; posting to the pull request
(:mod:`ccplugin.ci.github.post`, which loads ``urllib.request``: ~25 ms) is imported when a
run posts, so ``ccplugin review`` and the pytest plugin pay only for the probes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ccplugin import git, output
from ccplugin.ci import fetch
from ccplugin.ci.github import event, reporters, summary, workflow
from ccplugin.ci.github.event import Event
from ccplugin.ci.provider import Change
from ccplugin.errors import CCError
from ccplugin.review.gate import GateStatus
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewError, ReviewOutcome
from ccplugin.review.target import BaseHint

if TYPE_CHECKING:
    from ccplugin.ci.runner import Options, Publish, Report
    from ccplugin.plugins import Plugins
    from ccplugin.rescue.worktree import Proposal

NAME = "github"
PLUGINS: tuple[object, ...] = (reporters,)  # what this provider adds to its runs' plugin manager
TRUNCATED = (
    "_The summary was cut to fit GitHub's 1 MiB step-summary limit; every finding is in the JUnit and SARIF files._"
)


def detects(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS", "").strip() == "true"


def base_hint(env: Mapping[str, str]) -> BaseHint | None:
    """``GITHUB_BASE_REF``: the base branch of the pull request a workflow runs for."""
    branch = env.get("GITHUB_BASE_REF", "").strip()
    return BaseHint(branch, "GITHUB_BASE_REF") if branch else None


def from_fork(env: Mapping[str, str]) -> bool:
    return event.from_fork(env)


def change(opts: Options, env: Mapping[str, str]) -> Change:
    ev = event.load(env, opts.event_path)
    fork = ev.pr is not None and ev.pr.fork
    unsafe = _fork_beside_secrets() if ev.name == "pull_request_target" and fork else None
    return Change(ev.base, ev.head_sha, fork, unsafe, _no_credentials(fork), ev, env.get("GITHUB_WORKSPACE"))


def _fork_beside_secrets() -> CCError:
    return CCError(
        "refusing to review a fork's pull request under `pull_request_target`: its code would run beside "
        "your secrets and a write token",
        "use the two-workflow pattern (examples/github/fork-safe-review.yml), or opt in with "
        "`--allow-pull-request-target` (action input `allow-pull-request-target: true`)",
    )


def _no_credentials(fork: bool) -> ReviewError:
    if fork:
        return ReviewError(
            "no-credentials",
            "not reviewed: no credentials on fork PRs",
            "GitHub gives a fork's pull_request run no secrets; use the two-workflow pattern to review forks",
        )
    return ReviewError(
        "no-credentials",
        "not reviewed: no Anthropic credentials",
        "pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the action (or set ANTHROPIC_API_KEY)",
    )


def event_of(c: Change) -> Event:
    assert isinstance(c.record, Event)  # this provider made the change
    return c.record


def ensure_history(root: Path, base: str, c: Change, env: Mapping[str, str]) -> str:
    """Fetch the base if the clone is shallow; ``origin/<base branch>`` when it still is the event's base commit."""
    fetch.ensure_base(root, base, env)
    ev = event_of(c)
    if ev.pr is None or base != ev.pr.base_sha or not ev.pr.base_ref:
        return base
    ref = f"origin/{ev.pr.base_ref}"
    return ref if git.commit_of(root, ref, env) == base else base


def last_reviewed(c: Change, opts: Options, env: Mapping[str, str]) -> str | None:
    """The head named by the Action's own summary comment on the pull request (never anyone else's)."""
    ev = event_of(c)
    if ev.pr is None or not opts.post_review or not env.get("GITHUB_TOKEN"):
        return None
    from ccplugin.ci.github import post  # only a run that posts loads the REST client

    return post.last_reviewed(ev, opts, env)


def report(o: ReviewOutcome, c: Change, opts: Options, env: Mapping[str, str], r: Report) -> None:
    """The pull-request review and the sticky summary comment, then the annotations."""
    ev = event_of(c)
    if ev.pr is not None and opts.post_review:
        from ccplugin.ci.github import post  # only a run that posts loads the REST client

        post.post(o, ev, opts, env, r)
    _annotate(o, c, r)


def spent(c: Change, opts: Options, env: Mapping[str, str]) -> float | None:
    """What the pull request's earlier runs cost, from the ledgers in the Action's own summary comments."""
    ev = event_of(c)
    if ev.pr is None or not env.get("GITHUB_TOKEN"):
        return None
    from ccplugin.ci.github import post  # the seam of report()

    return post.spent(ev, opts, env)


def notice(level: str, line: str, title: str) -> None:
    output.line(workflow.command(level, line, title=title))


def _annotate(o: ReviewOutcome, c: Change, report: Report) -> None:
    """The gate's own annotation, then why the review was not posted, then the findings, worst first.

    GitHub shows ten annotations of a type per step: the explanations come before the findings.
    """
    used: dict[str, int] = {}
    if o.error is not None:
        kind = "notice" if o.error.kind == "no-credentials" and c.fork else "error"
        notice(kind, o.error.line(), "cc-review not reviewed")
        used[kind] = 1
    elif o.gate.status is GateStatus.NOTHING:
        notice("notice", f"{o.gate.reason} (not a pass)", "cc-review nothing to review")
        used["notice"] = 1
    for problem in report.problems:
        notice("warning", problem, "cc-review pull-request review not posted")
        used["warning"] = used.get("warning", 0) + 1
    found = workflow.finding_annotations(o.findings, used)
    for line in found.lines:
        output.line(line)
    report.annotations, report.dropped = len(found.lines), dict(found.dropped)
    if found.dropped_total:
        report.notes.append(
            f"{found.dropped_total} finding(s) not shown as annotations (GitHub shows at most "
            f"{workflow.PER_TYPE_LIMIT} per type per step); all are in the table below"
        )


def publish(
    o: ReviewOutcome, r: Report, files: Publish, env: Mapping[str, str], c: Change | None, hooks: Plugins
) -> None:
    """Step summary, step outputs and the log."""
    if r.rescue_line:
        r.notes.append(summary.text(r.rescue_line))
    blocks = summary.blocks(o, r.notes, label=files.label, link=None if c is None else _linker(event_of(c), o, env))
    if not workflow.append_summary(env.get("GITHUB_STEP_SUMMARY"), blocks, TRUNCATED):
        r.notes.append("step summary shortened to fit 1 MiB")
    workflow.set_outputs(env.get("GITHUB_OUTPUT"), outputs(o, files, r.rescue))
    if files.as_json:
        output.json_out({**o.to_dict(), "ci": r.to_dict()})
        return
    with workflow.commands_stopped():
        output.write(hooks.render(o, "markdown"))
    output.line(f"cc-review gate: {o.gate.status.value} (exit {o.gate.exit_code}) — {o.gate.reason}")
    if r.rescue is not None:
        output.line(r.rescue.summary())


def _linker(ev: Event, o: ReviewOutcome, env: Mapping[str, str]) -> summary.Link | None:
    sha = ev.head_sha or o.target.head
    if not sha or not ev.repository:
        return None
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"

    def link(f: Finding) -> str:
        end = f"-L{f.line_end}" if f.line_end > f.line_start else ""
        return f"{server}/{ev.repository}/blob/{sha}/{quote(f.file)}#L{f.line_start}{end}"

    return link


def outputs(o: ReviewOutcome, files: Publish, rescued: Proposal | None = None) -> dict[str, str]:
    return {
        "gate": o.gate.status.value,
        "verdict": o.review.verdict if o.review else "",
        "findings-count": str(len(o.findings)),
        "gating-count": str(len(o.gate.gating)),
        "junit-path": files.junit or "",
        "sarif-path": files.sarif or "",
        "result-path": files.result_json or "",
        "cost-usd": "" if o.cost_usd is None else f"{o.cost_usd:.6f}",
        "job-id": o.job_id or "",
        "rescue-patch": str(rescued.patch) if rescued and rescued.patch else "",
        "rescue-notes": str(rescued.notes) if rescued else "",
    }
