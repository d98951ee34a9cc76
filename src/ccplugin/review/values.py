"""The review's closed value sets, each declared once: severities, filter modes, baselines, error policy,
scope, verdict and input mode. A leaf module (the option table and the models import it)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """A finding's severity, worst first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the worst."""
        return SEVERITY_RANK[self]


SEVERITY_ORDER = tuple(Severity)
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITY_ORDER)}  # by value: a threshold is text
NO_THRESHOLD = "none"  # `fail_on = "none"`: report only, like no threshold
FAIL_ON = (*SEVERITY_ORDER, NO_THRESHOLD)  # what `fail_on` may be


class FilterMode(StrEnum):
    """Which findings may gate, by where they fall in the diff (reviewdog's vocabulary)."""

    ADDED = "added"
    DIFF_CONTEXT = "diff_context"
    FILE = "file"
    NOFILTER = "nofilter"


class Baseline(StrEnum):
    """Whether the change brought a finding: ``new`` when its lines touch a line the change added or
    changed, ``pre-existing`` otherwise (context lines, outside every hunk, a file the change did not touch)."""

    NEW = "new"
    PRE_EXISTING = "pre-existing"


class OnError(StrEnum):
    """What a review that could not run exits with."""

    FAIL = "fail"
    PASS = "pass"


class Scope(StrEnum):
    """What a review reads: the work tree's changes, the branch's, or whichever there is."""

    AUTO = "auto"
    WORKING_TREE = "working-tree"
    BRANCH = "branch"


class Verdict(StrEnum):
    """The reviewer's overall verdict."""

    APPROVE = "approve"
    NEEDS_ATTENTION = "needs-attention"


class InputMode(StrEnum):
    """How the change reached the reviewer."""

    INLINE = "inline"  # the diff is in the prompt
    SELF_COLLECT = "self-collect"  # too big: the reviewer reads it with git
    NOTHING = "nothing"  # there was nothing to show
    MIXED = "mixed"  # merged shards that were given their changes differently
