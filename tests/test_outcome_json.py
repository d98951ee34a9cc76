"""The typed outcome parts serialise to the JSON they were read from, and closed sets refuse other values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ccplugin.review.gate import GateOutcome, GatePolicy, GateStatus
from ccplugin.review.model import Finding, ReviewResult
from ccplugin.review.outcome import InputSummary, ReviewOutcome, TargetSummary

TARGET = {
    "repo_root": "/work/repo",
    "scope": "branch",
    "base_ref": "main",
    "merge_base": "a" * 40,
    "head": "b" * 40,
    "label": "branch diff against main",
}
FILES = [
    {"path": "a.py", "status": "M", "binary": False},
    {"path": "b.py", "status": "R", "binary": False, "old_path": "old.py"},
    {"path": "c.bin", "status": "A", "binary": True, "skipped": "binary"},
]
REVIEWED = {
    "input_mode": "inline",
    "files": FILES,
    "additions": 4,
    "deletions": 1,
    "diff_bytes": 120,
    "budget_bytes": 262144,
    "target": TARGET,
}
MERGED = {"input_mode": "mixed", "files": FILES[:1], "additions": 4, "deletions": 1}


@pytest.mark.parametrize("given", [REVIEWED, MERGED, {}], ids=["reviewed", "merged shards", "not reviewed"])
def test_an_input_summary_round_trips_byte_for_byte(given: dict[str, Any]) -> None:
    assert json.dumps(InputSummary.from_dict(given).to_dict()) == json.dumps(given)


def test_an_outcome_round_trips_byte_for_byte() -> None:
    outcome = ReviewOutcome(
        "adversarial-review",
        GateOutcome(GateStatus.PASS, "ok", (), GatePolicy("high")),
        TargetSummary.from_dict(TARGET),
        InputSummary.from_dict(REVIEWED),
        "opus",
        None,
        ReviewResult("approve", "fine", ()),
    )
    text = json.dumps(outcome.to_dict())
    assert json.dumps(ReviewOutcome.from_dict(json.loads(text)).to_dict()) == text
    assert json.loads(text)["target"] == TARGET and json.loads(text)["input"] == REVIEWED


def test_a_severity_or_verdict_outside_the_closed_set_is_refused() -> None:
    with pytest.raises(ValueError, match="'blocker' is not a valid Severity"):
        Finding("blocker", "t", "b", "a.py", 1, 1, 0.5, "")
    with pytest.raises(ValueError, match="'lgtm' is not a valid Verdict"):
        ReviewResult("lgtm", "fine", ())
