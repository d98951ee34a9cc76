"""What the Action sends to GitHub, against a recording fake that answers as GitHub does (issue 11, items 7-12).

The fake (support.fake_github) validates every request body against the request schemas
of GitHub's published REST description (github/rest-api-description, api.github.com 2022-11-28,
vendored excerpt in tests/support/github/), pages in the ``/repositories/{id}/…`` form, and
answers 403 secondary rate limits, 429, primary limits, 422 for a line outside the diff of the
named commit and for bodies over 65,536 characters, and 403 for a read-only token. Most tests
drive ``ci/pr.py`` and ``ci/rest.py`` in-process against it (real git); the ones that need a
review run the real claude CLI against the fake Anthropic API.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ccplugin import plugins
from ccplugin.ci import runner
from ccplugin.ci.github import pr
from ccplugin.ci.github.rest import GitHub, GitHubError
from ccplugin.report import sarif
from ccplugin.review.findings import fingerprint
from ccplugin.review.hunks import parse_hunks
from ccplugin.review.model import Finding, Hunk
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import finding
from support.fake_github import BODY_MAX, REPOSITORY_ID, FakeGitHub, files_from_git
from support.github_responses import operations, response_problems
from test_ci_github import PR, UTIL, PullRequest, annotations, ci, github, pull, structured
from test_junit_sarif import reviewed, sarif_schema

__all__ = ["github", "pull", "sarif_schema"]  # fixtures shared with the other CI tests


def make(file: str, line: int, title: str = "Sign flipped", severity: str = "high", **extra: Any) -> Finding:
    body = extra.pop("body", f"{title} at {file}:{line}.")
    return Finding(
        severity, title, body, file, line, line, 0.9, extra.pop("recommendation", "Fix it."),
        fingerprint(file, title, severity), **extra,
    )  # fmt: skip


def client(gh: FakeGitHub, token: str | None = None, **kw: Any) -> GitHub:
    return GitHub(gh.url, token or gh.WRITE_TOKEN, "octo/repo", **kw)


def local_hunks(p: PullRequest, head: str) -> dict[str, tuple[Hunk, ...]]:
    """The diff of ``head`` against its merge base, from git (what the Action uses)."""
    merge_base = git(p.work, "merge-base", p.base, head).strip()
    return parse_hunks(git(p.work, "diff", "--unified=3", merge_base, head))


def statuses(gh: FakeGitHub, method: str | None = None) -> list[int]:
    """The statuses of the REST requests (the GraphQL ones, resolving threads, are tested in test_ci_github_threads)."""
    return [r.status for r in gh.requests if (method is None or r.method == method) and r.path != "/graphql"]


# --- the fake itself answers as GitHub does -------------------------------------------------------


def test_the_fake_refuses_bodies_the_published_description_does_not_allow(github: FakeGitHub) -> None:
    api = client(github)
    bad = [
        {"event": "COMMENTED", "body": "x"},  # not in the enum
        {"event": "COMMENT", "body": "x", "comments": [{"path": "calc.py", "line": 6}]},  # a comment needs a body
        {"event": "COMMENT", "body": "x", "commit": "abc"},  # not a permitted key
        {"event": "COMMENT", "body": "x", "comments": [{"path": "calc.py", "line": "6", "body": "b"}]},
    ]
    for body in bad:
        with pytest.raises(GitHubError) as caught:
            api.post(f"pulls/{PR}/reviews", body)
        assert caught.value.status == 422
    with pytest.raises(GitHubError):
        api.post(f"issues/{PR}/comments", {"text": "hi"})
    found = github.violations
    assert len(found) == 6 and any("'COMMENTED' is not one of" in v for v in found)
    assert any('"commit" is not a permitted key.' in v for v in found)
    assert any("'body' is a required property" in v for v in found)
    github.data.violations.clear()  # seen: the fixture checks that nothing else was refused


def test_the_fakes_answers_are_ones_githubs_published_response_schemas_allow(github: FakeGitHub) -> None:
    """Every answer of a whole review's exchange is checked against the vendored response schemas."""
    api = client(github)
    pull = api.get(f"pulls/{PR}")
    assert pull["head"]["repo"]["full_name"] == "octo/repo" and pull["user"]["login"] == ""
    files = api.get_all(f"pulls/{PR}/files")
    assert {f["filename"] for f in files} == {"calc.py", "util.py"} and all("blob_url" in f for f in files)
    line = {"path": "calc.py", "line": 6, "side": "RIGHT", "body": "b"}
    api.post(f"pulls/{PR}/reviews", {"event": "COMMENT", "body": "x", "comments": [line]})
    github.outdate_comments(PR)  # null lines, as GitHub sends them after a push
    comments = api.get_all(f"pulls/{PR}/comments") + api.get_all(f"pulls/{PR}/reviews")
    assert comments[0]["user"]["login"] == "github-actions[bot]" and comments[0]["line"] is None
    made = api.post(f"issues/{PR}/comments", {"body": "summary"})
    api.patch(f"issues/comments/{made['id']}", {"body": "summary, updated"})
    listed = api.get_all(f"issues/{PR}/comments")
    assert listed[0]["performed_via_github_app"]["slug"] == "github-actions"
    with pytest.raises(GitHubError):
        api.post(f"issues/{PR}/comments", {"body": "x" * (BODY_MAX + 1)})  # a 422 as GitHub words it
    assert github.violations == []


def test_the_response_schemas_refuse_answers_github_would_not_give() -> None:
    assert set(operations()) == {
        "pulls/get",
        "pulls/list-files",
        "pulls/list-review-comments",
        "pulls/list-reviews",
        "pulls/create-review",
        "issues/list-comments",
        "issues/create-comment",
        "issues/update-comment",
    }
    bare = response_problems("pulls/get", 200, {"number": PR, "state": "open", "head": {"sha": "abc"}})
    assert any("'_links' is a required property" in p for p in bare)
    user = {"login": "someone", "id": 1, "type": "User"}  # short of simple-user's required fields
    assert any(
        "'avatar_url' is a required property" in p
        for p in response_problems("pulls/list-reviews", 200, [{"user": user}])
    )
    assert response_problems("pulls/list-files", 200, [{"filename": "a", "status": "gone"}])
    assert response_problems(
        "pulls/create-review", 422, {"message": "x", "documentation_url": "https://d", "errors": [1]}
    )
    assert response_problems("pulls/get", 401, {"anything": True}) == []  # a status the description does not list


def test_the_fake_refuses_bodies_over_65536_characters_and_writes_of_a_read_only_token(github: FakeGitHub) -> None:
    with pytest.raises(GitHubError) as too_long:
        client(github).post(f"issues/{PR}/comments", {"body": "x" * (BODY_MAX + 1)})
    assert too_long.value.status == 422 and "too long" in too_long.value.message
    with pytest.raises(GitHubError) as read_only:
        client(github, github.READ_TOKEN).post(f"issues/{PR}/comments", {"body": "hi"})
    assert read_only.value.status == 403 and not read_only.value.rate_limited
    assert read_only.value.message == "Resource not accessible by integration"


def test_lists_page_with_link_headers_in_the_repositories_id_form(github: FakeGitHub) -> None:
    for i in range(250):
        github.add_issue_comment(PR, f"comment {i}")
    items = client(github).get_all(f"issues/{PR}/comments")
    assert [c["body"] for c in items] == [f"comment {i}" for i in range(250)]
    paths = [r.path for r in github.requests]
    assert paths[0] == f"/repos/octo/repo/issues/{PR}/comments"
    assert paths[1:] == [f"/repositories/{REPOSITORY_ID}/issues/{PR}/comments"] * 2
    assert [r.query for r in github.requests][1:] == ["per_page=100&page=2", "per_page=100&page=3"]


# --- 7: rate limits are waited out, within a bound, and said -------------------------------------


@pytest.mark.parametrize(
    ("kind", "retry_after", "waited"),
    [("secondary", 2, 2.0), ("too-many", 2, 2.0), ("secondary", None, 60.0), ("primary", 30, (29.0, 32.0))],
    ids=["secondary-retry-after", "429-retry-after", "secondary-no-header-one-minute", "primary-ratelimit-reset"],
)
def test_rate_limits_are_retried_after_the_wait_github_asks_for(
    github: FakeGitHub, kind: Any, retry_after: int | None, waited: float | tuple[float, float]
) -> None:
    sleeps: list[float] = []
    github.limit_next("POST", f"issues/{PR}/comments", kind, retry_after=retry_after)
    api = client(github, sleep=sleeps.append)
    assert api.post(f"issues/{PR}/comments", {"body": "hi"})["body"] == "hi"
    assert statuses(github) == [429 if kind == "too-many" else 403, 201]
    (slept,) = sleeps
    assert (waited[0] <= slept <= waited[1]) if isinstance(waited, tuple) else slept == waited
    assert "rate-limited 1 request(s)" in api.waits.note()


def test_a_rate_limit_longer_than_the_bound_is_not_waited_for(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    github.limit_next("POST", f"issues/{PR}/comments", retry_after=3600)
    with pytest.raises(GitHubError) as caught:
        client(github, sleep=sleeps.append).post(f"issues/{PR}/comments", {"body": "hi"})
    assert caught.value.rate_limited and caught.value.status == 403 and sleeps == []
    assert "asked for 3600 s more" in caught.value.message
    posted = pr._problem("post the review", caught.value)
    assert posted.kind == "rate-limit" and "pull-requests: write" not in posted.problem


def test_a_read_only_token_is_not_retried(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    with pytest.raises(GitHubError) as caught:
        client(github, github.READ_TOKEN, sleep=sleeps.append).post(f"issues/{PR}/comments", {"body": "hi"})
    assert (caught.value.status, caught.value.rate_limited, sleeps, statuses(github)) == (403, False, [], [403])


@pytest.mark.real_claude
def test_a_secondary_rate_limit_on_the_review_is_waited_out(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    github.limit_next("POST", f"pulls/{PR}/reviews", "secondary", retry_after=1)
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    assert statuses(github, "POST") == [403, 200, 201]
    assert len(github.reviews(PR)) == 1 and len(github.review_comments(PR)) == 1
    assert len(github.issue_comments(PR)) == 1
    assert "GitHub rate-limited 1 request(s); waited 1 s in all and retried" in pull.summary()
    assert "pull-requests: write" not in run.out + pull.summary()


@pytest.mark.real_claude
def test_a_rate_limit_that_holds_is_said_as_one_and_the_summary_comment_still_goes_out(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    github.limit_next("POST", f"pulls/{PR}/reviews", "secondary", retry_after=3600)
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    warning = annotations(run.out)[0]
    assert warning.startswith("::warning title=cc-review pull-request review not posted::could not post the review")
    assert "rate limit" in warning and "re-run the job later" in warning
    assert "pull-requests: write" not in run.out + pull.summary()
    assert github.reviews(PR) == [] and len(github.issue_comments(PR)) == 1  # the sticky comment went out


# --- 8: only the Action's own comments count ---------------------------------------------------


def test_markers_in_someone_elses_comments_count_for_nothing(pull: PullRequest, github: FakeGitHub) -> None:
    f = make("calc.py", 6)
    o = reviewed(f)
    marker = pr.summary_marker("review")
    github.add_issue_comment(PR, f"{marker}\nnothing to see {pr.fp_marker(f)}")  # by the other user
    api, where = client(github), pr.Where(PR, pull.head)
    posted = pr.post_review(api, where, o, local_hunks(pull, pull.head))
    assert (posted.comments, posted.already) == (1, 0)
    sticky = pr.upsert_sticky(api, where, marker, "the summary")
    assert sticky.sticky == "created"
    theirs, ours = github.issue_comments(PR)
    assert theirs["body"].endswith("nothing to see " + pr.fp_marker(f)) and theirs["user"]["login"] == "mallory"
    assert ours["user"]["login"] == "github-actions[bot]" and ours["body"] == f"{marker}\nthe summary"
    # the Action's own earlier comment does count: the next push neither repeats it nor adds a summary
    again = pr.post_review(api, where, o, local_hunks(pull, pull.head))
    assert (again.comments, again.already) == (0, 1)
    assert pr.upsert_sticky(api, where, marker, "the summary, again").sticky == "updated"
    assert [c["body"] for c in github.issue_comments(PR)][1] == f"{marker}\nthe summary, again"


def test_the_login_the_action_posts_as_is_configurable(pull: PullRequest, github: FakeGitHub) -> None:
    f = make("calc.py", 6)
    github.add_issue_comment(PR, "unrelated")
    review = {"event": "COMMENT", "body": f"earlier {pr.fp_marker(f)}", "commit_id": pull.head, "comments": []}
    client(github, github.USER_TOKEN).post(f"pulls/{PR}/reviews", review)
    where = pr.Where(PR, pull.head, login="mallory")
    posted = pr.post_review(client(github, github.USER_TOKEN), where, reviewed(f), local_hunks(pull, pull.head))
    assert (posted.comments, posted.already) == (0, 1)


def test_the_cli_edits_only_the_summary_comment_its_login_wrote(pull: PullRequest, github: FakeGitHub) -> None:
    marker = pr.summary_marker("review")
    theirs = github.add_issue_comment(PR, f"{marker}\nplanted")
    run = ci(pull, pull.env(None, github), "--fail-on", "high")  # no Anthropic key: only the summary comment
    assert run.code == 3, run.err
    planted, created = github.issue_comments(PR)
    assert planted == theirs and created["user"]["login"] == "github-actions[bot]"
    assert [r.method for r in github.requests if r.method != "GET"] == ["POST"]
    as_them = ci(pull, pull.env(None, github, github.USER_TOKEN), "--fail-on", "high", "--github-login", "mallory")
    assert as_them.code == 3, as_them.err
    assert github.issue_comments(PR)[0]["body"] != f"{marker}\nplanted"  # theirs now: edited in place
    assert [r.method for r in github.requests if r.method != "GET"] == ["POST", "PATCH"]


# --- 9: bodies within 65,536 characters; a refused comment is isolated ------------------------------


def test_a_huge_finding_is_cut_to_fit_and_still_goes_in_line(pull: PullRequest, github: FakeGitHub) -> None:
    f = make("calc.py", 6, body="word " * 14_000)  # 70,000 characters
    posted = pr.post_review(client(github), pr.Where(PR, pull.head), reviewed(f), local_hunks(pull, pull.head))
    assert (posted.comments, posted.problem) == (1, "")
    (comment,) = github.review_comments(PR)
    assert len(comment["body"]) <= BODY_MAX and comment["body"].endswith(pr.fp_marker(f))
    assert "cut to fit GitHub's 65,536-character limit" in comment["body"]
    assert 422 not in statuses(github)


def test_one_refused_comment_does_not_sink_the_others(pull: PullRequest, github: FakeGitHub) -> None:
    """GitHub refuses util.py:2 (outside its diff); the hunks given claim it is inside, as a stale diff would."""
    findings = [make("calc.py", 6), make("calc.py", 1, "Old naming", "low"), make("util.py", 2, "Magic", "medium")]
    stale = {"calc.py": (Hunk(1, 6),), "util.py": (Hunk(1, 5), Hunk(15, 20))}
    posted = pr.post_review(client(github), pr.Where(PR, pull.head), reviewed(*findings), stale)
    assert (posted.comments, posted.in_body, posted.problem) == (2, 1, "")
    assert sorted((c["path"], c["line"]) for c in github.review_comments(PR)) == [("calc.py", 1), ("calc.py", 6)]
    refused = [r["body"] for r in github.reviews(PR) if pr.fp_marker(findings[2]) in r["body"]]
    assert len(refused) == 1 and "`util.py:2` Magic" in refused[0]
    assert not any(pr.fp_marker(findings[0]) in r["body"] for r in github.reviews(PR))


def test_isolating_refused_comments_is_bounded(pull: PullRequest, github: FakeGitHub) -> None:
    findings = [make("util.py", n, f"Magic {n}", "medium") for n in range(1, 13)]  # none in util.py's diff
    stale = {"util.py": (Hunk(1, 13),)}
    posted = pr.post_review(client(github), pr.Where(PR, pull.head, max_comments=12), reviewed(*findings), stale)
    assert (posted.comments, posted.in_body, posted.problem) == (0, 12, "")
    refusals = statuses(github, "POST").count(422)
    assert refusals == pr.ISOLATION_TRIES and len(github.reviews(PR)) == 2  # the body, then the refused ones
    assert all(pr.fp_marker(f) in github.reviews(PR)[1]["body"] for f in findings)


def test_a_refusal_that_is_not_about_the_comments_is_an_error(pull: PullRequest, github: FakeGitHub) -> None:
    where = pr.Where(PR, "0" * 40)  # a commit the pull request does not have
    o = reviewed(make("calc.py", 6), make("calc.py", 1, "Old naming", "low"), make("util.py", 18, "Magic", "medium"))
    posted = pr.post_review(client(github), where, o, local_hunks(pull, pull.head))
    assert posted.kind == "other" and "No commit found for SHA" in posted.problem
    assert statuses(github, "POST") == [422, 422] and github.reviews(PR) == []


# --- 10: comments against the diff of the commit they name ---------------------------------------


def moved_on(p: PullRequest, gh: FakeGitHub) -> str:
    """A newer push changes util.py line 2; the clone stays at the reviewed head. The newer head."""
    reviewed_head = p.head
    p.push("util.py", UTIL.replace("VALUE_18 = 18", "VALUE_18 = 180").replace("VALUE_2 = 2", "VALUE_2 = 20"))
    newer = p.head
    gh.add_pull(PR, newer, p.base, files_from_git(p.work, p.base, newer))
    git(p.work, "reset", "-q", "--hard", reviewed_head)
    p.head = reviewed_head
    return newer


@pytest.mark.real_claude
def test_comments_are_placed_on_the_diff_of_the_commit_they_name(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    moved_on(pull, github)
    claude = cc_fake_claude(structured(finding("calc.py", 6), finding("util.py", 2, "medium", "Magic")))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    assert 422 not in statuses(github)
    (comment,) = github.review_comments(PR)
    assert (comment["path"], comment["line"], comment["commit_id"]) == ("calc.py", 6, pull.head)
    (review,) = github.reviews(PR)
    assert review["commit_id"] == pull.head and "`util.py:2` Magic" in review["body"]


def test_without_the_commit_in_the_clone_a_moved_pull_request_gets_no_in_line_comments(
    pull: PullRequest, github: FakeGitHub
) -> None:
    moved_on(pull, github)
    o = reviewed(make("calc.py", 6), make("util.py", 2, "Magic", "medium"))
    posted = pr.post_review(client(github), pr.Where(PR, pull.head), o, None)
    assert (posted.comments, posted.in_body, posted.moved, posted.problem) == (0, 2, True, "")
    assert 422 not in statuses(github) and github.review_comments(PR) == []
    assert "moved past the reviewed commit" in posted.note()


def test_the_pull_requests_files_are_used_while_its_head_is_the_named_commit(
    pull: PullRequest, github: FakeGitHub
) -> None:
    posted = pr.post_review(client(github), pr.Where(PR, pull.head), reviewed(make("calc.py", 6)), None)
    assert (posted.comments, posted.moved) == (1, False)


# --- 11: SARIF within code scanning's documented limits -------------------------------------------


def test_sarif_stays_within_code_scanning_limits(tmp_path: Path, sarif_schema: dict[str, Any]) -> None:
    long = make("calc.py", 6, "T" * 2000, body="b" * 70_000, recommendation="")
    o = reviewed(long, make("calc.py", 1, "Old naming", "low"))
    for label in ("calc", "util"):
        runner.write_files(o, runner.Publish(sarif=str(tmp_path / f"{label}.sarif"), label=label), plugins.host())
    docs = [json.loads((tmp_path / f"{label}.sarif").read_text()) for label in ("calc", "util")]
    for doc in docs:
        jsonschema.Draft4Validator(sarif_schema).validate(doc)
        rules = doc["runs"][0]["tool"]["driver"]["rules"]
        assert all(len(r["shortDescription"]["text"]) <= 1024 for r in rules)
        assert all(len(r["fullDescription"]["text"]) <= 1024 for r in rules)
        assert all(r["help"]["text"] for r in rules)
    assert rules[0]["help"]["text"] == sarif.NO_HELP and rules[1]["help"]["text"] == "Fix it."
    ids = [doc["runs"][0]["automationDetails"]["id"] for doc in docs]
    assert ids == ["cc-review/review/calc/", "cc-review/review/util/"]
    categories = {re.sub(r"/[^/]*$", "", i) for i in ids}  # GitHub: the category is the id up to its last "/"
    assert len(categories) == 2
    assert sarif.document(o)["runs"][0]["automationDetails"]["id"] == "cc-review/review/"


def test_sarif_stays_within_code_scanning_file_size_limit(sarif_schema: dict[str, Any]) -> None:
    body = "b" * 40_000

    def many(n: int, severity: str) -> list[Finding]:
        return [make("calc.py", i, f"{severity} {i} " + "t" * 1100, severity, body=body) for i in range(n)]

    cut = json.loads(sarif.render(reviewed(*many(300, "low"))))  # 12 MB of messages: cut, all kept
    jsonschema.Draft4Validator(sarif_schema).validate(cut)
    assert len(cut["runs"][0]["results"]) == 300
    assert all(len(r["message"]["text"]) <= sarif.MESSAGE_MAX for r in cut["runs"][0]["results"])
    assert "toolExecutionNotifications" not in cut["runs"][0]["invocations"][0]
    text = sarif.render(reviewed(*many(2000, "low"), *many(300, "high")))  # too many even when cut
    assert len(text.encode()) <= sarif.FILE_MAX
    doc = json.loads(text)
    kept = doc["runs"][0]["results"]
    assert 300 < len(kept) < 2300 and sum(r["level"] == "error" for r in kept) == 300  # the worst are kept
    (note,) = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith(f"{2300 - len(kept)} result(s) left out to fit code scanning's 10 MB")


# --- 12: why nothing was posted is said first ---------------------------------------------------


@pytest.mark.real_claude
def test_on_a_fork_the_review_not_posted_warning_comes_first(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    pull.fork = True
    many = [finding("util.py", n, "medium", f"Magic {n}") for n in range(1, 13)]
    claude = cc_fake_claude(structured(*many))
    run = ci(pull, pull.env(claude, github, github.READ_TOKEN), "--fail-on", "high")
    assert run.code == 0, run.err
    shown = annotations(run.out)
    assert shown[0].startswith("::warning title=cc-review pull-request review not posted::")
    assert [a.split(" ", 1)[0] for a in shown] == ["::warning"] * 10  # GitHub shows ten per type
    assert "3 finding(s) not shown as annotations" in pull.summary()  # all are in its table
