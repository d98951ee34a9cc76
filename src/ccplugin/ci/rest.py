"""A small GitHub REST client on urllib: JSON in and out, pagination, errors with their status.

The base URL is ``$GITHUB_API_URL`` (GitHub Enterprise Server has its own). A failed call is a
:class:`GitHubError` carrying the HTTP status (None when GitHub could not be reached), so the
caller can tell a read-only token (403) from a line outside the diff (422).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from ccplugin.redact import redact_json

DEFAULT_API = "https://api.github.com"
TIMEOUT = 30.0
MAX_PAGES = 30  # 3,000 items: GitHub lists at most 3,000 files of a pull request
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class GitHub:
    """One repository's REST API with one token."""

    api_url: str
    token: str
    repository: str  # owner/name

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

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", self._url(path, {}), body)[0]

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PATCH", self._url(path, {}), body)[0]

    def _url(self, path: str, params: dict[str, str | int]) -> str:
        url = f"{self.api_url.rstrip('/')}/repos/{self.repository}/{path.lstrip('/')}"
        return url + ("?" + urlencode(params) if params else "")

    def _same_origin(self, url: str) -> str | None:
        """Follow a pagination link only to the API we were given (never leak the token elsewhere)."""
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        return url if (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc) else None

    def _call(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[Any, dict[str, str]]:
        data = json.dumps(redact_json(body)).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers(data is not None))
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as e:
            raise GitHubError(e.code, _message(e.read())) from e
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
