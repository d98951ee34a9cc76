"""Result cache: an unchanged diff under the same prompt, mode, focus, model, effort and schema
reuses the stored review with zero Claude calls."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ccplugin.jobs import private
from ccplugin.redact import redact_json
from ccplugin.review import prompts


def key(*, digest: str, mode: str, focus: str, model: str, effort: str | None) -> str:
    parts = {
        "diff": digest,
        "prompt": prompts.PROMPT_VERSION,
        "mode": mode,
        "focus": focus.strip(),
        "model": model,
        "effort": effort,
        "schema": prompts.schema_digest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root / "cache"

    def _path(self, k: str) -> Path:
        return self.root / f"{k}.json"

    def get(self, k: str) -> dict[str, Any] | None:
        """The entry, or None; a linked or another user's entry (or folder) is refused, not read."""
        private.directory(self.root)
        try:
            with os.fdopen(private.open_file(self._path(k), os.O_RDONLY), encoding="utf-8") as f:
                loaded = json.load(f)
        except (OSError, ValueError):
            return None  # a missing or damaged entry is a miss, never an error
        return loaded if isinstance(loaded, dict) else None

    def put(self, k: str, value: dict[str, Any]) -> None:
        private.directory(self.root)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(redact_json(value), f)
        os.replace(tmp, self._path(k))
