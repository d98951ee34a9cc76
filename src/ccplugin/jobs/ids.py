"""Job ids: ``<prefix>-<milliseconds base36>-<6 hex>``, checked by one strict pattern."""

from __future__ import annotations

import re
import secrets
import time

from ccplugin.errors import CCError, Exit
from ccplugin.jobs import kinds

# ``\Z`` rather than ``$`` so that a trailing newline never passes ``match``.
# 8 random hex digits (older ids have 6): jobs started in the same millisecond must not collide
JOB_ID_RE = re.compile(rf"^({'|'.join(kinds.PREFIXES)})-[0-9a-z]{{6,12}}-[0-9a-f]{{6}}(?:[0-9a-f]{{2}})?\Z")
# What a user may type to name a job: an id or the start of one.
JOB_REF_RE = re.compile(r"^[a-z][0-9a-z-]{0,31}\Z")

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
EXAMPLE_ID = "review-mbx3k2q1-4f9a0c17"


def new_job_id(kind: str) -> str:
    """A fresh id whose prefix names ``kind`` (``job`` for anything unknown)."""
    known = kind in kinds.REGISTRY
    prefix = kinds.REGISTRY[kinds.Kind(kind)].prefix if known else kinds.UNKNOWN_PREFIX
    return f"{prefix}-{_base36(time.time_ns() // 1_000_000)}-{secrets.token_hex(4)}"


def check_job_id(text: str) -> str:
    """``text`` if it is a well-formed job id, else a usage error (exit 2)."""
    if not JOB_ID_RE.match(text):
        raise CCError(
            f"invalid job id {_shown(text)}",
            f"pass an id as listed by `ccplugin status --all` (like {EXAMPLE_ID})",
            Exit.USAGE,
        )
    return text


def check_job_ref(text: str) -> str:
    """``text`` if it can be a job id or the start of one, else a usage error."""
    if not JOB_REF_RE.match(text):
        raise CCError(
            f"invalid job reference {_shown(text)}",
            "pass a job id or its first characters, as listed by `ccplugin status --all`",
            Exit.USAGE,
        )
    return text


def _base36(n: int) -> str:
    out = ""
    while True:
        n, digit = divmod(n, 36)
        out = _DIGITS[digit] + out
        if n == 0:
            return out


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
