"""Mask credentials in text before it is stored or shown: one process-wide redactor.

Two halves, applied in this order:

- **Known values.** Every secret this process knows of, in every encoding we can predict
  (as is, percent-encoded, JSON-escaped, base64 standard and URL-safe, with and without
  padding, and the base64 of the value at any byte offset of a longer encoded text). The set
  is the values of the process environment's secret-looking variables (read on first use)
  and of the password of every URL in it, plus whatever was
  :func:`remember`-ed (a job's own environment, the credentials in a repository's git
  config: ``actions/checkout``'s extraheader, remote URLs with a password).
- **Shapes.** A few patterns for secrets we never knew of: provider keys keep a short
  recognisable prefix (``sk-ant-***``, ``ghp_***``), ``Bearer``/``Basic`` credentials and
  ``Authorization:`` headers, URL passwords (``https://user:***@host``), and ``name = value``
  assignments of secret-looking names (``GITHUB_TOKEN=…``, ini ``aws_secret_access_key = …``)
  keep only the name.

Applying it twice gives the same text.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

MASK = "***"
MIN_SECRET = 8  # shorter values are too likely to occur by chance to be replaced safely

_CREDENTIAL_NAME = r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY|(^|_)KEY$"
# names that hold a credential: their values are masked
CREDENTIAL_NAME = re.compile(_CREDENTIAL_NAME, re.IGNORECASE)
# names kept out of environments we hand on: the credentials, and a cloud's whole configuration
# (``AWS_REGION``, ``AWS_CA_BUNDLE``: not secret, so not masked, but not Claude's business either)
SECRET_NAME = re.compile(_CREDENTIAL_NAME + r"|^AWS_|^AZURE_CLIENT|^GOOGLE_APPLICATION", re.IGNORECASE)
# scheme://user:password@host — group 1 up to the colon, group 2 the password
URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s/?#@:'\"]*):([^\s/?#@'\"]+)@", re.IGNORECASE)
_SECRET_WORD = r"(?:token|secret|password|passwd|passphrase|credential|api_?key|access_key|private_key)"

# (pattern, replacement); order matters: specific prefixes before the generic ``sk-``.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{6,}"), "sk-ant-" + MASK),
    (re.compile(r"\bsk-(?!ant-)[A-Za-z0-9_-]{16,}"), "sk-" + MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{16,}"), "github_pat_" + MASK),
    (re.compile(r"\b(gh[pousr])_[A-Za-z0-9]{16,}"), r"\1_" + MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AKIA" + MASK),
    (re.compile(r"\b(authorization:\s*[a-z-]+\s+)[^\s\"',;]+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{16,}=*", re.IGNORECASE), r"\1 " + MASK),
    (URL_PASSWORD, r"\1:" + MASK + "@"),
    (
        re.compile(
            r"\b([A-Z][A-Z0-9_]*(?:API_KEY|ACCESS_KEY|AUTH_TOKEN|_TOKEN|_SECRET|PASSWORD))"
            r"""(["']?\s*[=:]\s*["']?)[^\s"',;]+"""
        ),
        r"\1\2" + MASK,
    ),
    # any case, ini or code style (``aws_secret_access_key = …``, ``"password": "…"``), not prose
    # (``Token: the …``), a call or an index (``token = f(x)``), or a number (``max_tokens=4096``)
    (
        re.compile(
            rf"""({_SECRET_WORD}[a-z0-9_]*)([ \t]*=[ \t]*["']?|"[ \t]*:[ \t]*")"""
            r"""(?![\w.]*[(\[])(?!\d+\b)[^\s"',;()\[\]{}<>]{8,}""",
            re.IGNORECASE,
        ),
        r"\1\2" + MASK,
    ),
)


def is_secret_name(name: str) -> bool:
    """True for a variable name that looks like it holds a credential."""
    return bool(SECRET_NAME.search(name))


def url_passwords(text: str) -> set[str]:
    """The passwords of the ``scheme://user:password@host`` URLs in ``text`` (as written and decoded)."""
    found = {m.group(2) for m in URL_PASSWORD.finditer(text)}
    return found | {unquote(p) for p in found}


def secret_values(env: Mapping[str, str]) -> set[str]:
    """The secrets of an environment: secret-looking variables' values and every URL password."""
    named = {v for k, v in env.items() if CREDENTIAL_NAME.search(k)}
    return named | {p for v in env.values() for p in url_passwords(v)}


def forms(value: str) -> set[str]:
    """``value`` in every encoding we can predict (see the module docstring); each long enough to mask."""
    out = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
    raw = value.encode("utf-8", "surrogatepass")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode()
        out |= {whole, whole.rstrip("=")}
        out |= {_aligned(encode, raw, shift) for shift in range(3)}
    return {f for f in out if len(f) >= MIN_SECRET}


def _aligned(encode: Callable[[bytes], bytes], raw: bytes, shift: int) -> str:
    """The base64 characters that depend on ``raw`` alone when it starts ``shift`` bytes into the data."""
    text = encode(b"\0" * shift + raw + b"\0\0").decode()
    first, end = -(-shift * 8 // 6), (shift + len(raw)) * 8 // 6
    return text[first:end]


class _Known:
    """The secret values (all forms) this process masks; thread-safe, grows only. The process
    environment's secrets are added on first use; a job's environment is added when it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] | None = None  # None: the environment is not read yet

    def remember(self, values: Iterable[str]) -> None:
        new = {f for v in values if len(v) >= MIN_SECRET for f in forms(v)}
        with self._lock:
            if self._ordered is None or not new <= self._values:
                self._values |= new
                # longest first, so a secret that contains another is masked whole
                self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def ordered(self) -> tuple[str, ...]:
        if self._ordered is None:
            self.remember(secret_values(os.environ))
        assert self._ordered is not None
        return self._ordered


_KNOWN = _Known()


def remember(values: Iterable[str]) -> None:
    """Mask these values (in all their forms) in everything this process redacts from now on."""
    _KNOWN.remember(values)


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-shaped string masked."""
    for value in _KNOWN.ordered():
        if value in text:
            text = text.replace(value, MASK)
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
