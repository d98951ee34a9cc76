"""An offline fake of the Anthropic Messages API that the real ``claude -p`` runs against.

Standard library only: a ``ThreadingHTTPServer`` (HTTP/1.1) on 127.0.0.1, answering from a
:class:`~ccplugin.testing.scenario.Scenario` and logging every request::

    with FakeAnthropic([reply("hello")]) as fake:
        env = offline_claude_env(fake, tmp_path)
        ...  # run claude -p with env
        assert fake.message_requests()[0].summary.turn == 0

Endpoints: ``POST /v1/messages`` (SSE when ``stream`` is true, else JSON),
``POST /v1/messages/count_tokens``, ``HEAD /`` (200); anything else is logged and answered 404.
A request no rule matches gets a 400 ``invalid_request_error`` naming the request, so a
scenario gap fails loudly instead of hanging (400 is not retried by claude).

From another process: ``python -m ccplugin.testing.fake_api --scenario FILE --port-file F``.

What the real claude 2.1.197 did against it (checked by tests/test_fake_api.py), beyond or
differing from ``shared/research/real-clients.md``:

- ``HEAD /`` (a preconnect) is skipped when a proxy is configured. ``offline_claude_env`` sets
  a dead loopback proxy with ``NO_PROXY=127.0.0.1,localhost``, so under it claude sends only
  ``POST /v1/messages?beta=true``; nothing reached the proxy.
- The ``role:"system"`` message sits right after the *first* user message, so it trails only
  on turn 0; later requests read ``[user, system, assistant, user, …]``.
- The environment notes carry `` - Primary working directory: <cwd>`` (2.1.197: in the system
  prompt; 2.1.332: in a ``<system-reminder>`` of the first user message); the fake reads the
  first such line wherever it is, so ``__CWD__`` in a scenario's tool input or text becomes the
  client's cwd.
- Text and tool_use blocks of one reply are merged into one assistant message on the next
  request, so ``turn`` counts API replies.
- ``--json-schema`` answered by a ``StructuredOutput`` tool_use: one API request; stream-json
  prints ``system/init``, ``assistant`` (the tool_use), ``user`` (tool_result "Structured output
  provided successfully"), ``result`` (``structured_output``, ``result`` = the JSON as a
  string, ``num_turns`` 2, ``stop_reason`` "tool_use").
- The ``result`` event's ``usage`` is the reply's ``message_delta`` usage.
- Errors with ``CLAUDE_CODE_MAX_RETRIES=0``: rc 1, one request, and stream-json prints a
  synthetic ``assistant`` line (``model`` "<synthetic>", the error text as content, top-level
  ``error``: 400 unknown, 401/403 authentication_failed, 404 model_not_found, 413
  invalid_request, 429 rate_limit, 5xx/529 server_error) before ``result`` (``is_error`` true,
  ``subtype`` "success", ``api_error_status``). ``result`` texts: "Failed to authenticate. API
  Error: 401 <msg>", "API Error: Request rejected (429) · <msg>", "API Error: 500 <msg>. This is
  a server-side issue, …". 529 gets no special treatment.
- A 404 on the streaming request makes claude repeat it once with ``stream: false`` (the
  JSON path).
- Retries (``CLAUDE_CODE_MAX_RETRIES=N``): each prints a ``system``/``api_retry`` line before
  the next attempt (``attempt``, ``max_retries``, ``retry_delay_ms``, ``error_status``,
  ``error``: rate_limit | server_error | overloaded). The delay is claude's own backoff, about
  0.5 s then 1 s … (+ up to 25 % jitter); ``retry-after: 1`` stretched the first delay to
  1 s, while ``retry-after: 0``, fractional values and ``retry-after-ms`` changed nothing, so
  a retry cannot be made faster than ~0.5 s. ``x-stainless-retry-count`` stays 0. One 429 then
  success with N=1 takes ~1.3 s in all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ccplugin.testing.messages import (
    RequestSummary,
    build_reply,
    count_tokens,
    error_body,
    summarize,
)
from ccplugin.testing.scenario import Match, Rule, matches
from ccplugin.testing.server import LoggedRequest, LoopbackFake, ModelHandler, parse_json, serve

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"

__all__ = ["COUNT_TOKENS_PATH", "MESSAGES_PATH", "FakeAnthropic", "LoggedRequest", "main"]


class _Handler(ModelHandler[RequestSummary]):
    MODEL_PATHS = frozenset({MESSAGES_PATH})

    def _summarize(self, body: Any) -> RequestSummary | None:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return None
        return summarize(body, self._headers())

    def _bad_body(self) -> str:
        return "body must be a JSON object with messages"

    def _error_body(self, status: int, error_type: str | None = None, message: str | None = None) -> Any:
        return error_body(status, error_type, message)

    def _unmatched(self, summary: RequestSummary) -> str:
        last = summary.last_user_text[-120:].replace("\n", " ")
        return (
            f"ccplugin fake API: no scenario rule matched this request (turn={summary.turn}, "
            f"has_tool_result={summary.has_tool_result}, tools={len(summary.tool_names)}, "
            f"last user text ends {last!r})"
        )

    def _extra_route(self, path: str, query: str, raw: bytes) -> bool:
        if self.command == "POST" and path == COUNT_TOKENS_PATH:
            body = parse_json(raw)
            self._log(path, query, body, None, None, 200)
            self._send_json(200, count_tokens(body if isinstance(body, dict) else {}))
            return True
        if self.command == "HEAD" and path == "/":
            self._log(path, query, None, None, None, 200)
            self._send_head(200, "text/plain", 0)
            return True
        return False

    def _answer(self, rule: Rule, summary: RequestSummary, seq: int) -> None:
        answer = build_reply(rule.reply, seq=seq, summary=summary, usage=rule.usage, stop_reason=rule.stop_reason)
        headers = {"request-id": f"req_fake_{seq:06d}", **rule.headers}
        if summary.stream:
            self._stream(answer.events(), headers, rule.stream_delay_s)
        else:
            self._send_json(200, answer.message(), headers)


class FakeAnthropic(LoopbackFake[RequestSummary]):
    """A loopback fake Messages API server; a context manager that starts and stops it."""

    HANDLER = _Handler
    API = "Anthropic API"
    BLOCK_KINDS: ClassVar[frozenset[str]] = frozenset({"text", "thinking", "tool_use", "structured_output"})
    MATCH_KEYS: ClassVar[frozenset[str] | None] = frozenset(set(Match.__dataclass_fields__) - {"subagent"})

    def _matches(self, match: Match, summary: RequestSummary) -> bool:
        return matches(match, summary)

    def message_requests(self) -> list[LoggedRequest[RequestSummary]]:
        """Only the ``POST /v1/messages`` requests."""
        return self.model_requests()

    def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[LoggedRequest[RequestSummary]]:
        """Block until ``count`` message requests arrived; raises TimeoutError otherwise."""
        return self.wait_for_model_requests(count, timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a scenario until SIGTERM/SIGINT; write the port to ``--port-file`` once listening."""
    return serve(FakeAnthropic, "python -m ccplugin.testing.fake_api", argv)


if __name__ == "__main__":
    raise SystemExit(main())
