"""The built-in reporters; each module registers its own through the ``ccplugin_reporters`` hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `--report` is parsed on every start: the outcome is imported where reports are made
    from ccplugin.review.outcome import ReviewOutcome


@dataclass(frozen=True)
class Builtin:
    """A reporter made of a render function (see :class:`ccplugin.hookspecs.Reporter`)."""

    name: str
    suffix: str
    renders: Callable[[ReviewOutcome], str]

    def render(self, outcome: ReviewOutcome) -> str:
        return self.renders(outcome)
