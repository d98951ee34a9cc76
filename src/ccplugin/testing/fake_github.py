"""A loopback fake of the GitHub REST endpoints a pull-request review uses, answering like GitHub.

It keeps pull requests, review comments, reviews and issue comments in memory and logs every
request (secret headers redacted), on the machinery the fake model APIs share::

    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(7, head_sha, base_sha, files_from_git(repo, base_sha, head_sha))
        env["GITHUB_API_URL"], env["GITHUB_TOKEN"] = gh.url, gh.WRITE_TOKEN
        ...
        assert gh.review_comments(7)[0]["line"] == 6

Routes under ``/repos/{owner}/{name}/``: ``GET pulls/{n}``, ``GET pulls/{n}/files``,
``GET|POST pulls/{n}/comments``, ``GET|POST pulls/{n}/reviews``, ``GET|POST issues/{n}/comments``,
``PATCH issues/comments/{id}``. Lists page with ``per_page``/``page`` and a ``Link`` header.
Like GitHub: a review whose comment is not on a line of the pull request's diff (its hunk
ranges on the new side, parsed here on their own) is refused whole with 422; a read-only
token gets 403 on every write; an unknown token 401.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import parse_qs

from ccplugin import git
from ccplugin.testing.scenario import Match
from ccplugin.testing.server import LoopbackFake, ModelHandler, parse_json

BOT = {"login": "github-actions[bot]", "type": "Bot", "id": 41898282}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_ROUTE = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/(?P<rest>.+)$")
_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}


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
    patch = git.decode(git.patch(root, [merge_base, head]).result().stdout)
    files = []
    for path, (start, end) in _sections(patch, entries).items():
        section = patch[start:end]
        at = section.find("\n@@")
        item: dict[str, Any] = {"filename": path, "status": _STATUS.get(entries[path].status, "modified")}
        if at != -1:
            item["patch"] = section[at + 1 :].rstrip("\n")
        files.append(item)
    return files


def _sections(patch: str, entries: Mapping[str, git.RawEntry]) -> dict[str, tuple[int, int]]:
    from ccplugin.review.hunks import section_index

    return section_index(patch, [(e.old_path, e.path) for e in entries.values()])


class GitHubData:
    """The fake's repository state; every method holds the lock."""

    def __init__(self, repository: str, tokens: Mapping[str, str]) -> None:
        self.repository = repository
        self.tokens = dict(tokens)  # token → "write" | "read"
        self.lock = threading.Lock()
        self.pulls: dict[int, dict[str, Any]] = {}
        self.files: dict[int, list[dict[str, Any]]] = {}
        self.review_comments: dict[int, list[dict[str, Any]]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.issue_comments: dict[int, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1000)

    def new_id(self) -> int:
        return next(self._ids)


class _GitHubHandler(ModelHandler[None]):
    MODEL_PATHS: ClassVar[frozenset[str]] = frozenset()

    @property
    def data(self) -> GitHubData:
        return cast(GitHubData, cast(Any, self.server).github)

    def _error_body(self, status: int, error_type: str | None = None, message: str | None = None) -> Any:
        return {"message": message or "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _extra_route(self, path: str, query: str, raw: bytes) -> bool:
        body = parse_json(raw)
        m = _ROUTE.match(path)
        if m is None or m.group("repo") != self.data.repository:
            return False
        denied = self._denied()
        if denied:
            self._reply(path, query, body, denied[0], {"message": denied[1]})
            return True
        with self.data.lock:
            status, payload, headers = self._route(m.group("rest"), parse_qs(query), body)
        self._reply(path, query, body, status, payload, headers)
        return True

    def _denied(self) -> tuple[int, str] | None:
        auth = self.headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        role = self.data.tokens.get(token)
        if role is None:
            return 401, "Bad credentials"
        if role == "read" and self.command in ("POST", "PATCH", "PUT", "DELETE"):
            return 403, "Resource not accessible by integration"
        return None

    def _reply(
        self, path: str, query: str, body: Any, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self._log(path, query, body, None, None, status)
        self._send_json(status, payload, headers)

    def _route(self, rest: str, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        parts = rest.split("/")
        if self.command == "PATCH" and parts[:2] == ["issues", "comments"] and parts[2:3] and parts[2].isdigit():
            return self._patch_issue_comment(int(parts[2]), query, body)
        key = (self.command, parts[0], parts[2] if len(parts) > 2 else "")
        if len(parts) < 2 or not parts[1].isdigit():
            return 404, {"message": "Not Found"}, {}
        number = int(parts[1])
        handler = _ROUTES.get(key)
        if handler is None:
            return 404, {"message": "Not Found"}, {}
        if parts[0] == "pulls" and number not in self.data.pulls:
            return 404, {"message": "Not Found"}, {}
        return handler(self, number, query, body)

    # -- routes -------------------------------------------------------------------------------

    def _pull(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self.data.pulls[n], {}

    def _list(self, items: Sequence[Any], query: Mapping[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        chunk = list(items[(page - 1) * per_page : page * per_page])
        headers = {}
        if page * per_page < len(items):
            url = f"http://{self.headers.get('host')}{self.path.split('?')[0]}?per_page={per_page}&page={page + 1}"
            headers["link"] = f'<{url}>; rel="next"'
        return 200, chunk, headers

    def _files(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        return self._list(self.data.files.get(n, []), query)

    def _get_review_comments(
        self, n: int, query: Mapping[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        return self._list(self.data.review_comments.get(n, []), query)

    def _get_reviews(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        return self._list(self.data.reviews.get(n, []), query)

    def _post_review(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        comments = body.get("comments") or []
        bad = [c for c in comments if not self._in_diff(n, c)]
        if bad:
            errors = ["Pull request review thread line must be part of the diff"]
            return 422, {"message": "Unprocessable Entity", "errors": errors}, {}
        review = {"id": self.data.new_id(), "user": BOT, "body": body.get("body", ""), "state": "COMMENTED"}
        review["commit_id"] = body.get("commit_id") or self.data.pulls[n]["head"]["sha"]
        self.data.reviews.setdefault(n, []).append(review)
        for c in comments:
            self._add_comment(n, c, review)
        return 200, review, {}

    def _post_review_comment(
        self, n: int, query: Mapping[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not self._in_diff(n, body):
            return 422, {"message": "Unprocessable Entity", "errors": ["line must be part of the diff"]}, {}
        return 201, self._add_comment(n, body, None), {}

    def _get_issue_comments(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        return self._list(self.data.issue_comments.get(n, []), query)

    def _post_issue_comment(self, n: int, query: Mapping[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        comment = {"id": self.data.new_id(), "user": BOT, "body": (body or {}).get("body", "")}
        self.data.issue_comments.setdefault(n, []).append(comment)
        return 201, comment, {}

    def _patch_issue_comment(
        self, cid: int, query: Mapping[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        for comment in itertools.chain.from_iterable(self.data.issue_comments.values()):
            if comment["id"] == cid:
                comment["body"] = (body or {}).get("body", "")
                return 200, comment, {}
        return 404, {"message": "Not Found"}, {}

    # -- helpers ------------------------------------------------------------------------------

    def _in_diff(self, n: int, comment: Mapping[str, Any]) -> bool:
        patch = next(
            (f.get("patch", "") for f in self.data.files.get(n, []) if f["filename"] == comment.get("path")), ""
        )
        lines = commentable_lines(patch or "")
        wanted = [comment.get("line"), *([comment["start_line"]] if comment.get("start_line") is not None else [])]
        if comment.get("side", "RIGHT") != "RIGHT":
            return False
        return all(isinstance(x, int) and x in lines for x in wanted)

    def _add_comment(self, n: int, c: Mapping[str, Any], review: Mapping[str, Any] | None) -> dict[str, Any]:
        commit = (review or {}).get("commit_id") or self.data.pulls[n]["head"]["sha"]
        comment = {
            "id": self.data.new_id(),
            "user": BOT,
            "pull_request_review_id": review["id"] if review else None,
            "path": c.get("path"),
            "line": c.get("line"),
            "start_line": c.get("start_line"),
            "original_line": c.get("line"),
            "position": c.get("line"),
            "side": c.get("side", "RIGHT"),
            "commit_id": commit,
            "body": c.get("body", ""),
        }
        self.data.review_comments.setdefault(n, []).append(comment)
        return comment


_ROUTES = {
    ("GET", "pulls", ""): _GitHubHandler._pull,
    ("GET", "pulls", "files"): _GitHubHandler._files,
    ("GET", "pulls", "comments"): _GitHubHandler._get_review_comments,
    ("POST", "pulls", "comments"): _GitHubHandler._post_review_comment,
    ("GET", "pulls", "reviews"): _GitHubHandler._get_reviews,
    ("POST", "pulls", "reviews"): _GitHubHandler._post_review,
    ("GET", "issues", "comments"): _GitHubHandler._get_issue_comments,
    ("POST", "issues", "comments"): _GitHubHandler._post_issue_comment,
}


class FakeGitHub(LoopbackFake[None]):
    """GitHub's REST API for one repository, on 127.0.0.1 (a context manager)."""

    HANDLER = _GitHubHandler
    API = "GitHub REST API"
    BLOCK_KINDS: ClassVar[frozenset[str]] = frozenset()
    WRITE_TOKEN = "ghs_fake_write_token"
    READ_TOKEN = "ghs_fake_read_only_token"

    def __init__(self, repository: str = "octo/repo", *, log_path: str | Path | None = None) -> None:
        super().__init__([], log_path=log_path)
        self.data = GitHubData(repository, {self.WRITE_TOKEN: "write", self.READ_TOKEN: "read"})

    def _matches(self, match: Match, summary: None) -> bool:
        return False

    def start(self) -> FakeGitHub:
        super().start()
        cast(Any, self._server).github = self.data
        return self

    def add_pull(self, number: int, head_sha: str, base_sha: str, files: list[dict[str, Any]]) -> dict[str, Any]:
        """Open (or move on, as after a push) pull request ``number`` with these ``files`` items."""
        repo = {"full_name": self.data.repository}
        pull = {
            "number": number,
            "state": "open",
            "head": {"sha": head_sha, "repo": repo},
            "base": {"sha": base_sha, "repo": repo},
        }
        with self.data.lock:
            self.data.pulls[number] = pull
            self.data.files[number] = files
        return pull

    def outdate_comments(self, number: int) -> None:
        """What GitHub does to review comments whose lines a push changed: ``line`` and ``position`` go null."""
        with self.data.lock:
            for c in self.data.review_comments.get(number, []):
                c["line"] = c["position"] = None

    def review_comments(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.review_comments.get(number, []))

    def reviews(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.reviews.get(number, []))

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        with self.data.lock:
            return copy.deepcopy(self.data.issue_comments.get(number, []))
