"""The loopback HTTP machinery both fake APIs share: rule choice, request log, server lifecycle.

A fake is a :class:`LoopbackFake` subclass that names a :class:`ModelHandler` subclass; the
handler says which paths are model requests and how to summarise, refuse and answer them.
Everything else here (threads, keep-alive, delays, the JSONL log, ``python -m`` serving) is
the same for the Anthropic Messages and the OpenAI Responses fakes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import urlsplit

from ccplugin import output
from ccplugin.errors import CCError
from ccplugin.testing.scenario import Match, Rule, Scenario, ScenarioLike, as_scenario, check_dialect

S = TypeVar("S")
_SECRET_HEADERS = ("x-api-key", "authorization")


@dataclass(frozen=True)
class LoggedRequest(Generic[S]):
    """One request a fake received.

    ``headers`` have lower-case names; secret values (``x-api-key``, ``authorization``) are
    replaced by ``<redacted>``. ``summary`` is set for model requests with a well-formed body;
    ``rule`` is the index of the scenario rule that answered (None when none did), ``status``
    the HTTP status sent. ``is_model`` marks requests to the fake's model endpoint.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    summary: S | None
    rule: int | None
    status: int
    is_model: bool

    @property
    def has_api_key(self) -> bool:
        return any(name in self.headers for name in _SECRET_HEADERS)

    @property
    def is_message(self) -> bool:
        """Same as ``is_model`` (the name the Messages fake started with)."""
        return self.is_model

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("seq", "time", "method", "path", "query", "headers")}
        out |= {"body": self.body, "rule": self.rule, "status": self.status, "is_model": self.is_model}
        to_dict = getattr(self.summary, "to_dict", None)
        out["summary"] = to_dict() if callable(to_dict) else None
        return out


class _State(Generic[S]):
    """What the handler threads share: scenario, counters, request log, stop signal."""

    def __init__(self, scenario: Scenario, matches: Callable[[Match, S], bool], log_path: Path | None) -> None:
        self.scenario = scenario
        self.matches = matches
        self.log_path = log_path
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._used = [0] * len(scenario.rules)
        self._log: list[LoggedRequest[S]] = []

    def choose(self, summary: S) -> tuple[int, Rule] | None:
        """The first matching rule that has uses left; counts the use."""
        with self._lock:
            for index, rule in enumerate(self.scenario.rules):
                spent = rule.times is not None and self._used[index] >= rule.times
                if not spent and self.matches(rule.match, summary):
                    self._used[index] += 1
                    return index, rule
        return None

    def record(self, **fields: Any) -> LoggedRequest[S]:
        with self._lock:
            entry: LoggedRequest[S] = LoggedRequest(seq=len(self._log), time=time.time(), **fields)
            self._log.append(entry)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(entry.to_dict(), default=str) + "\n")
            self._lock.notify_all()
        return entry

    def snapshot(self) -> list[LoggedRequest[S]]:
        with self._lock:
            return list(self._log)

    def wait(self, ready: Callable[[list[LoggedRequest[S]]], bool], timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: ready(self._log), timeout)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._used = [0] * len(self.scenario.rules)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes the connections itself

    def __init__(self, state: _State[Any], handler: type[ModelHandler[Any]]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
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


class Abort(Exception):
    """The server is stopping during a delay: drop the connection without answering."""


class ModelHandler(BaseHTTPRequestHandler, Generic[S]):
    """One connection of a fake API. Subclasses fill in the wire dialect.

    ``MODEL_PATHS`` are answered from the scenario (POST only); ``_extra_route`` may answer
    other paths; anything left is logged and answered 404.
    """

    protocol_version = "HTTP/1.1"
    timeout = 300  # seconds an idle keep-alive connection may wait for its next request
    MODEL_PATHS: ClassVar[frozenset[str]] = frozenset()

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
    def state(self) -> _State[S]:
        return cast(_State[S], cast(_Server, self.server).state)

    # -- what a dialect fills in ----------------------------------------------------------------

    def _summarize(self, body: Any) -> S | None:
        """The request summary, or None when the body is not a model request at all."""
        raise NotImplementedError

    def _bad_body(self) -> str:
        return "body must be a JSON object"

    def _error_body(self, status: int, error_type: str | None = None, message: str | None = None) -> Any:
        raise NotImplementedError

    def _unmatched(self, summary: S) -> str:
        raise NotImplementedError

    def _answer(self, rule: Rule, summary: S, seq: int) -> None:
        raise NotImplementedError

    def _extra_route(self, path: str, query: str, raw: bytes) -> bool:
        """Answer a non-model route; False when there is none."""
        return False

    # -- shared flow ------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw = self._read_body()
        try:
            if self.command == "POST" and url.path in self.MODEL_PATHS:
                self._model(url.path, url.query, raw)
            elif not self._extra_route(url.path, url.query, raw):
                self._log(url.path, url.query, parse_json(raw), None, None, 404)
                self._send_json(404, self._error_body(404, message=f"no route {self.command} {url.path}"))
        except (Abort, ConnectionError):  # stopping, or the client went away (cancelled run)
            self.close_connection = True

    def _model(self, path: str, query: str, raw: bytes) -> None:
        body = parse_json(raw)
        summary = self._summarize(body)
        if summary is None:
            self._log(path, query, body, None, None, 400, is_model=True)
            self._send_json(400, self._error_body(400, message=self._bad_body()))
            return
        chosen = self.state.choose(summary)
        if chosen is None:
            self._log(path, query, body, summary, None, 400, is_model=True)
            self._send_json(400, self._error_body(400, message=self._unmatched(summary)))
            return
        index, rule = chosen
        entry = self._log(path, query, body, summary, index, rule.status or 200, is_model=True)
        self._pause(rule.delay_s)
        if rule.status is not None:
            error = self._error_body(rule.status, rule.error_type, rule.error_message)
            self._send_json(rule.status, error, rule.headers)
            return
        self._answer(rule, summary, entry.seq)

    # -- helpers for dialects ---------------------------------------------------------------------

    def _stream(self, events: Iterable[tuple[str, Any]], headers: Mapping[str, str], delay_s: float) -> None:
        """Send ``events`` as server-sent events, then close the connection."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        for event, data in events:
            self.wfile.write(sse(event, data))
            self.wfile.flush()
            self._pause(delay_s)

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.state.stopping.wait(seconds):
            raise Abort

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

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _log(
        self,
        path: str,
        query: str,
        body: Any,
        summary: S | None,
        rule: int | None,
        status: int,
        *,
        is_model: bool = False,
    ) -> LoggedRequest[S]:
        headers = self._headers()
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
            is_model=is_model,
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


def parse_json(raw: bytes) -> Any:
    """The body as JSON; undecodable bodies stay text, an empty one is None."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def chunks(value: str, size: int = 48) -> list[str]:
    """``value`` in pieces of ``size`` characters, so clients see more than one delta."""
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


F = TypeVar("F", bound="LoopbackFake[Any]")


class LoopbackFake(Generic[S]):
    """A fake API on 127.0.0.1 (a free port); a context manager that starts and stops it.

    Subclasses set ``HANDLER`` (their :class:`ModelHandler`), ``MATCHES`` (how a rule's
    ``match`` is checked against their summary), ``API`` (a name for messages) and the block
    kinds and match keys their dialect understands (checked when the fake is built).
    """

    HANDLER: ClassVar[type[ModelHandler[Any]]]
    API: ClassVar[str]
    BLOCK_KINDS: ClassVar[frozenset[str]]
    MATCH_KEYS: ClassVar[frozenset[str] | None] = None  # None: every Match field

    def __init__(self, scenario: ScenarioLike, *, log_path: str | Path | None = None) -> None:
        self.scenario = as_scenario(scenario)
        check_dialect(self.scenario, self.API, self.BLOCK_KINDS, self.MATCH_KEYS)
        self._state: _State[S] = _State(self.scenario, self._matches, Path(log_path) if log_path else None)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _matches(self, match: Match, summary: S) -> bool:
        raise NotImplementedError

    @property
    def port(self) -> int:
        if self._server is None:
            raise CCError(f"the fake {self.API} is not running", "call start() or use `with`")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, no path."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[LoggedRequest[S]]:
        """Every request so far, oldest first (a snapshot)."""
        return self._state.snapshot()

    def model_requests(self) -> list[LoggedRequest[S]]:
        """Only the requests to the model endpoint."""
        return [r for r in self._state.snapshot() if r.is_model]

    def wait_for_model_requests(self, count: int = 1, timeout: float = 10.0) -> list[LoggedRequest[S]]:
        """Block until ``count`` model requests arrived; raises TimeoutError otherwise."""
        if not self._state.wait(lambda log: sum(r.is_model for r in log) >= count, timeout):
            got = len(self.model_requests())
            raise TimeoutError(f"fake {self.API} saw {got} of {count} model requests")
        return self.model_requests()

    def reset(self) -> None:
        """Forget the request log and the ``times`` counters."""
        self._state.reset()

    def start(self: F) -> F:
        if self._server is None:
            self._server = _Server(self._state, self.HANDLER)
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

    def __enter__(self: F) -> F:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(fake_type: type[LoopbackFake[Any]], prog: str, argv: Sequence[str] | None = None) -> int:
    """``python -m …``: serve a scenario until SIGTERM/SIGINT; ``--port-file`` gets the port."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--scenario", required=True, help="scenario JSON file or built-in name")
    parser.add_argument("--port-file", type=Path, help="write the port number here")
    parser.add_argument("--log", type=Path, help="append each request as a JSON line here")
    args = parser.parse_args(argv)
    try:
        fake = fake_type(args.scenario, log_path=args.log).start()
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
