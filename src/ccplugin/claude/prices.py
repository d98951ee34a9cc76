"""What a model call costs, estimated from the ``usage`` an assistant message reports.

The stream gives ``total_cost_usd`` only in its last event; while claude runs, each assistant
message carries its token ``usage``. :func:`cost_usd` prices one message from this table (USD
per million tokens, Anthropic's list prices); a cache write costs 1.25 times the input price, a
cache read a tenth of it. A model the table does not know is priced as the dearest one, so a
cap is never checked against too low a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float  # USD per million input tokens
    output: float  # USD per million output tokens


# longest prefix first: Opus 4 and 4.1 cost three times what Opus 4.5 and later cost
_TABLE: tuple[tuple[str, Price], ...] = (
    ("claude-opus-4-1", Price(15.0, 75.0)),
    ("claude-opus-4-2025", Price(15.0, 75.0)),  # Opus 4, dated id
    ("claude-opus-4-0", Price(15.0, 75.0)),
    ("claude-opus-4", Price(5.0, 25.0)),
    ("claude-sonnet-4", Price(3.0, 15.0)),
    ("claude-haiku-4", Price(1.0, 5.0)),
)
DEAREST = Price(15.0, 75.0)
_PER_TOKEN = 1e-6


def price_of(model: str | None) -> Price:
    """The price of ``model`` (``claude-opus-4-7[1m]`` too), the dearest when unknown."""
    name = (model or "").lower()
    return next((price for prefix, price in _TABLE if name.startswith(prefix)), DEAREST)


def cost_usd(model: str | None, usage: Mapping[str, object]) -> float:
    """What one message with this ``usage`` costs at ``model``'s price."""
    price = price_of(model)
    tokens = {key: _count(usage.get(key)) for key in _KEYS}
    fresh = tokens["input_tokens"] + 1.25 * tokens["cache_creation_input_tokens"]
    cached = 0.1 * tokens["cache_read_input_tokens"]
    return ((fresh + cached) * price.input + tokens["output_tokens"] * price.output) * _PER_TOKEN


_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
