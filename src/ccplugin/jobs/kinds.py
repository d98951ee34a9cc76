"""The job kinds and the review modes: each declared once, with everything other modules derive from it.

A kind is one :class:`Kind` member and one :data:`REGISTRY` line (its job-id prefix, its title,
whether ``ccplugin reserve`` may reserve it); ids, the store's check, titles and headings read
the registry. The review modes are the kinds a review runs as. Imported by the option table,
so it holds only enums and a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReviewMode(StrEnum):
    """How a review reads the change: a standard review, or one that challenges its design."""

    REVIEW = "review"
    ADVERSARIAL = "adversarial-review"


class Kind(StrEnum):
    """What a tracked job runs; also the command a reserved job is run with."""

    REVIEW = ReviewMode.REVIEW.value
    ADVERSARIAL_REVIEW = ReviewMode.ADVERSARIAL.value
    RESCUE = "rescue"
    GATE = "gate"  # the Codex stop-time review gate


@dataclass(frozen=True)
class KindInfo:
    """One kind's registry line."""

    prefix: str  # of its job ids (``adversarial-mbx3k2q1-4f9a0c17``)
    title: str  # sentence case: "Adversarial review" (job titles: "<title> of <target>")
    reservable: bool = False  # `ccplugin reserve --kind` may reserve it for a Codex subagent

    @property
    def label(self) -> str:
        """The title in running text: "adversarial review"."""
        return self.title.lower()

    @property
    def report_title(self) -> str:
        """The CI summary's title: "Claude Code adversarial review"."""
        return f"Claude Code {self.label}"

    @property
    def heading(self) -> str:
        """The markdown report's heading: "Claude Code Adversarial Review"."""
        return f"Claude Code {self.label.title()}"


REGISTRY: dict[Kind, KindInfo] = {
    Kind.REVIEW: KindInfo("review", "Review", reservable=True),
    Kind.ADVERSARIAL_REVIEW: KindInfo("adversarial", "Adversarial review", reservable=True),
    Kind.RESCUE: KindInfo("rescue", "Rescue", reservable=True),
    Kind.GATE: KindInfo("gate", "Stop-time review gate"),
}
UNKNOWN_PREFIX = "job"  # the id prefix of a kind this version does not know
RESERVABLE = tuple(k for k, i in REGISTRY.items() if i.reservable)
PREFIXES = (*dict.fromkeys(i.prefix for i in REGISTRY.values()), UNKNOWN_PREFIX)


def info(kind: str) -> KindInfo:
    """The registry line of ``kind``; a ValueError names the kinds there are."""
    try:
        return REGISTRY[Kind(kind)]
    except ValueError:
        raise ValueError(f"unknown job kind {kind!r}; expected one of {tuple(k.value for k in REGISTRY)}") from None


def of_mode(mode: str) -> KindInfo:
    """The registry line of a review mode (a mode is a kind)."""
    return REGISTRY[Kind(ReviewMode(mode).value)]
