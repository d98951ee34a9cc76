"""A small GitHub REST client on urllib: JSON in and out, pagination, rate limits, errors with their status.

The base URL is ``$GITHUB_API_URL`` (GitHub Enterprise Server has its own). A failed call is a
:class:`GitHubError` carrying the HTTP status (None when GitHub could not be reached), so the
caller can tell a read-only token (403) from a line outside the diff (422) and from a rate limit.

Rate limits, as GitHub documents them (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
"Exceeding the rate limit"): a 429, or a 403 that says "rate limit" or has ``x-ratelimit-remaining: 0``.
Wait ``Retry-After`` seconds when it is given, else until ``x-ratelimit-reset`` (UTC epoch seconds)
when nothing remains, else at least a minute, doubling on each further refusal. The waits of one
client add up to at most ``max_wait`` seconds; a limit that asks for more is a :class:`GitHubError`
with ``rate_limited`` set, never a permission problem.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from ccplugin.redact import redact_json

DEFAULT_API = "https://api.github.com"
TIMEOUT = 30.0
MAX_PAGES = 30  # 3,000 items: GitHub lists at most 3,000 files of a pull request
MAX_WAIT = 120.0  # seconds one run may spend waiting out rate limits, in all
MAX_TRIES = 4  # attempts of one request
UNSAID_WAIT = 60.0  # "wait for at least one minute" when GitHub does not say how long
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    def __init__(self, status: int | None, message: str, *, rate_limited: bool = False) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status
        self.message = message
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class Refusal:
    """One HTTP error answer: what the retry decision needs."""

    status: int
    message: str
    headers: Mapping[str, str]

    @property
    def rate_limited(self) -> bool:
        if self.status == 429:
            return True
        said = "rate limit" in self.message.lower() or self.headers.get("x-ratelimit-remaining") == "0"
        return self.status == 403 and said

    def wait(self, attempt: int, now: float) -> float:
        """Seconds to wait before the next attempt, as GitHub asks (``attempt`` counts from 0)."""
        after = self.headers.get("retry-after", "").strip()
        if after.isdigit():
            return float(after)
        reset = self.headers.get("x-ratelimit-reset", "").strip()
        if self.headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
            return max(0.0, float(reset) - now) + 1.0
        return UNSAID_WAIT * float(2**attempt)


@dataclass
class Waits:
    """The rate-limit waits of one client (what happened, for the report)."""

    seconds: list[float] = field(default_factory=list)

    @property
    def total(self) -> float:
        return float(sum(self.seconds))

    def note(self) -> str:
        if not self.seconds:
            return ""
        return f"GitHub rate-limited {len(self.seconds)} request(s); waited {self.total:g} s in all and retried"


@dataclass(frozen=True)
class GitHub:
    """One repository's REST API with one token."""

    api_url: str
    token: str
    repository: str  # owner/name
    max_wait: float = MAX_WAIT
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    waits: Waits = field(default_factory=Waits, repr=False, compare=False)

    def get_all(self, path: str) -> list[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"``."""
        url: str | None = self._url(path, {"per_page": 100})
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            page, headers = self._call("GET", url, None)
            items.extend(page if isinstance(page, list) else [])
            found = _NEXT.search(headers.get("link", ""))
            url = self._same_origin(found.group(1)) if found else None
        return items

    def get(self, path: str) -> Any:
        return self._call("GET", self._url(path, {}), None)[0]

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", self._url(path, {}), body)[0]

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PATCH", self._url(path, {}), body)[0]

    def graphql(self, query: str, variables: Mapping[str, Any]) -> Any:
        """``data`` of one GraphQL request; an answer with ``errors`` is a :class:`GitHubError`.

        GitHub answers a GraphQL refusal with 200 and ``errors`` (a read-only token's mutation:
        ``type: FORBIDDEN``, "Resource not accessible by integration"); its status is 403 here.
        """
        answer, _ = self._call("POST", graphql_url(self.api_url), {"query": query, "variables": dict(variables)})
        errors = answer.get("errors") if isinstance(answer, Mapping) else None
        if errors or not isinstance(answer, Mapping) or not isinstance(answer.get("data"), Mapping):
            raise GitHubError(_graphql_status(errors), _graphql_message(errors))
        return answer["data"]

    def _url(self, path: str, params: dict[str, str | int]) -> str:
        url = f"{self.api_url.rstrip('/')}/repos/{self.repository}/{path.lstrip('/')}"
        return url + ("?" + urlencode(params) if params else "")

    def _same_origin(self, url: str) -> str | None:
        """Follow a pagination link only to the API we were given (never leak the token elsewhere)."""
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        return url if (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc) else None

    def _call(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[Any, dict[str, str]]:
        """One request, retried while GitHub rate-limits it and the wait stays within ``max_wait``."""
        for attempt in range(MAX_TRIES):
            answer = self._once(method, url, body)
            if not isinstance(answer, Refusal):
                return answer
            if not answer.rate_limited:
                raise GitHubError(answer.status, answer.message)
            wait = answer.wait(attempt, self.clock())
            if attempt + 1 == MAX_TRIES or self.waits.total + wait > self.max_wait:
                raise GitHubError(answer.status, _gave_up(answer, wait, self.waits), rate_limited=True)
            self.waits.seconds.append(wait)
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[Any, dict[str, str]] | Refusal:
        data = json.dumps(redact_json(body)).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers(data is not None))
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as e:
            return Refusal(e.code, _message(e.read()), {k.lower(): v for k, v in e.headers.items()})
        except (urllib.error.URLError, OSError) as e:
            raise GitHubError(None, str(getattr(e, "reason", e))) from e
        try:
            return (json.loads(raw) if raw.strip() else None), headers
        except ValueError as e:
            raise GitHubError(None, f"{method} {urlsplit(url).path} answered with something other than JSON") from e

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "ccplugin",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers


def graphql_url(api_url: str) -> str:
    """GitHub's GraphQL endpoint beside its REST one: ``/graphql`` (GitHub Enterprise Server: ``/api/graphql``)."""
    base = api_url.rstrip("/")
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


def _graphql_status(errors: Any) -> int:
    kinds = {e.get("type") for e in errors if isinstance(e, Mapping)} if isinstance(errors, list) else set()
    return 403 if "FORBIDDEN" in kinds else 404 if "NOT_FOUND" in kinds else 200


def _graphql_message(errors: Any) -> str:
    if not isinstance(errors, list) or not errors:
        return "GitHub's GraphQL answer had no data"
    said = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors[:3]]
    return "; ".join(said)[:300]


def _gave_up(answer: Refusal, wait: float, waits: Waits) -> str:
    said = f"{answer.message} (rate limit: GitHub asked for {wait:g} s more"
    return said + f" after {len(waits.seconds)} retr(y/ies) and {waits.total:g} s of waiting; gave up)"


def _message(raw: bytes) -> str:
    try:
        payload = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:300]
    if not isinstance(payload, dict):
        return str(payload)[:300]
    errors = payload.get("errors")
    detail = f" ({json.dumps(errors)[:300]})" if errors else ""
    return f"{payload.get('message', '')}{detail}"
