"""Versioned prompt templates (package data) and the review output schema."""

from __future__ import annotations

import hashlib
import json
import pkgutil
import re
from functools import cache
from typing import Any

PROMPT_VERSION = "v1"
SCHEMA_NAME = "review-output.v1.json"
_TEMPLATES = {"review": "review", "adversarial-review": "adversarial"}
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
NO_FOCUS = "No extra focus provided."


def _read(folder: str, name: str) -> str:
    # pkgutil, not importlib.resources: the schema is read on every review (its cache key), and
    # importlib.resources with its readers costs ~10 ms of imports
    data = pkgutil.get_data("ccplugin.review", f"{folder}/{name}")
    if data is None:  # pragma: no cover (a loader without get_data)
        raise FileNotFoundError(f"ccplugin.review: no {folder}/{name}")
    return data.decode("utf-8")


@cache
def template(mode: str) -> str:
    return _read("prompts", f"{_TEMPLATES[mode]}.{PROMPT_VERSION}.md")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_read("schema", SCHEMA_NAME))
    return loaded


def schema_digest() -> str:
    return hashlib.sha256(json.dumps(schema(), sort_keys=True).encode()).hexdigest()[:16]


def render(mode: str, *, target_label: str, review_input: str, focus: str = "") -> str:
    """Fill a mode's template in one pass (inserted text is never re-scanned)."""
    values = {
        "TARGET_LABEL": target_label,
        "USER_FOCUS": focus.strip() or NO_FOCUS,
        "REVIEW_INPUT": review_input,
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template(mode))
