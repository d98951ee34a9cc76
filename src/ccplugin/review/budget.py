"""The cost cap of one review: what its Claude runs may still spend, and the line the report shows.

A cap holds only where the cost is a price paid (an API key, Bedrock, Vertex: see
``claude.env.billed_per_token``). On a subscription login claude prints a cost at API prices
that nobody pays: the cap is then not enforced, and the report says so in one line, instead of
stopping reviews at a figure that means nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccplugin.claude.env import billed_per_token

UNPRICED = "cost cap of ${cap:.2f} not enforced: claude runs on a subscription login (no per-token price)"


@dataclass(frozen=True)
class Cap:
    """``usd``: the cap (None: none); ``enforced``: False when the cost cannot be computed."""

    usd: float | None = None
    enforced: bool = False

    @classmethod
    def of(cls, usd: float | None, env: Mapping[str, str]) -> Cap:
        return cls(usd, usd is not None and billed_per_token(env))

    def left(self, spent: float) -> float | None:
        """What the next Claude run may spend (None: no limit)."""
        return None if self.usd is None or not self.enforced else self.usd - spent

    def to_dict(self) -> dict[str, Any]:
        if self.usd is None:
            return {}
        note = f"cap ${self.usd:.2f}" if self.enforced else UNPRICED.format(cap=self.usd)
        return {"max_cost_usd": self.usd, "enforced": self.enforced, "note": note}
