"""What the reviews of one pull request have cost, kept in the Action's own sticky summary comments.

Each sticky comment (one per mode and shard) ends with a hidden ledger of that shard's runs:
``<!-- ccplugin:spent={"usd": 0.42, "pushes": [["1a2b3c4d5e6f", 0.21], …]} -->``. The pull
request's total is the sum over every summary comment the Action wrote: a comment counts only
when its author is the login the Action posts as (:func:`ccplugin.ci.github.pr.ours`), which no
pull-request author can write as, and the reviewer's text in a body has ``<`` escaped, so it
cannot add a ledger either. A ledger that does not parse counts as nothing spent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PUSHES_KEPT = 20  # runs listed per shard; the total keeps counting the older ones
_LEDGER = re.compile(r"<!-- ccplugin:spent=(\{[^<>]{0,4000}\}) -->")
_SUMMARY = "<!-- ccplugin:summary:"


@dataclass(frozen=True)
class Ledger:
    """One shard's runs on this pull request: their total and the last ones, (head commit, USD)."""

    usd: float = 0.0
    pushes: tuple[tuple[str, float], ...] = ()

    def add(self, head: str, cost: float) -> Ledger:
        return Ledger(self.usd + cost, (*self.pushes, (head[:12], cost))[-PUSHES_KEPT:])

    def marker(self) -> str:
        data = {"usd": round(self.usd, 6), "pushes": [[h, round(c, 6)] for h, c in self.pushes]}
        return f"<!-- ccplugin:spent={json.dumps(data, separators=(',', ':'))} -->"

    @classmethod
    def of(cls, body: str) -> Ledger:
        found = _LEDGER.search(body)
        if found is None:
            return cls()
        try:
            data = json.loads(found.group(1))
        except ValueError:
            return cls()
        return cls(_usd(data.get("usd")), _pushes(data.get("pushes"))) if isinstance(data, dict) else cls()


@dataclass(frozen=True)
class Spent:
    """What the pull request's earlier runs cost: every shard's (``total``), and this shard's own ledger."""

    total: float
    own: Ledger


def spent(comments: Iterable[Mapping[str, Any]], marker: str, mine: Any) -> Spent:
    """``comments``: the pull request's issue comments; ``mine(c)``: the Action wrote ``c``."""
    total, own = 0.0, Ledger()
    for c in comments:
        body = str(c.get("body") or "")
        if not mine(c) or _SUMMARY not in body:
            continue
        ledger = Ledger.of(body)
        total += ledger.usd
        if marker and marker in body:
            own = ledger
    return Spent(total, own)


def line(cost: float, total: float, cap: float | None, earlier: Ledger) -> str:
    """``Spend: this push $0.2100 · this pull request $0.4200 (cap $2.00) · earlier runs: 1a2b3c4 $0.2100``."""
    said = f"Spend: this push ${cost:.4f} · this pull request ${total:.4f}"
    if cap is not None:
        said += f" (cap ${cap:.2f})"
    if earlier.pushes:
        said += " · earlier runs of this shard: " + ", ".join(f"`{h[:7]}` ${c:.4f}" for h, c in earlier.pushes[-5:])
    return said


def _usd(value: object) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    return float(value) if ok and value == value and value != float("inf") else 0.0  # type: ignore[arg-type]


def _pushes(value: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for item in value[:PUSHES_KEPT]:
        if (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and re.fullmatch(r"[0-9a-f]{0,40}", item[0])
        ):
            out.append((item[0], _usd(item[1])))
    return tuple(out)
