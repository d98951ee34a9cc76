"""Resolve the Action's own review threads whose finding a later push fixed (GitHub's GraphQL API).

A thread is resolved only when all of this holds:

- every comment in it was written by the Action's identity (:attr:`ccplugin.ci.github.pr.Where.login`):
  a person's reply (or a deleted user's) keeps it open, and so does a thread longer than one page;
- its comments carry this run's source marker (same mode, same shard label: another shard's or
  mode's threads are not this review's to judge) and at least one fingerprint marker;
- none of its fingerprints is among the findings of the new review. An outdated thread (GitHub:
  ``isOutdated``, the lines moved) whose finding the new review still reports stays open: the
  lines moved, the finding did not.

Nothing is resolved when there is no new review (an error is never evidence that a finding is
gone). A refusal (a read-only token's ``FORBIDDEN``, any GraphQL error) is a :class:`GitHubError`
the caller turns into a warning; the gate never depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccplugin.ci.github.pr import seen_fingerprints
from ccplugin.ci.github.rest import MAX_PAGES, GitHub, GitHubError

THREADS = """query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          isOutdated
          comments(first: 100) { totalCount nodes { author { __typename login } body } }
        }
      }
    }
  }
}"""
RESOLVE = """mutation($thread: ID!) {
  resolveReviewThread(input: {threadId: $thread}) { thread { id isResolved } }
}"""


@dataclass(frozen=True)
class Thread:
    id: str
    resolved: bool
    outdated: bool
    ours_only: bool  # every comment is the Action's, and all of them are on this page
    fingerprints: frozenset[str]  # from the Action's comments that carry this run's source marker


@dataclass(frozen=True)
class Resolved:
    resolved: int = 0
    human: int = 0  # gone, but a person replied: kept open
    outdated_kept: int = 0  # outdated, but the finding is still reported: kept open

    def note(self) -> str:
        said = f"{self.resolved} review thread(s) resolved since the last push (their finding is gone)"
        if self.human:
            said += f"; {self.human} kept open because a person replied"
        if self.outdated_kept:
            said += f"; {self.outdated_kept} outdated thread(s) kept open: the new review still reports their finding"
        return said


def is_us(author: Any, login: str) -> bool:
    """GraphQL names a bot without its ``[bot]`` suffix: ``github-actions`` is REST's ``github-actions[bot]``."""
    if not isinstance(author, Mapping):
        return False  # a deleted user: not provably us
    name, kind = author.get("login"), author.get("__typename")
    if login.endswith("[bot]"):
        return kind == "Bot" and f"{name}[bot]" == login
    return kind == "User" and name == login


def parse_thread(node: Mapping[str, Any], login: str, source: str) -> Thread:
    comments = _map(node.get("comments"))
    items = [c for c in comments.get("nodes") or [] if isinstance(c, Mapping)]
    ours = [c for c in items if is_us(c.get("author"), login)]
    whole = len(items) == comments.get("totalCount", len(items))
    marked = [str(c.get("body") or "") for c in ours if source in str(c.get("body") or "")]
    return Thread(
        str(node.get("id") or ""),
        node.get("isResolved") is True,
        node.get("isOutdated") is True,
        bool(items) and len(ours) == len(items) and whole,
        frozenset(seen_fingerprints(marked)),
    )


def threads(api: GitHub, number: int, login: str, source: str) -> list[Thread]:
    """The pull request's review threads, every page."""
    owner, _, name = api.repository.partition("/")
    out: list[Thread] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        data = api.graphql(THREADS, {"owner": owner, "name": name, "number": number, "after": after})
        page = _connection(data)
        out += [parse_thread(n, login, source) for n in page.get("nodes") or [] if isinstance(n, Mapping)]
        info = _map(page.get("pageInfo"))
        after = info.get("endCursor") if info.get("hasNextPage") else None
        if not after:
            break
    return out


def _connection(data: Mapping[str, Any]) -> Mapping[str, Any]:
    found = _map(_map(_map(data.get("repository")).get("pullRequest")).get("reviewThreads"))
    if not found:
        raise GitHubError(404, "the pull request's review threads were not in GitHub's answer")
    return found


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def decide(found: Sequence[Thread], current: Iterable[str]) -> tuple[list[Thread], Resolved]:
    """The threads to resolve, and the counts of the ones kept open."""
    now = set(current)
    candidates = [t for t in found if not t.resolved and t.fingerprints]
    gone = [t for t in candidates if not t.fingerprints & now]
    stale = [t for t in gone if t.ours_only]
    kept_outdated = [t for t in candidates if t.outdated and t.fingerprints & now]
    return stale, Resolved(len(stale), len(gone) - len(stale), len(kept_outdated))


def resolve_stale(api: GitHub, number: int, login: str, source: str, current: Iterable[str]) -> Resolved:
    """Resolve the Action's threads whose finding is gone; what was done."""
    stale, counts = decide(threads(api, number, login, source), current)
    for t in stale:
        api.graphql(RESOLVE, {"thread": t.id})
    return counts
