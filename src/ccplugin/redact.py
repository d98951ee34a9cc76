"""Mask credentials in text before it is stored or shown.

One pass of a few patterns: provider keys keep a short recognisable prefix
(``sk-ant-***``, ``ghp_***``), ``Bearer`` tokens and ``NAME=value`` assignments of
secret-looking environment variables keep only the name. Applying it twice gives the
same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MASK = "***"

# (pattern, replacement); order matters: specific prefixes before the generic ``sk-``.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{6,}"), "sk-ant-" + MASK),
    (re.compile(r"\bsk-(?!ant-)[A-Za-z0-9_-]{16,}"), "sk-" + MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{16,}"), "github_pat_" + MASK),
    (re.compile(r"\b(gh[pousr])_[A-Za-z0-9]{16,}"), r"\1_" + MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AKIA" + MASK),
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/-]{16,}=*", re.IGNORECASE), r"\1 " + MASK),
    (
        re.compile(
            r"\b([A-Z][A-Z0-9_]*(?:API_KEY|ACCESS_KEY|AUTH_TOKEN|_TOKEN|_SECRET|PASSWORD))"
            r"""(["']?\s*[=:]\s*["']?)[^\s"',;]+"""
        ),
        r"\1\2" + MASK,
    ),
)


def redact(text: str) -> str:
    """``text`` with API keys, tokens and secret assignments masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_json(value: Any, mask: Callable[[str], str] = redact) -> Any:
    """A copy of a JSON-like value with every string (keys excepted) passed through ``mask``."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: redact_json(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v, mask) for v in value]
    return value
