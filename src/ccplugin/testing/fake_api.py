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
- The system prompt carries `` - Primary working directory: <cwd>``; the fake reads it, so
  ``__CWD__`` in a scenario's tool input or text becomes the client's cwd.
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

import argparse
import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from ccplugin import output
from ccplugin.errors import CCError
from ccplugin.testing.messages import (
    RequestSummary,
    build_reply,
    count_tokens,
    error_body,
    matches,
    sse,
    summarize,
)
from ccplugin.testing.scenario import Rule, Scenario, ScenarioLike, as_scenario

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
_SECRET_HEADERS = ("x-api-key", "authorization")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake received.

    ``headers`` have lower-case names; secret values are replaced by ``<redacted>``
    (``has_api_key`` says whether ``x-api-key`` was sent). ``rule`` is the index of the scenario
    rule that answered (None when none did), ``status`` the HTTP status sent.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    summary: RequestSummary | None
    rule: int | None
    status: int

    @property
    def has_api_key(self) -> bool:
        return "x-api-key" in self.headers

    @property
    def is_message(self) -> bool:
        return self.method == "POST" and self.path == MESSAGES_PATH

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("seq", "time", "method", "path", "query", "headers")}
        out |= {"body": self.body, "rule": self.rule, "status": self.status}
        out["summary"] = self.summary.to_dict() if self.summary else None
        return out


class _State:
    """What the handler threads share: scenario, counters, request log, stop signal."""

    def __init__(self, scenario: Scenario, log_path: Path | None) -> None:
        self.scenario = scenario
        self.log_path = log_path
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._used = [0] * len(scenario.rules)
        self._log: list[LoggedRequest] = []

    def choose(self, summary: RequestSummary) -> tuple[int, Rule] | None:
        """The first matching rule that has uses left; counts the use."""
        with self._lock:
            for index, rule in enumerate(self.scenario.rules):
                spent = rule.times is not None and self._used[index] >= rule.times
                if not spent and matches(rule.match, summary):
                    self._used[index] += 1
                    return index, rule
        return None

    def record(self, **fields: Any) -> LoggedRequest:
        with self._lock:
            entry = LoggedRequest(seq=len(self._log), time=time.time(), **fields)
            self._log.append(entry)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(entry.to_dict(), default=str) + "\n")
            self._lock.notify_all()
        return entry

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def wait(self, ready: Callable[[list[LoggedRequest]], bool], timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: ready(self._log), timeout)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._used = [0] * len(self.scenario.rules)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes the connections itself

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End idle keep-alive connections so their handler threads finish now."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Abort(Exception):
    """The server is stopping during a delay: drop the connection without answering."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300  # seconds an idle keep-alive connection may wait for its next request

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line; the request log has it all."""

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    @property
    def state(self) -> _State:
        return cast(_Server, self.server).state

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw = self._read_body()
        try:
            if self.command == "POST" and url.path == MESSAGES_PATH:
                self._messages(url.path, url.query, raw)
            elif self.command == "POST" and url.path == COUNT_TOKENS_PATH:
                body = _parse(raw)
                self._log(url.path, url.query, body, None, None, 200)
                self._send_json(200, count_tokens(body if isinstance(body, dict) else {}))
            elif self.command == "HEAD" and url.path == "/":
                self._log(url.path, url.query, None, None, None, 200)
                self._send_head(200, "text/plain", 0)
            else:
                self._log(url.path, url.query, _parse(raw), None, None, 404)
                self._send_json(404, error_body(404, message=f"no route {self.command} {url.path}"))
        except (_Abort, ConnectionError):  # stopping, or the client went away (cancelled run)
            self.close_connection = True

    def _messages(self, path: str, query: str, raw: bytes) -> None:
        body = _parse(raw)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._log(path, query, body, None, None, 400)
            self._send_json(400, error_body(400, message="body must be a JSON object with messages"))
            return
        summary = summarize(body, {k.lower(): v for k, v in self.headers.items()})
        chosen = self.state.choose(summary)
        if chosen is None:
            self._log(path, query, body, summary, None, 400)
            self._send_json(400, error_body(400, message=_unmatched(summary)))
            return
        index, rule = chosen
        entry = self._log(path, query, body, summary, index, rule.status or 200)
        self._pause(rule.delay_s)
        if rule.status is not None:
            error = error_body(rule.status, rule.error_type, rule.error_message)
            self._send_json(rule.status, error, rule.headers)
            return
        self._answer(rule, summary, entry.seq)

    def _answer(self, rule: Rule, summary: RequestSummary, seq: int) -> None:
        answer = build_reply(
            rule.reply,
            seq=seq,
            model=summary.model or "claude-fake",
            cwd=summary.cwd,
            usage=rule.usage,
            stop_reason=rule.stop_reason,
        )
        headers = {"request-id": f"req_fake_{seq:06d}", **rule.headers}
        if not summary.stream:
            self._send_json(200, answer.message(), headers)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        for event, data in answer.events():
            self.wfile.write(sse(event, data))
            self.wfile.flush()
            self._pause(rule.stream_delay_s)

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.state.stopping.wait(seconds):
            raise _Abort

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _log(
        self,
        path: str,
        query: str,
        body: Any,
        summary: RequestSummary | None,
        rule: int | None,
        status: int,
    ) -> LoggedRequest:
        headers = {k.lower(): v for k, v in self.headers.items()}
        for name in _SECRET_HEADERS:
            if name in headers:
                headers[name] = "<redacted>"
        return self.state.record(
            method=self.command,
            path=path,
            query=query,
            headers=headers,
            body=body,
            summary=summary,
            rule=rule,
            status=status,
        )

    def _send_json(self, status: int, payload: Any, extra: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._send_head(status, "application/json", len(data), extra)
        self.wfile.write(data)
        self.wfile.flush()

    def _send_head(self, status: int, content_type: str, length: int, extra: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(length))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _unmatched(summary: RequestSummary) -> str:
    last = summary.last_user_text[-120:].replace("\n", " ")
    return (
        f"ccplugin fake API: no scenario rule matched this request (turn={summary.turn}, "
        f"has_tool_result={summary.has_tool_result}, tools={len(summary.tool_names)}, "
        f"last user text ends {last!r})"
    )


class FakeAnthropic:
    """A loopback fake Messages API server; a context manager that starts and stops it."""

    def __init__(self, scenario: ScenarioLike, *, log_path: str | Path | None = None) -> None:
        self.scenario = as_scenario(scenario)
        self._state = _State(self.scenario, Path(log_path) if log_path else None)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise CCError("the fake Anthropic API is not running", "call start() or use `with`")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a snapshot)."""
        return self._state.snapshot()

    def message_requests(self) -> list[LoggedRequest]:
        """Only the ``POST /v1/messages`` requests."""
        return [r for r in self._state.snapshot() if r.is_message]

    def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[LoggedRequest]:
        """Block until ``count`` message requests arrived; raises TimeoutError otherwise."""
        if not self._state.wait(lambda log: sum(r.is_message for r in log) >= count, timeout):
            got = len(self.message_requests())
            raise TimeoutError(f"fake Anthropic API saw {got} of {count} message requests")
        return self.message_requests()

    def reset(self) -> None:
        """Forget the request log and the ``times`` counters."""
        self._state.reset()

    def start(self) -> FakeAnthropic:
        if self._server is None:
            self._server = _Server(self._state)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests waiting in ``delay_s`` are dropped unanswered."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._state.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- python -m ccplugin.testing.fake_api ------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a scenario until SIGTERM/SIGINT; write the port to ``--port-file`` once listening."""
    parser = argparse.ArgumentParser(prog="python -m ccplugin.testing.fake_api")
    parser.add_argument("--scenario", required=True, help="scenario JSON file or built-in name")
    parser.add_argument("--port-file", type=Path, help="write the port number here")
    parser.add_argument("--log", type=Path, help="append each request as a JSON line here")
    args = parser.parse_args(argv)
    try:
        fake = FakeAnthropic(args.scenario, log_path=args.log).start()
    except CCError as e:
        output.error(e.line())
        return int(e.exit_code)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.port_file:
        _write_atomic(args.port_file, str(fake.port))
    output.line(fake.url)
    while not done.wait(0.5):
        pass
    fake.stop()
    return 0


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
