"""`ccplugin ci github`: review a pull request inside GitHub Actions and report it every way GitHub reads.

In order: read the event; refuse a fork's code under ``pull_request_target`` unless the user
opted in; fetch the base if the clone is shallow; review (a tracked job, exactly like
``ccplugin review``) unless there are no Anthropic credentials, which is the gate ERROR "not
reviewed"; write the JUnit, SARIF and result files; print annotations; post the pull-request
review and the sticky summary comment; with ``--rescue-on-failure`` and a FAIL gate, propose a
fix of the gating findings from a temporary git worktree (``cc-rescue.patch``, ``cc-rescue.md``;
the checkout is never touched); write the step summary and the step outputs. The exit code is
the gate's (``on_error`` decides what an ERROR exits with); a rescue never changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ccplugin import git, output, plugins, rescue_worktree
from ccplugin.ci import event, fetch, pr, summary, workflow
from ccplugin.ci.event import Event
from ccplugin.ci.rest import DEFAULT_API, GitHub
from ccplugin.cli import common
from ccplugin.errors import CCError, Exit
from ccplugin.redact import redact
from ccplugin.report import sarif
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.gate import GateStatus
from ccplugin.review.hunks import parse_hunks
from ccplugin.review.model import Finding, Hunk
from ccplugin.review.outcome import ReviewError, ReviewOutcome

CREDENTIALS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)
MAX_RESCUE_TASK_CHARS = 24000
TRUNCATED = (
    "_The summary was cut to fit GitHub's 1 MiB step-summary limit; every finding is in the JUnit and SARIF files._"
)


@dataclass(frozen=True)
class Publish:
    """Where the JUnit, SARIF and result (for `ci merge`) files go (None: not written), and how to print."""

    junit: str | None = None
    sarif: str | None = None
    result_json: str | None = None
    label: str = ""  # names a shard in titles and in the sticky comment's marker
    as_json: bool = False


@dataclass(frozen=True)
class Options:
    request: engine.ReviewRequest  # the review flags; scope and base are set from the event
    publish: Publish = Publish()
    post_review: bool = True
    max_comments: int = 20
    allow_pull_request_target: bool = False
    event_path: str | None = None  # an event file the workflow wrote (fork-safe pattern)
    rescue_on_failure: bool = False
    rescue_dir: str | None = None  # default: $GITHUB_WORKSPACE, else the repository root
    github_login: str = pr.DEFAULT_LOGIN  # who the token posts as: only its comments count


@dataclass
class Report:
    """What happened on the GitHub side, for the summary and ``--json``."""

    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the review or summary was not posted
    annotations: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    posted: pr.Posted | None = None
    sticky: str = ""
    rescue: rescue_worktree.Proposal | None = None

    def to_dict(self) -> dict[str, Any]:
        posted = vars(self.posted) if self.posted else None
        return {
            "notes": self.notes,
            "annotations": self.annotations,
            "annotations_dropped": self.dropped,
            "review": posted,
            "sticky": self.sticky,
            "rescue": self.rescue.to_dict() if self.rescue else None,
        }


def run(opts: Options, env: Mapping[str, str]) -> int:
    ev = event.load(env, opts.event_path)
    _refuse_untrusted(ev, opts)
    prep = _prepare(opts, ev, env)
    outcome = _review(prep, ev, env)
    write_files(outcome, opts.publish)
    report = Report()
    if ev.pr is not None and opts.post_review:
        _post(outcome, ev, opts, env, report)
    _annotate(outcome, ev, report)
    if opts.rescue_on_failure and outcome.gate.status is GateStatus.FAIL:
        _rescue(outcome, prep, opts, env, report, ev)
    return publish(outcome, report, opts.publish, env, _linker(ev, outcome, env))


def publish(o: ReviewOutcome, report: Report, opts: Publish, env: Mapping[str, str], link: summary.Link | None) -> int:
    """Step summary, step outputs and the log; the gate's exit code."""
    blocks = summary.blocks(o, report.notes, label=opts.label, link=link)
    if not workflow.append_summary(env.get("GITHUB_STEP_SUMMARY"), blocks, TRUNCATED):
        report.notes.append("step summary shortened to fit 1 MiB")
    workflow.set_outputs(env.get("GITHUB_OUTPUT"), outputs(o, opts, report.rescue))
    _print(o, report, opts.as_json)
    return exit_code(o)


def exit_code(o: ReviewOutcome) -> int:
    """The gate's exit code, except that nothing to review does not fail the check.

    A pull request whose changes are all excluded (docs only, say) must not turn red; the
    `gate` output says `nothing`, and the annotation and summary say it is not a pass.
    """
    return Exit.OK if o.gate.status is GateStatus.NOTHING else o.gate.exit_code


def _refuse_untrusted(ev: Event, opts: Options) -> None:
    if ev.name == "pull_request_target" and ev.pr is not None and ev.pr.fork and not opts.allow_pull_request_target:
        raise CCError(
            "refusing to review a fork's pull request under `pull_request_target`: its code would run beside "
            "your secrets and a write token",
            "use the two-workflow pattern (examples/github/fork-safe-review.yml), or opt in with "
            "`--allow-pull-request-target` (action input `allow-pull-request-target: true`)",
        )


def _prepare(opts: Options, ev: Event, env: Mapping[str, str]) -> engine.Prepared:
    base = opts.request.base or ev.base
    if not base:
        raise CCError("the event names no base to compare against", "pass `--base <branch or sha>`")
    root = Path(opts.request.cwd)
    fetch.ensure_base(root, base, env)
    # no resume is offered in CI: no Claude session transcript is left on the runner
    request = replace(opts.request, scope="branch", base=_named(root, base, ev, env), persist_session=False)
    return engine.prepare(request)


def _named(root: Path, base: str, ev: Event, env: Mapping[str, str]) -> str:
    """``origin/<base branch>`` when it still points at the event's base commit (a readable label)."""
    if ev.pr is None or base != ev.pr.base_sha or not ev.pr.base_ref:
        return base
    ref = f"origin/{ev.pr.base_ref}"
    return ref if git.commit_of(root, ref, env) == base else base


def _review(prep: engine.Prepared, ev: Event, env: Mapping[str, str]) -> ReviewOutcome:
    if not any(env.get(name) for name in CREDENTIALS):
        return engine.not_reviewed(prep, _no_credentials(ev))
    store = common.open_store()
    try:
        job = common.create_review_job(store, prep)
        job = common.run_here(store, job, review_job.executor(prep), prep.settings.keep_jobs)
    finally:
        store.close()
    if job.result is None:
        return engine.not_reviewed(prep, ReviewError("job-failed", f"could not review: {job.error}"), job.id)
    return ReviewOutcome.from_dict(job.result)


def _no_credentials(ev: Event) -> ReviewError:
    if ev.pr is not None and ev.pr.fork:
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


def write_files(o: ReviewOutcome, files: Publish) -> None:
    if files.junit:
        _write(files.junit, plugins.host().render(o, "junit"))
    if files.sarif:  # its code-scanning category names the shard, so shards' uploads do not collide
        _write(files.sarif, sarif.render(o, files.label))
    if files.result_json:
        _write(files.result_json, json.dumps({**o.to_dict(), "label": files.label}, indent=2) + "\n")


def _write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(redact(text), encoding="utf-8")


def _annotate(o: ReviewOutcome, ev: Event, report: Report) -> None:
    """The gate's own annotation, then why the review was not posted, then the findings, worst first.

    GitHub shows ten annotations of a type per step: the explanations come before the findings.
    """
    used: dict[str, int] = {}
    if o.error is not None:
        kind = "notice" if o.error.kind == "no-credentials" and ev.pr is not None and ev.pr.fork else "error"
        output.line(workflow.command(kind, o.error.line(), title="cc-review not reviewed"))
        used[kind] = 1
    elif o.gate.status is GateStatus.NOTHING:
        output.line(workflow.command("notice", f"{o.gate.reason} (not a pass)", title="cc-review nothing to review"))
        used["notice"] = 1
    for problem in report.problems:
        output.line(workflow.command("warning", problem, title="cc-review pull-request review not posted"))
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


def _post(o: ReviewOutcome, ev: Event, opts: Options, env: Mapping[str, str], report: Report) -> None:
    assert ev.pr is not None
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        report.notes.append("no `GITHUB_TOKEN`: no pull-request review was posted; see the annotations")
        return
    api = GitHub(env.get("GITHUB_API_URL") or DEFAULT_API, token, ev.repository)
    where = pr.Where(ev.pr.number, ev.pr.head_sha, opts.github_login, opts.publish.label, opts.max_comments)
    if o.review is not None:
        report.posted = pr.post_review(api, where, o, _commit_hunks(o, ev, env))
        _problem(report.posted.problem, report)
        if report.posted.kind == "permission":  # a read-only token: the sticky comment would be refused as well
            return
        if not report.posted.problem:
            report.notes.append(report.posted.note())
    sticky = pr.upsert_sticky(api, where, pr.summary_marker(o.mode, opts.publish.label), _sticky_body(o, env))
    report.sticky = sticky.sticky
    _problem(sticky.problem, report)
    if api.waits.seconds:
        report.notes.append(api.waits.note())


def _commit_hunks(o: ReviewOutcome, ev: Event, env: Mapping[str, str]) -> dict[str, tuple[Hunk, ...]] | None:
    """New-side hunks of the event's head commit against its merge base, from git (None: not in this clone)."""
    assert ev.pr is not None
    root, head = Path(str(o.target.get("repo_root") or ".")), ev.pr.head_sha
    base = ev.pr.base_sha or str(o.target.get("merge_base") or "")
    if not head or not base or git.commit_of(root, head, env) != head:
        return None
    merge_base = git.merge_base(root, base, head, env)
    if merge_base is None:
        return None
    return parse_hunks(git.decode(git.patch(root, [merge_base, head], env).result().stdout))


def _problem(problem: str, report: Report) -> None:
    if problem:
        report.problems.append(problem)
        report.notes.append(problem)


def _rescue(
    o: ReviewOutcome, prep: engine.Prepared, opts: Options, env: Mapping[str, str], report: Report, ev: Event
) -> None:
    """Propose a fix of the gating findings from a worktree; whatever happens, the gate stands.

    Never for a fork's pull request: the rescue runs the change's code (its tests), and this
    workflow holds secrets.
    """
    if ev.pr is not None and ev.pr.fork:
        output.line(workflow.command("notice", event.FORK_RESCUE_REFUSED, title="cc-rescue not run"))
        report.notes.append(event.FORK_RESCUE_REFUSED)
        return
    out_dir = Path(opts.rescue_dir or env.get("GITHUB_WORKSPACE") or prep.target.repo_root)
    request = rescue_worktree.Request(
        repo_root=prep.target.repo_root,
        out_dir=out_dir,
        task=rescue_task(o),
        env=env,
        model=opts.request.model,
        effort=opts.request.effort,
        timeout=opts.request.timeout,
        echo=output.progress,
    )
    try:
        report.rescue = rescue_worktree.propose(request)
        line, problem = report.rescue.summary(), report.rescue.error
    except CCError as e:
        line = problem = f"cc-rescue could not run: {e.line()}"
    if problem:
        output.line(workflow.command("warning", line, title="cc-rescue could not run"))
    report.notes.append(summary.text(line))


def rescue_task(o: ReviewOutcome) -> str:
    """The gating findings, worst first, as the rescue's task."""
    head = (
        f"The code review of this pull request failed its gate with {len(o.gate.gating)} blocking finding(s), "
        "listed below worst first. Fix them with the smallest change to the code; do not weaken or delete "
        "tests, and leave a finding you judge wrong unfixed and say why."
    )
    return f"{head}\n\n{rescue_worktree.findings_text(o.gate.gating)}"[:MAX_RESCUE_TASK_CHARS]


def _sticky_body(o: ReviewOutcome, env: Mapping[str, str]) -> str:
    run_id, repo = env.get("GITHUB_RUN_ID"), env.get("GITHUB_REPOSITORY")
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    notes = [f"[workflow run]({server}/{repo}/actions/runs/{run_id})"] if run_id and repo else []
    blocks = [*summary.blocks(o, notes)[:-1]]
    text, _ = workflow.fit(blocks, pr.BODY_LIMIT, "_Shortened: the full list is in the workflow run's summary._")
    return text


def _linker(ev: Event, o: ReviewOutcome, env: Mapping[str, str]) -> summary.Link | None:
    sha = ev.head_sha or o.target.get("head")
    if not sha or not ev.repository:
        return None
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"

    def link(f: Finding) -> str:
        end = f"-L{f.line_end}" if f.line_end > f.line_start else ""
        return f"{server}/{ev.repository}/blob/{sha}/{quote(f.file)}#L{f.line_start}{end}"

    return link


def outputs(o: ReviewOutcome, files: Publish, rescued: rescue_worktree.Proposal | None = None) -> dict[str, str]:
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


def _print(o: ReviewOutcome, report: Report, as_json: bool) -> None:
    if as_json:
        output.json_out({**o.to_dict(), "ci": report.to_dict()})
        return
    with workflow.commands_stopped():
        output.write(plugins.host().render(o, "markdown"))
    output.line(f"cc-review gate: {o.gate.status.value} (exit {o.gate.exit_code}) — {o.gate.reason}")
    if report.rescue is not None:
        output.line(report.rescue.summary())
