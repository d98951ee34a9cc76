"""The only path to stdout and stderr, so tests capture output one way; every text is redacted
(``ccplugin.redact``) on its way out."""

from __future__ import annotations

import json
import sys
from typing import Any

from ccplugin.redact import redact


def write(text: str) -> None:
    sys.stdout.write(redact(text))
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
    sys.stderr.write(redact(f"[cc] {text}\n"))
    sys.stderr.flush()


def error(text: str) -> None:
    sys.stderr.write(redact(text + "\n"))
    sys.stderr.flush()
