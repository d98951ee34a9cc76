"""A loopback, recording fake of the GitHub REST endpoints a pull-request review uses, answering like GitHub.

It keeps pull requests (their files per head commit), review comments, reviews and issue
comments in memory and logs every request (secret headers redacted), on the machinery the fake
model APIs share::

    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(7, head_sha, base_sha, files_from_git(repo, base_sha, head_sha))
        env["GITHUB_API_URL"], env["GITHUB_TOKEN"] = gh.url, gh.WRITE_TOKEN
        ...
        assert gh.review_comments(7)[0]["line"] == 6 and gh.violations == []

Routes, under ``/repos/{owner}/{name}/`` and ``/repositories/{id}/`` alike: ``GET pulls/{n}``,
``GET pulls/{n}/files``, ``GET pulls/{n}/comments``, ``GET|POST pulls/{n}/reviews``,
``GET|POST issues/{n}/comments``, ``PATCH issues/comments/{id}``; and ``POST /graphql`` (the PR's
``reviewThreads`` and ``resolveReviewThread``, checked against a vendored excerpt of GitHub's published
GraphQL schema: :mod:`support.fake_graphql`). Like GitHub:

- every request body is validated against the request schema of its operation, vendored from
  GitHub's published description (``github/rest-api-description``, api.github.com 2022-11-28:
  ``tests/support/github/rest-requests-2022-11-28.json`` names the commit); a key the schema does not
  list is refused too. Each violation is a 422 and is kept in :attr:`FakeGitHub.violations`;
- every answer is one GitHub's published response schemas allow
  (``tests/support/github/rest-responses-2022-11-28.json``, :mod:`support.github_responses`): pull requests,
  files, reviews, comments and users carry every field those schemas require, and an answer they do not
  allow is kept in :attr:`FakeGitHub.violations` too;
- lists page with ``per_page``/``page`` and a ``Link`` header (``next``, ``last``, ``prev``,
  ``first``) in GitHub's ``/repositories/{id}/…`` form;
- a review whose comment is not on a line of the diff of its ``commit_id`` is refused whole with
  422, and so is any body over 65,536 characters;
- a read-only token gets 403 "Resource not accessible by integration" on every write, an unknown
  token 401; :meth:`FakeGitHub.limit_next` scripts 403 secondary rate limits, 429s and primary
  rate limits (``Retry-After``, ``x-ratelimit-remaining``/``x-ratelimit-reset``).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, cast
from urllib.parse import parse_qs

import jsonschema

from ccplugin import git
from ccplugin.review.hunks import section_index
from ccplugin.testing.scenario import Match
from ccplugin.testing.server import LoopbackFake, ModelHandler, parse_json
from support import fake_graphql
from support.github_responses import response_problems, skeleton

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
ACTIONS_APP = {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"}
REPOSITORY_ID = 1296269
BODY_MAX = 65_536  # characters GitHub accepts in a comment or review body
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out "
    "to GitHub Support for help, please include the request ID 0000:1111:2222222:3333333:44444444."
)
Limit = Literal["secondary", "too-many", "primary"]
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_ROUTE = re.compile(r"^/(?:repos/(?P<repo>[^/]+/[^/]+)|repositories/(?P<id>\d+))/(?P<rest>.+)$")
_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
Answer = tuple[int, Any, dict[str, str]]


def _spec() -> dict[str, Any]:
    text = Path(__file__).with_name("github").joinpath("rest-requests-2022-11-28.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


OPERATIONS: dict[str, Any] = _spec()["operations"]


def commentable_lines(patch: str) -> set[int]:
    """New-side lines a review comment may sit on: every line of every hunk's new range."""
    lines: set[int] = set()
    for m in _HUNK.finditer(patch):
        start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
        lines.update(range(start, start + count))
    return lines


def files_from_git(root: Path, base: str, head: str) -> list[dict[str, Any]]:
    """``GET pulls/{n}/files`` items for ``base...head`` of a real repository (patch = hunks only)."""
    merge_base = git.merge_base(root, base, head) or base
    entries = {e.path: e for e in git.raw_diff(root, [merge_base, head])}
    patch = git.patch(root, [merge_base, head]).result().stdout
    files = []
    for path, (start, end) in _sections(patch, entries).items():
        section = git.decode(patch[start:end])
        at = section.find("\n@@")
        item: dict[str, Any] = {"filename": path, "status": _STATUS.get(entries[path].status, "modified")}
        if at != -1:
            item["patch"] = section[at + 1 :].rstrip("\n")
        files.append(item)
    return files


def _sections(patch: bytes, entries: Mapping[str, git.RawEntry]) -> dict[str, tuple[int, int]]:
    index = section_index(patch, [(e.old_path, e.path) for e in entries.values()])
    return {path: (spans[0][0], spans[-1][1]) for path, spans in index.items()}


def body_problems(op: str, body: Any) -> list[str]:
    """Why ``body`` is not a request GitHub's description allows for ``op`` (empty: it is)."""
    spec = OPERATIONS[op].get("requestBody")
    if spec is None:
        return [] if body is None else [f"{op} takes no request body"]
    if body is None:
        return [f"{op} needs a JSON body"] if spec["required"] else []
    schema = spec["schema"]
    found = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(body)]
    return found + _unlisted(schema, body)


def _unlisted(schema: Mapping[str, Any], value: Any) -> list[str]:
    """Keys the schema does not list (GitHub: '"x" is not a permitted key.'), nested objects included."""
    if schema.get("type") == "array" and isinstance(value, list):
        return [p for item in value for p in _unlisted(schema.get("items", {}), item)]
    if schema.get("type") != "object" or not isinstance(value, dict):
        return []
    props = schema.get("properties", {})
    out = [f'"{key}" is not a permitted key.' for key in value if key not in props]
    return out + [p for key, sub in props.items() if key in value for p in _unlisted(sub, value[key])]


def too_long(body: Any) -> bool:
    """A body (or a review comment's body) over GitHub's 65,536 characters."""
    if not isinstance(body, dict):
        return False
    bodies = [body.get("body"), *(c.get("body") for c in body.get("comments") or [] if isinstance(c, dict))]
    return any(isinstance(b, str) and len(b) > BODY_MAX for b in bodies)


@dataclass(frozen=True)
class Identity:
    role: Literal["write", "read"]
    user: Mapping[str, Any]
    app: Mapping[str, Any] | None = None  # what issue comments show as ``performed_via_github_app``


@dataclass
class Scripted:
    """A rate limit to answer the next ``times`` requests whose method and path match."""

    method: str
    suffix: str
    kind: Limit
    retry_after: int | None
    times: int = 1


@dataclass
class GitHubData:
    """The fake's repository state; every method holds the lock."""

    repository: str
    tokens: dict[str, Identity]
    lock: threading.Lock = field(default_factory=threading.Lock)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # number → head sha → files
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    scripted: list[Scripted] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    resolved_threads: set[str] = field(default_factory=set)  # GraphQL node ids of resolved review threads
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def new_id(self) -> int:
        return next(self.ids)

    def take_limit(self, method: str, path: str) -> Scripted | None:
        for s in self.scripted:
            if s.times > 0 and s.method == method and path.endswith(s.suffix):
                s.times -= 1
                return s
        return None


def limit_answer(s: Scripted) -> Answer:
    """A rate-limit refusal as GitHub sends it."""
    headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4990", "x-ratelimit-resource": "core"}
    if s.retry_after is not None:
        headers["retry-after"] = str(s.retry_after)
    if s.kind == "primary":
        reset = int(time.time()) + (s.retry_after or 0)
        headers |= {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
        headers.pop("retry-after", None)
        message = f"API rate limit exceeded for installation ID {REPOSITORY_ID}."
        return 403, _error(message, "rate-limits-for-the-rest-api#primary-rate-limit"), headers
    status = 403 if s.kind == "secondary" else 429
    return status, _error(SECONDARY, "rate-limits-for-the-rest-api#about-secondary-rate-limits"), headers


def _error(message: str, doc: str, errors: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message, "documentation_url": f"https://docs.github.com/rest/{doc}"}
    if errors is not None:
        out["errors"] = errors
    return out


NOT_FOUND: Answer = (404, _error("Not Found", "overview/resources-in-the-rest-api"), {})


class _GitHubHandler(ModelHandler[None]):
    MODEL_PATHS: ClassVar[frozenset[str]] = frozenset()

    @property
    def data(self) -> GitHubData:
        return cast(GitHubData, cast(Any, self.server).github)

    def _error_body(self, status: int, error_type: str | None = None, message: str | None = None) -> Any:
        return _error(message or "Not Found", "overview/resources-in-the-rest-api")

    def _extra_route(self, path: str, query: str, raw: bytes) -> bool:
        body = parse_json(raw)
        if path in ("/graphql", "/api/graphql") and self.command == "POST":
            self._graphql(path, query, body)
            return True
        m = _ROUTE.match(path)
        if m is None or (m.group("repo") or str(REPOSITORY_ID)) not in (self.data.repository, str(REPOSITORY_ID)):
            return False
        if m.group("id") is not None and m.group("id") != str(REPOSITORY_ID):
            return False
        with self.data.lock:
            status, payload, headers = self._answer_for(m.group("rest"), parse_qs(query), body)
            self._check_answer(m.group("rest"), status, payload)
        self._log(path, query, body, None, None, status)
        self._send_json(status, payload, headers)
        return True

    def _answer_for(self, rest: str, query: Mapping[str, list[str]], body: Any) -> Answer:
        who = self._identity()
        if who is None:
            return 401, _error("Bad credentials", "overview/authenticating-to-the-rest-api"), {}
        limited = self.data.take_limit(self.command, rest)
        if limited is not None:
            return limit_answer(limited)
        route = self._route(rest)
        if route is None:
            return NOT_FOUND
        op, handler, arg = route
        problems = body_problems(op, body)
        if problems:
            self.data.violations += [f"{self.command} {rest}: {p}" for p in problems]
            return 422, _error("Invalid request.\n\n" + "\n".join(problems), "overview/troubleshooting"), {}
        if self.command != "GET" and who.role == "read":
            return 403, _error("Resource not accessible by integration", "overview/permissions-required"), {}
        if too_long(body):
            errors = [{"resource": "Body", "code": "custom", "field": "body", "message": "body is too long"}]
            return 422, _error("Validation Failed", "overview/troubleshooting", errors), {}
        return handler(self, arg, query, body, who)

    def _graphql(self, path: str, query: str, body: Any) -> None:
        """GitHub's GraphQL endpoint: validated against the vendored schema excerpt, then executed."""
        who = self._identity()
        if who is None:
            status, payload = 401, _error("Bad credentials", "graphql")
        else:
            with self.data.lock:
                write = who.role == "write"
                args = (self.data.review_comments, self.data.resolved_threads, self.data.repository, write)
                payload, problems = fake_graphql.execute(body, *args)
                self.data.violations += [f"POST {path}: {p}" for p in problems]
            status = 200
        self._log(path, query, body, None, None, status)
        self._send_json(status, payload)

    def _check_answer(self, rest: str, status: int, payload: Any) -> None:
        """Keep, as a violation, an answer GitHub's published response schema does not allow."""
        route = self._route(rest)
        if route is not None:
            problems = response_problems(route[0], status, payload)
            self.data.violations += [f"answer to {self.command} {rest} ({status}): {p}" for p in problems]

    def _identity(self) -> Identity | None:
        auth = self.headers.get("authorization", "")
        return self.data.tokens.get(auth.split(" ", 1)[1] if " " in auth else "")

    def _route(self, rest: str) -> tuple[str, Handler, int] | None:
        parts = rest.split("/")
        if len(parts) == 3 and parts[:2] == ["issues", "comments"] and parts[2].isdigit():
            return ("issues/update-comment", _GitHubHandler._patch_issue_comment, int(parts[2]))
        if len(parts) not in (2, 3) or not parts[1].isdigit():
            return None
        found = _ROUTES.get((self.command, parts[0], parts[2] if len(parts) == 3 else ""))
        number = int(parts[1])
        if found is None or (parts[0] == "pulls" and number not in self.data.pulls):
            return None
        return found[0], found[1], number

    # -- routes -------------------------------------------------------------------------------

    def _pull(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        return 200, self.data.pulls[n], {}

    def _list(self, items: Sequence[Any], query: Mapping[str, list[str]]) -> Answer:
        per_page = max(1, min(100, int(query.get("per_page", ["30"])[0])))
        page = max(1, int(query.get("page", ["1"])[0]))
        last = max(1, -(-len(items) // per_page))
        chunk = list(items[(page - 1) * per_page : page * per_page])
        return 200, chunk, self._links(page, last, per_page)

    def _links(self, page: int, last: int, per_page: int) -> dict[str, str]:
        """GitHub's ``Link`` header: ``/repositories/{id}/…`` URLs, ``next``/``last``, then ``prev``/``first``."""
        rest = _ROUTE.match(self.path.split("?")[0])
        assert rest is not None
        base = f"http://{self.headers.get('host')}/repositories/{REPOSITORY_ID}/{rest.group('rest')}"
        rels = [("next", page + 1), ("last", last)] if page < last else []
        rels += [("prev", page - 1), ("first", 1)] if page > 1 else []
        links = [f'<{base}?per_page={per_page}&page={p}>; rel="{rel}"' for rel, p in rels]
        return {"link": ", ".join(links)} if links else {}

    def _files(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        return self._list(self.data.files[n].get(self.data.pulls[n]["head"]["sha"], []), query)

    def _get_review_comments(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        return self._list(self.data.review_comments.get(n, []), query)

    def _get_reviews(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        return self._list(self.data.reviews.get(n, []), query)

    def _post_review(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        review_body = body or {}
        commit = review_body.get("commit_id") or self.data.pulls[n]["head"]["sha"]
        if commit not in self.data.files[n]:
            return 422, _error("Unprocessable Entity", "pulls/reviews", [f"No commit found for SHA: {commit}"]), {}
        comments = review_body.get("comments") or []
        if any(not self._in_diff(n, commit, c) for c in comments):
            errors = ["Pull request review thread line must be part of the diff"]
            return 422, _error("Unprocessable Entity", "pulls/reviews", errors), {}
        review = skeleton("pull-request-review") | {"id": self.data.new_id(), "user": user(who)}
        review |= {"body": review_body.get("body", ""), "state": "COMMENTED", "commit_id": commit}
        self.data.reviews.setdefault(n, []).append(review)
        for c in comments:
            self._add_comment(n, c, review, who)
        return 200, review, {}

    def _get_issue_comments(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        return self._list(self.data.issue_comments.get(n, []), query)

    def _post_issue_comment(self, n: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        comment = issue_comment(self.data.new_id(), body["body"], who)
        self.data.issue_comments.setdefault(n, []).append(comment)
        return 201, comment, {}

    def _patch_issue_comment(self, cid: int, query: Mapping[str, list[str]], body: Any, who: Identity) -> Answer:
        for comment in itertools.chain.from_iterable(self.data.issue_comments.values()):
            if comment["id"] == cid:
                if comment["user"]["login"] != who.user["login"]:  # only the author (or an admin) may edit
                    return 403, _error("Resource not accessible by integration", "issues/comments"), {}
                comment["body"] = body["body"]
                return 200, comment, {}
        return NOT_FOUND

    # -- helpers ------------------------------------------------------------------------------

    def _in_diff(self, n: int, commit: str, comment: Mapping[str, Any]) -> bool:
        files = self.data.files[n][commit]
        patch = next((f.get("patch", "") for f in files if f["filename"] == comment.get("path")), "")
        lines = commentable_lines(patch or "")
        wanted = [comment.get("line"), *([comment["start_line"]] if comment.get("start_line") is not None else [])]
        if comment.get("side", "RIGHT") != "RIGHT":
            return False
        return all(isinstance(x, int) and x in lines for x in wanted)

    def _add_comment(self, n: int, c: Mapping[str, Any], review: Mapping[str, Any], who: Identity) -> None:
        comment = skeleton("pull-request-review-comment") | {
            "id": self.data.new_id(),
            "user": user(who),
            "pull_request_review_id": review["id"],
            "path": c.get("path"),
            "line": c.get("line"),
            "start_line": c.get("start_line"),
            "original_line": c.get("line"),
            "position": c.get("line"),
            "side": c.get("side", "RIGHT"),
            "commit_id": review["commit_id"],
            "original_commit_id": review["commit_id"],
            "body": c.get("body", ""),
        }
        self.data.review_comments.setdefault(n, []).append(comment)


Handler = Callable[[_GitHubHandler, int, Mapping[str, list[str]], Any, Identity], Answer]


def user(who: Identity) -> dict[str, Any]:
    """``who`` as GitHub shows a user (every field its ``simple-user`` schema requires)."""
    return skeleton("simple-user") | dict(who.user)


def issue_comment(cid: int, body: str, who: Identity) -> dict[str, Any]:
    app = skeleton("nullable-integration") | dict(who.app) if who.app is not None else None
    return skeleton("issue-comment") | {"id": cid, "user": user(who), "body": body, "performed_via_github_app": app}


_ROUTES: dict[tuple[str, str, str], tuple[str, Handler]] = {
    ("GET", "pulls", ""): ("pulls/get", _GitHubHandler._pull),
    ("GET", "pulls", "files"): ("pulls/list-files", _GitHubHandler._files),
    ("GET", "pulls", "comments"): ("pulls/list-review-comments", _GitHubHandler._get_review_comments),
    ("GET", "pulls", "reviews"): ("pulls/list-reviews", _GitHubHandler._get_reviews),
    ("POST", "pulls", "reviews"): ("pulls/create-review", _GitHubHandler._post_review),
    ("GET", "issues", "comments"): ("issues/list-comments", _GitHubHandler._get_issue_comments),
    ("POST", "issues", "comments"): ("issues/create-comment", _GitHubHandler._post_issue_comment),
}


class FakeGitHub(LoopbackFake[None]):
    """GitHub's REST API for one repository, on 127.0.0.1 (a context manager)."""

    HANDLER = _GitHubHandler
    API = "GitHub REST API"
    BLOCK_KINDS: ClassVar[frozenset[str]] = frozenset()
    WRITE_TOKEN = "ghs_fake_write_token"
    READ_TOKEN = "ghs_fake_read_only_token"
    USER_TOKEN = "ghp_fake_someone_elses_token"  # a human collaborator who may comment too
    USER: ClassVar[dict[str, Any]] = {"login": "mallory", "id": 5150, "type": "User"}

    def __init__(self, repository: str = "octo/repo", *, log_path: str | Path | None = None) -> None:
        super().__init__([], log_path=log_path)
        tokens = {
            self.WRITE_TOKEN: Identity("write", BOT, ACTIONS_APP),
            self.READ_TOKEN: Identity("read", BOT, ACTIONS_APP),
            self.USER_TOKEN: Identity("write", self.USER),
        }
        self.data = GitHubData(repository, tokens)

    def _matches(self, match: Match, summary: None) -> bool:
        return False

    def start(self) -> FakeGitHub:
        super().start()
        cast(Any, self._server).github = self.data
        return self

    def add_pull(self, number: int, head_sha: str, base_sha: str, files: list[dict[str, Any]]) -> dict[str, Any]:
        """Open (or move on, as after a push) pull request ``number`` at ``head_sha`` with these ``files`` items.

        The files of earlier heads stay known: a review may still name an older ``commit_id``.
        """
        repo = skeleton("repository") | {"full_name": self.data.repository, "id": REPOSITORY_ID}
        pull = skeleton("pull-request") | {"number": number, "state": "open"}
        pull["head"] = pull["head"] | {"sha": head_sha, "repo": repo}
        pull["base"] = pull["base"] | {"sha": base_sha, "repo": repo}
        with self.data.lock:
            self.data.pulls[number] = pull
            self.data.files.setdefault(number, {})[head_sha] = [skeleton("diff-entry") | f for f in files]
        return pull

    def limit_next(
        self, method: str, suffix: str, kind: Limit = "secondary", *, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """Answer the next ``times`` ``method`` requests whose path ends with ``suffix`` with a rate limit."""
        with self.data.lock:
            self.data.scripted.append(Scripted(method, suffix, kind, retry_after, times))

    def add_issue_comment(self, number: int, body: str, token: str | None = None) -> dict[str, Any]:
        """A comment someone (by default: the other user) wrote on the pull request."""
        with self.data.lock:
            comment = issue_comment(self.data.new_id(), body, self.data.tokens[token or self.USER_TOKEN])
            self.data.issue_comments.setdefault(number, []).append(comment)
            return copy.deepcopy(comment)

    def reply(self, number: int, comment_id: int, body: str, token: str | None = None) -> dict[str, Any]:
        """A reply in the review thread of comment ``comment_id`` (by default: by the other user)."""
        who = self.data.tokens[token or self.USER_TOKEN]
        with self.data.lock:
            root = next(c for c in self.data.review_comments[number] if c["id"] == comment_id)
            reply = root | {"id": self.data.new_id(), "user": user(who), "body": body, "in_reply_to_id": comment_id}
            self.data.review_comments[number].append(reply)
            return copy.deepcopy(reply)

    def resolved_threads(self, number: int) -> list[int]:
        """The ids of the top-level review comments whose thread is resolved."""
        with self.data.lock:
            roots = [c for c in self.data.review_comments.get(number, []) if not c.get("in_reply_to_id")]
            return [c["id"] for c in roots if fake_graphql.thread_id(c) in self.data.resolved_threads]

    def outdate_comments(self, number: int) -> None:
        """What GitHub does to review comments whose lines a push changed: ``line`` and ``position`` go null."""
        with self.data.lock:
            for c in self.data.review_comments.get(number, []):
                c["line"] = c["position"] = None

    @property
    def violations(self) -> list[str]:
        """Requests whose body GitHub's published request schema does not allow, and answers its response
        schemas do not allow."""
        with self.data.lock:
            return list(self.data.violations)

    def review_comments(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.review_comments.get(number, []))

    def reviews(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.reviews.get(number, []))

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.issue_comments.get(number, []))
