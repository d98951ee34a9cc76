"""Result cache: an unchanged change under the same prompt (template, mode, focus, path filter,
commits shown, budget), model, effort and schema reuses the stored review with zero Claude calls.

The gate is decided again on every hit, by the policy judging the change now (fail-on, filter mode,
waivers, policy-edit findings): only the reviewer's findings are cached."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ccplugin import files
from ccplugin.jobs import private
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.redact import redact_json
from ccplugin.review import prompts

# a commit id: the short one opening each ``<id> <subject>`` line, or a full one in a subject
# (a pull request's merge commit: "Merge <sha> into <sha>", new whenever the base moves)
_SHA = re.compile(r"^[0-9a-f]{7,40}(?= )|\b[0-9a-f]{40}\b", re.MULTILINE)


@dataclass(frozen=True)
class KeyParts:
    """Everything that shapes the prompt and the run a cached result stands for.

    Commit ids (the merge-base in the label, each commit's id) are left out: they name the change,
    the digest defines it, so a re-run, a rebase that keeps the diff and the commit subjects, or a
    new merge commit of a pull request whose base moved without touching its diff, hits. A per-run
    random token in the prompt is never a part: it would make every key new."""

    digest: str  # the diff, the file list, ids of unshown contents, the input mode
    mode: ReviewMode
    focus: str
    model: str
    effort: str | None
    include: tuple[str, ...]  # the trusted policy's and the request's path filter
    exclude: tuple[str, ...]
    scope: str
    base_ref: str | None
    commits: tuple[str, ...]  # the Commits section the reviewer is shown
    budget_bytes: int  # named in a self-collect prompt
    rules: str = ""  # the digest of the review rules the reviewer is given (review.rules)
    incremental: bool = False  # the diff since the last reviewed head (review.increment), not the whole change

    def to_dict(self) -> dict[str, Any]:
        parts = asdict(self)
        if not self.incremental:  # the keys of full reviews stay what they were
            del parts["incremental"]
        parts["focus"] = self.focus.strip()
        parts["commits"] = [_SHA.sub("", c) for c in self.commits]
        parts["prompt"] = prompts.PROMPT_VERSION
        parts["template"] = hashlib.sha256(prompts.template(self.mode).encode()).hexdigest()
        parts["schema"] = prompts.schema_digest()
        return parts


def key(parts: KeyParts) -> str:
    return hashlib.sha256(json.dumps(parts.to_dict(), sort_keys=True).encode()).hexdigest()


ENV_DIR = "CCPLUGIN_CACHE_DIR"  # the cache folder, when it is not the state folder's (CI restores it)
ENV_SECRET = "CCPLUGIN_CACHE_SECRET"  # seals entries: with it, only entries sealed with it are read


class Cache:
    """Entries by key. With a secret, each entry carries an HMAC of its key and content under it, and
    an entry without a valid one is a miss: code that cannot read the secret (a step of the job that
    ran the change's tests, given no secrets) cannot write an entry that counts, nor move an entry of
    another change under this key."""

    def __init__(self, root: Path, secret: str | None = None) -> None:
        self.root = root / "cache"
        self.secret = secret.encode() if secret else None

    @classmethod
    def of(cls, state_root: Path, env: Mapping[str, str]) -> Cache:
        """The state folder's cache, or the folder ``CCPLUGIN_CACHE_DIR`` names; sealed with
        ``CCPLUGIN_CACHE_SECRET`` when it is set."""
        made = cls(state_root, env.get(ENV_SECRET) or None)
        if env.get(ENV_DIR):
            made.root = Path(env[ENV_DIR]).absolute()
        return made

    def _seal(self, k: str, value: Mapping[str, Any]) -> str:
        assert self.secret is not None
        text = json.dumps({"key": k, "entry": value}, sort_keys=True)
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def _sealed(self, k: str, loaded: dict[str, Any]) -> bool:
        mac = loaded.pop("mac", None)
        return self.secret is None or (isinstance(mac, str) and hmac.compare_digest(mac, self._seal(k, loaded)))

    @property
    def inflight(self) -> Path:
        """Where the locks of the reviews in flight are (:mod:`ccplugin.review.inflight`)."""
        return self.root / "inflight"

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
        return loaded if isinstance(loaded, dict) and self._sealed(k, loaded) else None

    def put(self, k: str, value: dict[str, Any]) -> None:
        if self.secret is not None:
            value = json.loads(json.dumps(value))  # sealed as it will be read back
            value["mac"] = self._seal(k, value)
        private.directory(self.root)
        files.write_atomic(self._path(k), json.dumps(redact_json(value)), mode=0o600, dir_mode=0o700)
