"""The workflow event a review runs for: which pull request, which base and head commits.

Read from ``$GITHUB_EVENT_PATH`` (the event's JSON payload) and ``$GITHUB_EVENT_NAME``.
``pull_request`` and ``pull_request_target`` carry the pull request; ``workflow_dispatch``
reviews the checked-out commit against a base (``--base``, the dispatch input ``base``, or the
repository's default branch) and posts nothing to a pull request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin.errors import CCError

PR_EVENTS = ("pull_request", "pull_request_target")
SUPPORTED = (*PR_EVENTS, "workflow_dispatch")


@dataclass(frozen=True)
class PullRequest:
    number: int
    base_sha: str
    base_ref: str
    head_sha: str
    head_ref: str
    fork: bool  # the head lives in another repository (its workflows get no secrets)
    draft: bool = False

    @classmethod
    def from_payload(cls, pr: Mapping[str, Any], repository: str) -> PullRequest:
        base, head = _mapping(pr.get("base")), _mapping(pr.get("head"))
        head_repo = _mapping(head.get("repo")).get("full_name")
        return cls(
            number=int(pr["number"]),
            base_sha=str(base.get("sha") or ""),
            base_ref=str(base.get("ref") or ""),
            head_sha=str(head.get("sha") or ""),
            head_ref=str(head.get("ref") or ""),
            fork=head_repo != (_mapping(base.get("repo")).get("full_name") or repository),
            draft=bool(pr.get("draft")),
        )


@dataclass(frozen=True)
class Event:
    name: str
    repository: str  # owner/name
    pr: PullRequest | None
    base: str | None  # what to diff against: a commit sha or a branch name

    @property
    def head_sha(self) -> str | None:
        return self.pr.head_sha if self.pr else None


def load(env: Mapping[str, str], path: str | None = None) -> Event:
    """The event of this workflow run; a missing, unreadable or unsupported one is a CCError (exit 2).

    ``path`` names an event file written by the workflow itself (the fork-safe ``workflow_run``
    pattern): it is a ``pull_request`` event, whatever event started the run.
    """
    payload = _payload(path or env.get("GITHUB_EVENT_PATH", ""))
    name = (
        "pull_request"
        if path
        else env.get("GITHUB_EVENT_NAME") or ("pull_request" if "pull_request" in payload else "")
    )
    if name not in SUPPORTED:
        raise CCError(
            f"`ccplugin ci github` reviews pull requests, not the `{name or 'unknown'}` event",
            f"run it `on: {' | '.join(SUPPORTED)}`",
        )
    repository = env.get("GITHUB_REPOSITORY") or str(_mapping(payload.get("repository")).get("full_name") or "")
    if name in PR_EVENTS:
        return _pull_request_event(name, payload, repository)
    inputs = _mapping(payload.get("inputs"))
    base = inputs.get("base") or _mapping(payload.get("repository")).get("default_branch")
    return Event(name, repository, None, str(base) if base else None)


def _pull_request_event(name: str, payload: Mapping[str, Any], repository: str) -> Event:
    raw = payload.get("pull_request")
    if not isinstance(raw, Mapping) or "number" not in raw:
        raise CCError(
            f"the `{name}` event payload has no pull request",
            "check `GITHUB_EVENT_PATH`; it must be the event file of a pull_request run",
        )
    pr = PullRequest.from_payload(raw, repository)
    return Event(name, repository, pr, pr.base_sha or pr.base_ref or None)


def _payload(path: str) -> dict[str, Any]:
    if not path:
        raise CCError("`GITHUB_EVENT_PATH` is not set", "run inside GitHub Actions, or point it at an event JSON file")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise CCError(f"GitHub event file {path} not found", "point `GITHUB_EVENT_PATH` at the event JSON") from e
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CCError(f"cannot read the GitHub event file {path}: {e}", "pass the event JSON GitHub wrote") from e
    if not isinstance(data, dict):
        raise CCError(f"the GitHub event file {path} is not a JSON object", "pass the event JSON GitHub wrote")
    return data


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def from_fork(env: Mapping[str, str]) -> bool:
    """The workflow runs for a fork's pull request; an unreadable pull-request event counts as one."""
    if env.get("GITHUB_EVENT_NAME", "") not in PR_EVENTS:
        return False
    try:
        pr = load(env).pr
    except CCError:
        return True
    return pr is None or pr.fork
