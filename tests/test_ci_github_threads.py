"""Issue 13 item 4: a later push that fixes a finding resolves the Action's own review thread (GitHub's GraphQL
API, against the fake GitHub whose ``/graphql`` checks every document against a vendored excerpt of GitHub's
published schema) — only when the finding is gone from the new review and no person replied."""

from __future__ import annotations

import json

import pytest

from ccplugin.ci.github import pr, threads
from ccplugin.testing import fail
from ccplugin.testing.runner import OfflineClaude
from helpers import finding
from support import fake_graphql
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import FINDINGS, PR, UTIL, PullRequest, annotations, ci, github, pull, structured

__all__ = ["github", "pull"]  # fixtures shared with the GitHub tests


def _first_push(pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]) -> dict[str, int]:
    """The first push's review: two in-line comments; their ids by title."""
    assert ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high").code == 1
    comments = github.review_comments(PR)
    return {c["body"].split("]", 1)[1].split("**")[0].strip(): c["id"] for c in comments}


def _second_push(pull: PullRequest, github: FakeGitHub) -> None:
    pull.push("util.py", UTIL.replace("VALUE_18 = 18", "VALUE_18 = 181"))
    github.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))


def _graphql(github: FakeGitHub) -> list[str]:
    """The operations the Action sent to ``/graphql``."""
    return [r.body["query"].split("(", 1)[0] for r in github.requests if r.path == "/graphql"]


@pytest.mark.real_claude
def test_a_fixed_finding_resolves_its_thread_unless_a_person_replied(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    ids = _first_push(pull, github, cc_fake_claude)
    assert set(ids) == {"Sign flipped", "Old naming"} and _graphql(github) == ["query"]
    github.reply(PR, ids["Old naming"], "I disagree, and here is why.")
    _second_push(pull, github)
    fixed = cc_fake_claude(structured(finding("util.py", 2, "medium", "Magic numbers")))  # both in-line ones gone
    second = ci(pull, pull.env(fixed, github), "--fail-on", "high")
    assert second.code == 0, second.err
    assert github.resolved_threads(PR) == [ids["Sign flipped"]]  # the replied one stays open
    assert _graphql(github) == ["query", "query", "mutation"]
    (sticky,) = github.issue_comments(PR)
    assert "1 review thread(s) resolved since the last push" in sticky["body"]
    assert "1 kept open because a person replied" in sticky["body"]
    assert "1 review thread(s) resolved since the last push" in pull.summary()


@pytest.mark.real_claude
def test_a_finding_still_reported_keeps_its_outdated_thread(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    _first_push(pull, github, cc_fake_claude)
    _second_push(pull, github)
    github.outdate_comments(PR)  # GitHub marks both threads outdated, but the new review still reports both
    second = ci(pull, pull.env(cc_fake_claude(structured(*FINDINGS)), github), "--fail-on", "high")
    assert second.code == 1, second.err
    assert github.resolved_threads(PR) == [] and _graphql(github) == ["query", "query"]
    assert "2 outdated thread(s) kept open: the new review still reports their finding" in pull.summary()


@pytest.mark.real_claude
def test_a_failed_review_resolves_nothing(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    _first_push(pull, github, cc_fake_claude)
    _second_push(pull, github)
    second = ci(pull, pull.env(cc_fake_claude([fail(500)]), github), "--fail-on", "high")
    assert second.code == 3, second.err  # an error says nothing about whether a finding is gone
    assert github.resolved_threads(PR) == [] and _graphql(github) == ["query"]


@pytest.mark.real_claude
def test_a_read_only_token_cannot_resolve_and_that_is_a_warning(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    _first_push(pull, github, cc_fake_claude)
    _second_push(pull, github)
    second = ci(pull, pull.env(cc_fake_claude(structured()), github, github.READ_TOKEN), "--fail-on", "high")
    assert second.code == 0, second.err  # the gate is the review's: nothing found, a pass
    assert github.resolved_threads(PR) == [] and _graphql(github) == ["query", "query", "mutation"]
    warned = [a for a in annotations(second.out) if "could not resolve the review threads" in a]
    assert len(warned) == 1 and "Resource not accessible by integration" in warned[0]
    assert "the gate is unaffected" in warned[0]


# --- in-process: the rule and the schema check -----------------------------------------------------

SOURCE = pr.source_marker("review")
BOT = {"__typename": "Bot", "login": "github-actions"}


def _node(*comments: tuple[dict[str, str] | None, str], outdated: bool = False) -> dict[str, object]:
    nodes = [{"author": a, "body": b} for a, b in comments]
    listed = {"totalCount": len(nodes), "nodes": nodes}
    return {"id": "T", "isResolved": False, "isOutdated": outdated, "comments": listed}


MARKED = "**[high] x**\n<!-- ccplugin:fp=00112233aabbccdd -->" + SOURCE


@pytest.mark.parametrize(
    ("node", "resolved"),
    [
        (_node((BOT, MARKED)), 1),
        (_node((BOT, MARKED), ({"__typename": "User", "login": "mallory"}, "thanks")), 0),
        (_node((None, MARKED)), 0),  # a deleted user's comment is not provably ours
        (_node(({"__typename": "User", "login": "github-actions"}, MARKED)), 0),  # a person, not the bot
        (_node(({"__typename": "User", "login": "mallory"}, MARKED)), 0),  # someone else's copy of a marker
        (_node((BOT, MARKED.replace(SOURCE, pr.source_marker("review", "shard-2")))), 0),  # another shard's
        (_node((BOT, MARKED.replace("00112233aabbccdd", "ffffffffffffffff"))), 0),  # still reported
    ],
    ids=["ours-gone", "human-replied", "deleted-user", "bot-named-person", "not-ours", "other-shard", "reported"],
)
def test_only_the_actions_own_thread_of_a_gone_finding_is_resolved(node: dict[str, object], resolved: int) -> None:
    thread = threads.parse_thread(node, "github-actions[bot]", SOURCE)
    stale, counts = threads.decide([thread], ["ffffffffffffffff"])
    assert (len(stale), counts.resolved) == (resolved, resolved)


def test_a_thread_longer_than_one_page_is_kept() -> None:
    node = _node((BOT, MARKED))
    node["comments"] = {"totalCount": 101, "nodes": [{"author": BOT, "body": MARKED}]}
    assert threads.decide([threads.parse_thread(node, "github-actions[bot]", SOURCE)], [])[0] == []


def test_the_fake_refuses_what_githubs_schema_does_not_allow() -> None:
    ok = {"query": threads.THREADS, "variables": {"owner": "octo", "name": "repo", "number": PR, "after": None}}
    answer, problems = fake_graphql.execute(ok, {PR: []}, set(), "octo/repo", True)
    assert problems == [] and answer["data"]["repository"]["pullRequest"]["reviewThreads"]["nodes"] == []
    for query in (
        threads.THREADS.replace("isOutdated", "isStale"),  # no such field
        threads.THREADS.replace("first: 100, after", "first: 100, since"),  # no such argument
        threads.RESOLVE.replace("$thread: ID!", "$thread: Int!"),  # a variable of the wrong type
        threads.RESOLVE.replace("threadId:", "id:"),  # not a field of ResolveReviewThreadInput
    ):
        answer, problems = fake_graphql.execute({"query": query, "variables": {}}, {}, set(), "octo/repo", True)
        assert problems and "errors" in answer and "data" not in answer, query
    assert "82ff2d4780080e6929ebb95608cefa22dfa05ac7" in fake_graphql.SCHEMA_PATH.read_text()
    assert json.dumps(answer)  # an answer GitHub's shape: JSON
