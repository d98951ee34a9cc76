"""Versioned prompt templates (package data) and the review output schema."""

from __future__ import annotations

import hashlib
import json
import pkgutil
import re
import secrets
from collections.abc import Iterable
from functools import cache
from typing import Any

from ccplugin.jobs.kinds import ReviewMode

PROMPT_VERSION = "v3"  # v2: untrusted sections close only with a per-run token; v3: a finding may carry a replacement
SCHEMA_NAME = "review-output.v2.json"  # v2: the optional `replacement` of a finding's lines
_TEMPLATES = {ReviewMode.REVIEW: "review", ReviewMode.ADVERSARIAL: "adversarial"}
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
NO_FOCUS = "No extra focus provided."
NO_RULES = "This repository has no review rules."


def _read(folder: str, name: str) -> str:
    # pkgutil, not importlib.resources: the schema is read on every review (its cache key), and
    # importlib.resources with its readers costs ~10 ms of imports
    data = pkgutil.get_data("ccplugin.review", f"{folder}/{name}")
    if data is None:  # pragma: no cover (a loader without get_data)
        raise FileNotFoundError(f"ccplugin.review: no {folder}/{name}")
    return data.decode("utf-8")


@cache
def template(mode: ReviewMode) -> str:
    return _read("prompts", f"{_TEMPLATES[mode]}.{PROMPT_VERSION}.md")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_read("schema", SCHEMA_NAME))
    return loaded


def schema_digest() -> str:
    return hashlib.sha256(json.dumps(schema(), sort_keys=True).encode()).hexdigest()[:16]


def render(mode: ReviewMode, *, target_label: str, review_input: str, focus: str = "", rules: str = "") -> str:
    """Fill a mode's template in one pass (inserted text is never re-scanned).

    ``rules`` (the repository's review rules, :mod:`ccplugin.review.rules`) fill their own untrusted
    section. The untrusted sections are tagged with a fresh random token the inserted text does not
    contain, so nothing in the change (a diff line, a file name, a commit subject) can close
    them; the label, which sits outside them, cannot open or close a tag.
    """
    values = {
        "TARGET_LABEL": _no_tags(target_label),
        "USER_FOCUS": focus.strip() or NO_FOCUS,
        "REVIEW_INPUT": review_input,
        "REVIEW_RULES": rules.strip() or NO_RULES,
    }
    values["BOUNDARY"] = boundary(values.values())
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template(mode))


def boundary(untrusted: Iterable[str]) -> str:
    """A random token that appears in none of ``untrusted``."""
    texts = tuple(untrusted)
    while True:
        token = secrets.token_hex(8)
        if not any(token in t for t in texts):
            return token


def _no_tags(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")
