"""`ccplugin ci <provider>`: review the change a CI run is for, and report it every way the provider reads.

In order: read the change (the provider); refuse a fork's code beside secrets unless the user
opted in; make sure the base's history is there (the provider); review (a tracked job, exactly
like ``ccplugin review``) unless there are no Anthropic credentials, which is the gate ERROR
"not reviewed"; write the report files (JUnit, SARIF, the result for `ci merge`, each
``--report``); tell the change (the provider: annotations, the pull-request review, the sticky
summary comment); with ``--rescue-on-failure`` and a FAIL gate, propose a fix of the gating
findings from a temporary git worktree (``cc-rescue.patch``, ``cc-rescue.md``; the checkout is
never touched); publish the run's summary and outputs (the provider). The exit code is the
gate's (``on_error`` decides what an ERROR exits with); a rescue never changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccplugin import files, output, paths, plugins
from ccplugin.ci.provider import FORK_RESCUE_REFUSED, Change, Provider
from ccplugin.claude.env import billed_per_token
from ccplugin.claude.types import FailureKind
from ccplugin.errors import CCError, Exit
from ccplugin.jobs import service
from ccplugin.redact import redact
from ccplugin.report import sarif
from ccplugin.report.select import Selected
from ccplugin.rescue import worktree as rescue_worktree
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.gate import GateStatus
from ccplugin.review.outcome import ReviewError, ReviewOutcome

if TYPE_CHECKING:
    from ccplugin.ci.github.pr import Posted

CREDENTIALS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)
MAX_RESCUE_TASK_CHARS = 24000


@dataclass(frozen=True)
class Publish:
    """Where the report files go (None: not written), and how to print."""

    junit: str | None = None
    sarif: str | None = None
    result_json: str | None = None
    label: str = ""  # names a shard in titles and in the sticky comment's marker
    as_json: bool = False
    reports: tuple[Selected, ...] = ()  # each --report FORMAT=PATH


@dataclass(frozen=True)
class Options:
    request: engine.ReviewRequest  # the review flags; scope and base are set from the change
    publish: Publish = Publish()
    post_review: bool = True
    max_comments: int = 20
    allow_pull_request_target: bool = False  # review a fork's code beside secrets anyway
    event_path: str | None = None  # an event file the workflow wrote (fork-safe pattern)
    rescue_on_failure: bool = False
    rescue_dir: str | None = None  # default: the provider's workspace, else the repository root
    github_login: str = ""  # who the token posts as (default: the provider's bot); only its comments count


@dataclass
class Report:
    """What happened on the provider's side, for the summary and ``--json``."""

    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the review or summary was not posted
    annotations: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    posted: Posted | None = None
    sticky: str = ""
    pr_cap: float | None = None  # the pull request's cost cap, when one is set (for the spend line)
    rescue: rescue_worktree.Proposal | None = None
    rescue_line: str = ""  # what the rescue did, for the summary's notes (the provider escapes it)

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


def run(provider: Provider, opts: Options, env: Mapping[str, str]) -> int:
    hooks = plugins.host(*provider.PLUGINS)
    hooks.check_reports(opts.publish.reports)
    change = provider.change(opts, env)
    _refuse_untrusted(change, opts)
    prep = _prepare(provider, opts, change, env, hooks)
    report = Report(pr_cap=prep.settings.max_pr_cost_usd)
    prep, spent = _pr_budget(provider, prep, change, opts, env, report)
    outcome = spent or _review(prep, change, env)
    write_files(outcome, opts.publish, hooks)
    provider.report(outcome, change, opts, env, report)
    if opts.rescue_on_failure and outcome.gate.status is GateStatus.FAIL:
        _rescue(provider, outcome, prep, opts, env, report, change)
    provider.publish(outcome, report, opts.publish, env, change, hooks)
    return exit_code(outcome)


def exit_code(o: ReviewOutcome) -> int:
    """The gate's exit code, except that nothing to review does not fail the check.

    A pull request whose changes are all excluded (docs only, say) must not turn red; the
    `gate` output says `nothing`, and the annotation and summary say it is not a pass.
    """
    return Exit.OK if o.gate.status is GateStatus.NOTHING else o.gate.exit_code


def _refuse_untrusted(change: Change, opts: Options) -> None:
    if change.unsafe is not None and not opts.allow_pull_request_target:
        raise change.unsafe


def _prepare(
    provider: Provider, opts: Options, change: Change, env: Mapping[str, str], hooks: plugins.Plugins
) -> engine.Prepared:
    base = opts.request.base or change.base
    if not base:
        raise CCError("the event names no base to compare against", "pass `--base <branch or sha>`")
    named = provider.ensure_history(Path(opts.request.cwd), base, change, env)
    # no resume is offered in CI: no Claude session transcript is left on the runner
    since = _last_reviewed(provider, change, opts, env)
    request = replace(opts.request, scope="branch", base=named, persist_session=False, since=since)
    return engine.prepare(request, hooks)


def _last_reviewed(provider: Provider, change: Change, opts: Options, env: Mapping[str, str]) -> str | None:
    """Only what is new since the last reviewed head, where the provider can say it (an optional part)."""
    ask = getattr(provider, "last_reviewed", None)
    return str(ask(change, opts, env) or "") or None if callable(ask) else None


def _pr_budget(
    provider: Provider, prep: engine.Prepared, change: Change, opts: Options, env: Mapping[str, str], report: Report
) -> tuple[engine.Prepared, ReviewOutcome | None]:
    """The review under what is left of the pull request's cap, or its over-budget outcome when none is left."""
    cap = prep.settings.max_pr_cost_usd
    if cap is None or not billed_per_token(env):  # a subscription: the engine's cap line says it is not enforced
        return prep, None
    spent = provider.spent(change, opts, env)
    if spent is None:
        report.notes.append(
            f"the pull request's cost cap (${cap:.2f}) could not be checked: its earlier spend is unknown"
        )
        return prep, None
    left = cap - spent
    if left <= 0:
        return prep, engine.not_reviewed(prep, _pr_spent(spent, cap))
    run_cap = prep.settings.max_cost_usd
    settings = replace(prep.settings, max_cost_usd=left if run_cap is None else min(run_cap, left))
    return replace(prep, settings=settings), None


def _pr_spent(spent: float, cap: float) -> ReviewError:
    return ReviewError(
        FailureKind.OVER_BUDGET.value,
        f"over-budget: this pull request's reviews have cost ${spent:.4f}, its cap is ${cap:.2f}",
        "raise `max-pr-cost-usd` (the Action input, or `max_pr_cost_usd` in the base branch's settings)",
    )


def _review(prep: engine.Prepared, change: Change, env: Mapping[str, str]) -> ReviewOutcome:
    if not any(env.get(name) for name in CREDENTIALS):
        return engine.not_reviewed(prep, change.no_credentials)
    with service.open_store(env) as store:
        return review_job.run_tracked(prep, store, paths.owner_session(env), env, output.progress)


def write_files(o: ReviewOutcome, files: Publish, hooks: plugins.Plugins) -> None:
    if files.junit:
        hooks.write(o, "junit", files.junit)
    if files.sarif:  # its code-scanning category names the shard, so shards' uploads do not collide
        _write(files.sarif, sarif.render(o, files.label))
    if files.result_json:
        _write(files.result_json, json.dumps({**o.to_dict(), "label": files.label}, indent=2) + "\n")
    for r in files.reports:
        hooks.write(o, r.fmt, r.path)


def _write(path: str, text: str) -> None:
    files.write_atomic(Path(path), redact(text))


def _rescue(
    provider: Provider,
    o: ReviewOutcome,
    prep: engine.Prepared,
    opts: Options,
    env: Mapping[str, str],
    report: Report,
    change: Change,
) -> None:
    """Propose a fix of the gating findings from a worktree; whatever happens, the gate stands.

    Never for a fork's change: the rescue runs the change's code (its tests), and this run
    holds secrets.
    """
    if change.fork:
        provider.notice("notice", FORK_RESCUE_REFUSED, "cc-rescue not run")
        report.notes.append(FORK_RESCUE_REFUSED)
        return
    out_dir = Path(opts.rescue_dir or change.workspace or prep.target.repo_root)
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
        provider.notice("warning", line, "cc-rescue could not run")
    report.rescue_line = line


def rescue_task(o: ReviewOutcome) -> str:
    """The gating findings, worst first, as the rescue's task."""
    head = (
        f"The code review of this pull request failed its gate with {len(o.gate.gating)} blocking finding(s), "
        "listed below worst first. Fix them with the smallest change to the code; do not weaken or delete "
        "tests, and leave a finding you judge wrong unfixed and say why."
    )
    return f"{head}\n\n{rescue_worktree.findings_text(o.gate.gating)}"[:MAX_RESCUE_TASK_CHARS]
