"""The only path to stdout and stderr, so tests capture output one way.

Text goes out redacted (``ccplugin.redact``) and without control characters
(:func:`ccplugin.controls.clean`): whatever a review, a file name or an error message carries,
nothing printed here can drive the terminal or show a secret.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ccplugin import controls
from ccplugin.redact import redact


def _safe(text: str) -> str:
    return controls.clean(redact(text))


def write(text: str) -> None:
    sys.stdout.write(_safe(text))
    sys.stdout.flush()


def raw(data: bytes, *, err: bool = False) -> None:
    """Pass bytes through unchanged (a wrapped command's own output)."""
    stream = sys.stderr if err else sys.stdout
    stream.flush()
    stream.buffer.write(data)
    stream.buffer.flush()


def line(text: str = "") -> None:
    write(text + "\n")


def json_out(payload: Any) -> None:
    line(json.dumps(payload, indent=2, sort_keys=True, default=str))


def progress(text: str) -> None:
    """A progress line on stderr (never mixed into --json stdout)."""
    sys.stderr.write(f"[cc] {_safe(text)}\n")
    sys.stderr.flush()


def error(text: str) -> None:
    sys.stderr.write(_safe(text) + "\n")
    sys.stderr.flush()
