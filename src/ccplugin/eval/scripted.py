"""The scripted reviewer of `ccplugin eval --demo`: known answers per case, served by the fake API.

It recognises a case by its repository's folder (:func:`ccplugin.eval.runner.folder_prefix`), which
claude names in its system prompt, and answers so that every outcome shows up: it finds the bug of
every other bug case (sorted by id) and misses the rest, blocks the first clean case with a high
finding, reports a low one on the second (which does not block at ``high``) and approves the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccplugin.eval.corpus import Case
from ccplugin.eval.runner import folder_prefix
from ccplugin.testing.scenario import STRUCTURED_TOOL, Scenario, reply, structured_output


def answer(findings: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "verdict": "needs-attention" if findings else "approve",
        "summary": "Scripted review." if findings else "Scripted review: nothing found.",
        "findings": list(findings),
        "next_steps": [],
    }


def finding(file: str, start: int, end: int, severity: str, title: str) -> dict[str, Any]:
    return {
        "severity": severity,
        "title": title,
        "body": f"{title} ({file}:{start}).",
        "file": file,
        "line_start": start,
        "line_end": end,
        "confidence": 0.8,
        "recommendation": "Fix it.",
    }


def demo_answers(cases: Sequence[Case]) -> dict[str, dict[str, Any]]:
    """Case id → the structured answer of the demo reviewer."""
    bugs = [c for c in cases if not c.clean]
    clean = [c for c in cases if c.clean]
    out: dict[str, dict[str, Any]] = {}
    for i, case in enumerate(bugs):
        bug = case.bugs[0]
        found = [finding(bug.file, bug.start, bug.end, "high", "Scripted hit")] if i % 2 == 0 else []
        out[case.id] = answer(found)
    for i, case in enumerate(clean):
        first = sorted(p.relative_to(case.root / "head").as_posix() for p in (case.root / "head").rglob("*.*"))
        file = first[0] if first else "README.md"
        severity = {0: "high", 1: "low"}.get(i)
        out[case.id] = answer([finding(file, 1, 1, severity, "Scripted false alarm")] if severity else [])
    return out


def scenario(answers: dict[str, dict[str, Any]]) -> Scenario:
    """One rule per case: its answer, for the review whose working directory is the case's folder."""
    rules = [
        reply(
            structured_output(value),
            system_contains=folder_prefix(case_id),
            tool_offered=STRUCTURED_TOOL,
            name=f"case {case_id}",
        )
        for case_id, value in sorted(answers.items())
    ]
    return Scenario.of(*rules, description="ccplugin eval --demo: the scripted reviewer")
