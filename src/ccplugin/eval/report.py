"""The text of an eval run: a table per case and the totals at each severity threshold; a comparison of two."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccplugin.eval.results import Results
from ccplugin.eval.scoring import THRESHOLDS, CaseResult, Outcome, Totals, score_case, totals


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return [_row(header, widths), _row(["-" * w for w in widths], widths), *(_row(r, widths) for r in rows)]


def _case_row(result: CaseResult, fail_on: str, filter_mode: str) -> list[str]:
    score = score_case(result, fail_on, filter_mode)
    outcome = score.outcome.value
    if score.outcome in (Outcome.HIT, Outcome.MISS):
        outcome += f" {score.bugs_hit}/{len(result.labels.bugs)}"
    return [
        result.id,
        result.kind,
        result.language,
        outcome,
        str(len(result.findings)),
        result.input_mode or "—",
        f"${result.cost_usd:.4f}",
        f"{result.seconds:.1f}s",
    ]


def _totals_row(t: Totals) -> list[str]:
    return [
        t.threshold,
        f"{pct(t.recall)} ({t.bugs_hit}/{t.bugs})",
        f"{pct(t.precision)} ({t.true_findings}/{t.findings})",
        f"{pct(t.false_block_rate)} ({t.false_blocks}/{t.clean_reviewed})",
    ]


def render(results: Results) -> list[str]:
    cfg = results.config
    ordered = results.ordered()
    header = ["case", "kind", "lang", f"at {cfg.fail_on}", "findings", "input", "cost", "time"]
    lines = _table(header, [_case_row(r, cfg.fail_on, cfg.filter_mode) for r in ordered])
    lines += ["", *_table(["threshold", "recall", "precision", "false blocks"], _threshold_rows(results))]
    lines += ["", _summary(results)]
    lines += [f"error: {r.id}: {r.error}" for r in ordered if r.error]
    return lines


def _threshold_rows(results: Results) -> list[list[str]]:
    ordered = results.ordered()
    return [_totals_row(totals(ordered, t, results.config.filter_mode)) for t in THRESHOLDS]


def _summary(results: Results) -> str:
    cfg = results.config
    ordered = results.ordered()
    errors = sum(1 for r in ordered if r.error)
    effort = f" effort {cfg.effort}" if cfg.effort else ""
    return (
        f"{len(ordered)} case(s), {errors} error(s); {cfg.mode} with {cfg.model}{effort}, prompt {cfg.prompt_version}, "
        f"gate at {cfg.fail_on} ({cfg.filter_mode}); cost ${results.spent():.4f}, "
        f"time {sum(r.seconds for r in ordered):.1f}s"
    )


def compare(a: Results, b: Results) -> list[str]:
    """B against A: what differs in their configuration, the totals side by side, the cases that changed."""
    lines = [f"A: {a.path}", f"B: {b.path}"]
    lines += [f"config: {d}" for d in b.config.differences(a.config)] or ["config: the same"]
    rows = [_compare_row(a, b, t) for t in THRESHOLDS]
    lines += ["", *_table(["threshold", "recall A → B", "precision A → B", "false blocks A → B"], rows)]
    changed = _changed_cases(a, b)
    lines += ["", f"{len(changed)} case(s) changed at the gate threshold (A {a.config.fail_on}, B {b.config.fail_on}):"]
    lines += changed
    cost = f"cost ${a.spent():.4f} → ${b.spent():.4f}"
    return [*lines, "", cost]


def compare_dict(a: Results, b: Results) -> dict[str, Any]:
    """:func:`compare` as data: both configurations and totals, and the cases whose outcome changed."""
    changed = {}
    for case_id in sorted(set(a.cases) | set(b.cases)):
        before, after = _outcome(a, case_id), _outcome(b, case_id)
        if before != after:
            changed[case_id] = {"a": before, "b": after}
    side = {"a": a, "b": b}
    return {
        **{
            k: {"path": str(r.path), "config": r.config.to_dict(), "totals": r.to_dict()["totals"]}
            for k, r in side.items()
        },
        "config_changes": b.config.differences(a.config),
        "changed": changed,
    }


def _compare_row(a: Results, b: Results, threshold: str) -> list[str]:
    ta = totals(a.ordered(), threshold, a.config.filter_mode)
    tb = totals(b.ordered(), threshold, b.config.filter_mode)
    return [
        threshold,
        f"{pct(ta.recall)} → {pct(tb.recall)}",
        f"{pct(ta.precision)} → {pct(tb.precision)}",
        f"{pct(ta.false_block_rate)} → {pct(tb.false_block_rate)}",
    ]


def _changed_cases(a: Results, b: Results) -> list[str]:
    return [f"  {k}: {v['a']} → {v['b']}" for k, v in compare_dict(a, b)["changed"].items()]


def _outcome(results: Results, case_id: str) -> str:
    result = results.cases.get(case_id)
    if result is None:
        return "not run"
    return score_case(result, results.config.fail_on, results.config.filter_mode).outcome.value
