"""`ccplugin ci merge`: combine the results of path shards into one outcome, one gate, one of each file.

Each shard's `ccplugin ci github --result-json` file is a review outcome. The merged outcome
holds every finding once (by fingerprint), the verdict "needs-attention" when any shard says
so, and one gate: FAIL when any shard failed, else ERROR when any shard could not review (or
a shard's file is missing), else PASS; NOTHING only when no shard had anything to review. It
then renders with the same reporters as a single review.

Shards are counted by identity, not by file: a result given twice (the same file, a copy, or
a folder and a file in it) is one shard, so ``--expect`` cannot be met by repeating one result.
A shard's identity is its job id; a result without one (not reviewed) is known by its content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ccplugin import plugins
from ccplugin.ci.provider import Provider
from ccplugin.ci.runner import Publish, Report, exit_code, write_files
from ccplugin.errors import CCError
from ccplugin.review.coverage import Basis, Coverage
from ccplugin.review.gate import GateOutcome, GatePolicy, GateStatus
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.review.outcome import InputSummary, ReviewError, ReviewOutcome
from ccplugin.review.values import InputMode, Verdict

_ORDER = (GateStatus.FAIL, GateStatus.ERROR, GateStatus.PASS, GateStatus.OFF, GateStatus.NOTHING)


@dataclass(frozen=True)
class Shard:
    label: str
    outcome: ReviewOutcome
    identity: str  # the job id, else a digest of the result (see :func:`identity`)


def load(paths: Sequence[str]) -> list[Shard]:
    """The shard results in ``paths`` (files, or folders searched for ``*.json``), by path order."""
    files: list[Path] = []
    for given in paths:
        p = Path(given)
        files += sorted(p.rglob("*.json")) if p.is_dir() else [p]
    return [_shard(f) for f in files]


def distinct(shards: Iterable[Shard]) -> list[Shard]:
    """Each shard once (the first of each identity), in order."""
    return list({s.identity: s for s in reversed(list(shards))}.values())[::-1]


def identity(data: Mapping[str, Any]) -> str:
    """What makes a shard result one shard: its review job, or its whole content when it has none."""
    if data.get("job_id"):
        return f"job:{data['job_id']}"
    canonical = json.dumps(data, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _shard(path: Path) -> Shard:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Shard(str(data.get("label") or path.stem), ReviewOutcome.from_dict(data), identity(data))
    except FileNotFoundError as e:
        raise CCError(
            f"shard result {path} not found", "pass the files `ccplugin ci github --result-json` wrote"
        ) from e
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise CCError(
            f"{path} is not a shard result ({e})", "pass the files `ccplugin ci github --result-json` wrote"
        ) from e


def combine(shards: Sequence[Shard], expect: int | None = None) -> ReviewOutcome:
    """One outcome for all distinct shards; fewer than ``expect`` of them is a gate ERROR."""
    if not shards:
        raise CCError("no shard results to merge", "pass the result files or the folder holding them")
    shards = distinct(shards)
    outcomes = [s.outcome for s in shards]
    first = outcomes[0]
    review = _review(shards)
    missing = (expect or 0) - len(shards)
    status = _worst([o.gate.status for o in outcomes] + ([GateStatus.ERROR] if missing > 0 else []))
    error = _error(outcomes, missing, status)
    return ReviewOutcome(
        mode=first.mode,
        gate=GateOutcome(status, _reason(shards, missing), _gating(outcomes), _policy(outcomes)),
        target=replace(first.target, label=f"{len(shards)} shard(s): " + ", ".join(s.label for s in shards)),
        input=_input(outcomes),
        model=first.model,
        effort=first.effort,
        review=review,
        error=error,
        focus=first.focus,
        cached=all(o.cached for o in outcomes),
        cost_usd=_cost(outcomes),
        prompt_version=first.prompt_version,
        policy=first.policy,  # the shards of one change share its base
        coverage=_coverage(outcomes),
        rules=next((o.rules for o in outcomes if o.rules), {}),  # the shards share the base's rule files
    )


def _worst(statuses: Sequence[GateStatus]) -> GateStatus:
    found = set(statuses)
    return next(s for s in _ORDER if s in found)


def _review(shards: Sequence[Shard]) -> ReviewResult | None:
    reviewed = [s for s in shards if s.outcome.review is not None]
    if not reviewed:
        return None
    findings = _unique(f for s in reviewed for f in s.outcome.findings)
    attention = any(s.outcome.review and s.outcome.review.verdict is not Verdict.APPROVE for s in reviewed)
    summary = "\n\n".join(f"{s.label}: {s.outcome.review.summary}" for s in reviewed if s.outcome.review)
    steps = tuple(dict.fromkeys(x for s in reviewed if s.outcome.review for x in s.outcome.review.next_steps))
    return ReviewResult(Verdict.NEEDS_ATTENTION if attention else Verdict.APPROVE, summary, findings, steps)


def _unique(findings: Any) -> tuple[Finding, ...]:
    return tuple({f.fingerprint: f for f in reversed(list(findings))}.values())[::-1]


def _gating(outcomes: Sequence[ReviewOutcome]) -> tuple[Finding, ...]:
    return _unique(f for o in outcomes for f in o.gate.gating)


def _policy(outcomes: Sequence[ReviewOutcome]) -> GatePolicy:
    first = outcomes[0].gate.policy
    errors = [o.gate.policy for o in outcomes if o.gate.status is GateStatus.ERROR]
    on_error = "pass" if errors and all(p.on_error == "pass" for p in errors) else first.on_error
    return GatePolicy(first.fail_on, first.filter_mode, on_error if errors else first.on_error)


def _error(outcomes: Sequence[ReviewOutcome], missing: int, status: GateStatus) -> ReviewError | None:
    if status is not GateStatus.ERROR:
        return None
    if missing > 0:
        return ReviewError("shard-missing", f"not reviewed: {missing} expected shard result(s) missing")
    return next((o.error for o in outcomes if o.error is not None), None)


def _reason(shards: Sequence[Shard], missing: int) -> str:
    parts = [f"{s.label}: {s.outcome.gate.status.value} ({s.outcome.gate.reason})" for s in shards]
    if missing > 0:
        parts.append(f"{missing} expected shard result(s) missing")
    return "; ".join(parts)


def _input(outcomes: Sequence[ReviewOutcome]) -> InputSummary:
    modes = {o.input_mode for o in outcomes}
    return InputSummary(
        input_mode=InputMode(modes.pop()) if len(modes) == 1 else InputMode.MIXED,
        files=tuple(f for o in outcomes for f in o.input.changed),
        additions=sum(o.input.additions or 0 for o in outcomes),
        deletions=sum(o.input.deletions or 0 for o in outcomes),
        not_reviewed=tuple({f.path: f for o in outcomes for f in o.input.not_reviewed or ()}.values()),
    )


def _coverage(outcomes: Sequence[ReviewOutcome]) -> Coverage | None:
    """The shards' coverage added up; unknown when a shard that had files to review has none."""
    shards = [o for o in outcomes if o.gate.status is not GateStatus.NOTHING]
    covs = [o.coverage for o in shards]
    if not shards or any(c is None for c in covs):
        return None
    total = sum(c.total for c in covs if c)
    if all(c and c.basis is Basis.PROMPT for c in covs):
        return Coverage(Basis.PROMPT, (), total)
    paths = [p for o in shards if o.coverage for p in _covered_paths(o, o.coverage)]
    return Coverage(Basis.TOOLS, tuple(paths), total)


def _covered_paths(o: ReviewOutcome, c: Coverage) -> list[str]:
    return [f.path for f in o.input.changed] if c.basis is Basis.PROMPT else list(c.covered)


def _cost(outcomes: Sequence[ReviewOutcome]) -> float | None:
    costs = [o.cost_usd for o in outcomes if o.cost_usd is not None]
    return sum(costs) if costs else None


def shard_notes(shards: Sequence[Shard]) -> list[str]:
    return [f"shard **{s.label}**: {s.outcome.gate.status.value}, {len(s.outcome.findings)} finding(s)" for s in shards]


def run(provider: Provider, paths: Sequence[str], opts: Publish, expect: int | None, env: Mapping[str, str]) -> int:
    """Merge, write the files, publish (the run's summary and outputs); the merged gate's exit code."""
    hooks = plugins.host(*provider.PLUGINS)
    hooks.check_reports(opts.reports)
    given = load(paths)
    shards = distinct(given)
    merged = combine(shards, expect)
    write_files(merged, opts, hooks)
    notes = shard_notes(shards) + _repeats(len(given) - len(shards))
    provider.publish(merged, Report(notes=notes), opts, env, None, hooks)
    return exit_code(merged)


def _repeats(count: int) -> list[str]:
    return [f"{count} result file(s) repeat a shard already given (same job or content): counted once"] if count else []
