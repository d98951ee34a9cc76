"""Incremental parser for `claude -p --output-format stream-json --verbose` output.

stdout is one JSON object per line: ``system/init``, ``assistant`` (whole messages: text and
``tool_use`` blocks), ``user`` (tool results), ``system/api_retry``, and one final
``result``. The parser turns lines into progress events and keeps what the run's outcome
needs, in bounded memory whatever the output size: a line longer than ``MAX_LINE`` is
skipped (counted as garbage), text keeps its head and tail up to ``TEXT_CAP`` characters,
and the tool, file, denial, error and garbage-sample lists are capped. Of a tool result it
keeps only whether it was a success and, for Bash, the ``diff --git`` lines it printed
(which files a git diff showed): what review coverage needs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccplugin.claude import prices
from ccplugin.claude.types import Event, ToolCall

MAX_LINE = 8 * 1024 * 1024
TEXT_CAP = 1024 * 1024
TOOLS_CAP = 500
FILES_CAP = 500
DENIALS_CAP = 100
ERRORS_CAP = 20
SAMPLES_CAP = 5
SAMPLE_CHARS = 200
EVENT_CHARS = 300
FIELD_CHARS = 500
DIFF_HEADERS_CAP = 5000  # `diff --git` lines kept over the whole run

EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
_PATH_KEYS = ("file_path", "notebook_path")
_EDIT_PATH_KEYS = (*_PATH_KEYS, "path")
_SUMMARY_KEYS = ("command", "pattern", "url", "query", "path", "description", "prompt")
_DIFF_HEADER = re.compile(r"^diff --git .+$", re.MULTILINE)


@dataclass(frozen=True)
class ParsedStream:
    """What one stream said, once it has ended."""

    session_id: str | None = None
    model: str | None = None
    text: str = ""
    structured: Any = None  # the result's ``structured_output``; None when absent
    saw_result: bool = False
    is_error: bool = False
    subtype: str | None = None
    api_error_status: int | None = None
    assistant_error: str | None = None  # e.g. "authentication_failed" on a synthetic message
    usage: dict[str, Any] = field(default_factory=dict)
    total_cost_usd: float | None = None
    estimated_cost_usd: float = 0.0  # priced from each assistant message's usage (claude.prices)
    api_key_source: str | None = None  # the init event's ``apiKeySource``: "none" on a subscription login
    num_turns: int | None = None
    permission_denials: tuple[dict[str, Any], ...] = ()
    errors: tuple[str, ...] = ()
    tools_used: tuple[str, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tools_total: int = 0
    files_touched: tuple[str, ...] = ()
    garbage_lines: int = 0
    garbage_samples: tuple[str, ...] = ()
    truncated: bool = False  # the last line had no newline and did not parse (counted as garbage)
    lines: int = 0


class BoundedText:
    """Appended text that keeps its first and last ``cap // 2`` characters."""

    def __init__(self, cap: int = TEXT_CAP) -> None:
        self._half = cap // 2
        self._head: list[str] = []
        self._head_len = 0
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._dropped = 0

    def append(self, s: str) -> None:
        if self._head_len < self._half:
            room = self._half - self._head_len
            self._head.append(s[:room])
            self._head_len += min(len(s), room)
            s = s[room:]
        if s:
            self._tail.append(s)
            self._tail_len += len(s)
            self._trim()

    def _trim(self) -> None:
        while self._tail and self._tail_len - len(self._tail[0]) >= self._half:
            gone = self._tail.popleft()
            self._tail_len -= len(gone)
            self._dropped += len(gone)

    def __len__(self) -> int:
        return self._head_len + self._tail_len + self._dropped

    def value(self) -> str:
        tail = "".join(self._tail)
        extra = max(0, len(tail) - self._half)
        tail = tail[extra:]
        dropped = self._dropped + extra
        head = "".join(self._head)
        if not dropped:
            return head + tail
        return f"{head}\n[… {dropped} characters omitted …]\n{tail}"


class StreamParser:
    """Feed stdout bytes as they arrive; read :meth:`outcome` after :meth:`close`.

    ``root`` (the run's working directory) makes tool targets and touched files relative.
    """

    def __init__(self, root: str | None = None) -> None:
        self._roots = _roots(root)
        self._buf = bytearray()
        self._skipping = False  # inside a line longer than MAX_LINE
        self._truncated = False  # the stream ended inside a line that did not parse
        self._lines = 0
        self._garbage = 0
        self._samples: list[str] = []
        self._session_id: str | None = None
        self._model: str | None = None
        self._assistant_error: str | None = None
        self._text = BoundedText()
        self._tools: list[str] = []
        self._calls: list[ToolCall] = []
        self._call_at: dict[str, int] = {}  # tool_use id → index in _calls, until its result comes
        self._headers_left = DIFF_HEADERS_CAP
        self._tools_total = 0
        self._files: dict[str, None] = {}
        self._final: dict[str, Any] = {}  # ParsedStream fields taken from the result event
        self._result_text: str | None = None
        self._spent = 0.0  # the estimate of every finished message
        self._message: tuple[str, float] = ("", 0.0)  # the current message's id and estimate
        self._key_source: str | None = None

    # ---- bytes → lines

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse every complete line in ``chunk`` (plus what was buffered)."""
        events: list[Event] = []
        start = 0
        scan = len(self._buf)  # the buffered part holds no newline
        self._buf += chunk
        while (nl := self._buf.find(b"\n", scan)) >= 0:
            line = self._buf[start:nl]
            start = scan = nl + 1
            if self._skipping:
                self._skipping = False
            else:
                events += self._line(line)
        del self._buf[:start]
        if self._skipping:
            self._buf.clear()
        elif len(self._buf) > MAX_LINE:
            self._bad(self._buf[:SAMPLE_CHARS], f"line longer than {MAX_LINE} bytes")
            self._skipping = True
            self._buf.clear()
        return events

    def close(self) -> list[Event]:
        """End of stream: a last line without a newline still counts."""
        before = self._garbage
        events = [] if self._skipping else self._line(self._buf)
        self._truncated = self._skipping or self._garbage > before
        self._buf.clear()
        self._skipping = False
        return events

    def _line(self, line: bytes | bytearray) -> list[Event]:
        if len(line) > MAX_LINE:
            self._bad(line[:SAMPLE_CHARS], f"line longer than {MAX_LINE} bytes")
            return []
        if not line or line.isspace():
            return []
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            self._bad(line, "not JSON")
            return []
        if not isinstance(obj, dict):
            self._bad(line, "not a JSON object")
            return []
        self._lines += 1
        return self._dispatch(obj)

    def _bad(self, line: bytes | bytearray, why: str) -> None:
        self._lines += 1
        self._garbage += 1
        if len(self._samples) < SAMPLES_CAP:
            text = line[:SAMPLE_CHARS].decode("utf-8", "replace")
            self._samples.append(f"{why}: {text}")

    # ---- objects → events and state

    def _dispatch(self, obj: dict[str, Any]) -> list[Event]:
        kind = obj.get("type")
        if kind == "assistant":
            return self._assistant(obj)
        if kind == "user":
            self._tool_results(obj)
            return []
        if kind == "result":
            return [self._result(obj)]
        if kind == "system":
            return self._system(obj)
        return []

    def _system(self, obj: dict[str, Any]) -> list[Event]:
        subtype = obj.get("subtype")
        if subtype == "init":
            self._set_session(obj, override=False)
            self._model = _str(obj.get("model"))
            self._key_source = _str(obj.get("apiKeySource"))
            data = {"session_id": self._session_id, "model": self._model}
            return [Event("init", f"started {self._model or 'claude'}", data)]
        if subtype == "api_retry":
            return [_retry_event(obj)]
        return []

    def _assistant(self, obj: dict[str, Any]) -> list[Event]:
        self._set_session(obj, override=False)
        self._assistant_error = _str(obj.get("error")) or self._assistant_error
        message = obj.get("message")
        if isinstance(message, dict):
            self._priced(message)
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            return []
        top_level = obj.get("parent_tool_use_id") is None
        events: list[Event] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and top_level:
                events += self._text_block(block.get("text"))
            elif block.get("type") == "tool_use":
                events.append(self._tool_block(block))
        return events

    def _priced(self, message: Mapping[str, Any]) -> None:
        """Count a message's usage once: claude prints one assistant event per block, each with the message's usage."""
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return
        ident = _str(message.get("id")) or ""
        cost = prices.cost_usd(_str(message.get("model")) or self._model, usage)
        if ident != self._message[0] or not ident:
            self._spent += self._message[1]
        self._message = (ident, cost)

    def estimate_usd(self) -> float:
        """What the messages so far cost, estimated from their usage (retried calls are not messages)."""
        return self._spent + self._message[1]

    def _text_block(self, text: object) -> list[Event]:
        if not isinstance(text, str) or not text:
            return []
        if len(self._text):
            self._text.append("\n\n")
        self._text.append(text)
        return [Event("text", _clip(text.strip(), EVENT_CHARS))]

    def _tool_block(self, block: dict[str, Any]) -> Event:
        name = _str(block.get("name")) or "tool"
        raw = block.get("input")
        args: dict[str, Any] = raw if isinstance(raw, dict) else {}
        path = self._path(name, args)
        target = path or _summary(args)
        label = f"{name} {target}" if target else name
        self._tools_total += 1
        if len(self._tools) < TOOLS_CAP:
            self._tools.append(label)
            self._call(block, name, path or _whole(args))
        if name in EDIT_TOOLS and path and len(self._files) < FILES_CAP:
            self._files[path] = None
        return Event("tool", label, {"name": name, "target": target})

    def _call(self, block: Mapping[str, Any], name: str, target: str) -> None:
        use_id = _str(block.get("id"))
        if use_id:
            self._call_at[use_id] = len(self._calls)
        self._calls.append(ToolCall(name, target))

    def _tool_results(self, obj: Mapping[str, Any]) -> None:
        message = obj.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and block.get("type") == "tool_result":
                self._tool_result(block)

    def _tool_result(self, block: Mapping[str, Any]) -> None:
        at = self._call_at.pop(_str(block.get("tool_use_id")) or "", None)
        if at is None:
            return
        call = self._calls[at]
        ok = block.get("is_error") is not True
        headers = self._diff_headers(block.get("content")) if ok and call.name == "Bash" else ()
        self._calls[at] = dataclasses.replace(call, ok=ok, diff_headers=headers)

    def _diff_headers(self, content: object) -> tuple[str, ...]:
        found = []
        for match in _DIFF_HEADER.finditer(_result_text(content)):
            if self._headers_left <= 0:
                break
            self._headers_left -= 1
            found.append(_clip(match.group(), FIELD_CHARS))
        return tuple(found)

    def _path(self, name: str, args: Mapping[str, Any]) -> str:
        for key in _EDIT_PATH_KEYS if name in EDIT_TOOLS else _PATH_KEYS:
            path = _str(args.get(key))
            if path:
                return self._relative(path)
        return ""

    def _relative(self, path: str) -> str:
        for root in self._roots:
            if path.startswith(root):
                return path[len(root) :]
        return path

    def _result(self, obj: dict[str, Any]) -> Event:
        self._set_session(obj, override=True)
        result = obj.get("result")
        self._result_text = result if isinstance(result, str) and result else None
        usage = obj.get("usage")
        self._final = {
            "saw_result": True,
            "is_error": obj.get("is_error") is True,
            "subtype": _str(obj.get("subtype")),
            "api_error_status": _int(obj.get("api_error_status")),
            "usage": usage if isinstance(usage, dict) else {},
            "total_cost_usd": _float(obj.get("total_cost_usd")),
            "num_turns": _int(obj.get("num_turns")),
            "structured": obj.get("structured_output"),
            "permission_denials": _denials(obj.get("permission_denials")),
            "errors": _errors(obj.get("errors")),
        }
        return Event("result", _result_message(self._final), _result_data(self._final))

    def _set_session(self, obj: Mapping[str, Any], *, override: bool) -> None:
        sid = _str(obj.get("session_id"))
        if sid and (override or not self._session_id):
            self._session_id = sid

    # ---- the outcome

    def outcome(self) -> ParsedStream:
        """Everything kept so far (complete once :meth:`close` has run)."""
        text = self._text.value()
        if self._result_text is not None:
            text = _clip_middle(self._result_text, TEXT_CAP)
        return ParsedStream(
            session_id=self._session_id,
            model=self._model,
            text=text,
            assistant_error=self._assistant_error,
            tools_used=tuple(self._tools),
            tool_calls=tuple(self._calls),
            tools_total=self._tools_total,
            files_touched=tuple(self._files),
            garbage_lines=self._garbage,
            garbage_samples=tuple(self._samples),
            truncated=self._truncated,
            lines=self._lines,
            estimated_cost_usd=self.estimate_usd(),
            api_key_source=self._key_source,
            **self._final,
        )


def parse(chunks: Sequence[bytes], root: str | None = None) -> ParsedStream:
    """Parse a whole stream given as chunks (tests, captured logs)."""
    parser = StreamParser(root)
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()
    return parser.outcome()


def _roots(root: str | None) -> tuple[str, ...]:
    if not root:
        return ()
    return tuple(dict.fromkeys(os.path.join(r, "") for r in (root, os.path.realpath(root))))


def _summary(args: Mapping[str, Any]) -> str:
    """A short description of a tool call without a file: its command, pattern, url, ..."""
    for key in _SUMMARY_KEYS:
        value = _str(args.get(key))
        if value and value.strip():
            return _clip(value.strip().splitlines()[0], 120)
    return ""


def _whole(args: Mapping[str, Any]) -> str:
    """A call's command, pattern, url, ... whole; "" when there is none or it is too long to keep."""
    for key in _SUMMARY_KEYS:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            return value if len(value) <= FIELD_CHARS else ""
    return ""


def _result_text(content: object) -> str:
    """A tool result's text: a string, or the text blocks of a list."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))


def _retry_event(obj: Mapping[str, Any]) -> Event:
    attempt, most = _int(obj.get("attempt")), _int(obj.get("max_retries"))
    delay_ms = _float(obj.get("retry_delay_ms"))
    status, error = _int(obj.get("error_status")), _str(obj.get("error"))
    msg = "API retry"
    if attempt is not None:
        msg += f" {attempt}/{most}" if most is not None else f" {attempt}"
    if delay_ms is not None:
        msg += f" after {delay_ms / 1000:.1f}s"
    why = " ".join(x for x in (f"status {status}" if status else "", error or "") if x)
    if why:
        msg += f" ({_clip(why, 80)})"
    data = {"attempt": attempt, "max_retries": most, "status": status, "error": error}
    return Event("retry", msg, data)


def _result_message(st: Mapping[str, Any]) -> str:
    parts = ["error" if st["is_error"] else "done"]
    if st["api_error_status"]:
        parts.append(f"HTTP {st['api_error_status']}")
    if st["subtype"] and st["subtype"] != "success":
        parts.append(st["subtype"])
    if st["num_turns"] is not None:
        parts.append(f"{st['num_turns']} turns")
    if st["total_cost_usd"] is not None:
        parts.append(f"${st['total_cost_usd']:.4f}")
    return ", ".join(parts)


def _result_data(st: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("is_error", "subtype", "api_error_status", "num_turns", "total_cost_usd")
    return {k: st[k] for k in keys}


def _denials(raw: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw[:DENIALS_CAP]:
        if isinstance(item, dict):
            args = item.get("tool_input")
            out.append(
                {
                    "tool_name": _str(item.get("tool_name")),
                    "tool_use_id": _str(item.get("tool_use_id")),
                    "tool_input": _shrink(args) if isinstance(args, dict) else {},
                }
            )
    return tuple(out)


def _shrink(args: Mapping[str, Any]) -> dict[str, Any]:
    """Tool input kept for a denial: scalars only, strings clipped (a Write's content is big)."""
    return {
        str(k)[:100]: _clip(v, 200) if isinstance(v, str) else v
        for k, v in list(args.items())[:20]
        if isinstance(v, str | int | float | bool) or v is None
    }


def _errors(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(_clip(str(e), FIELD_CHARS) for e in raw[:ERRORS_CAP])


def _str(value: object, limit: int = FIELD_CHARS) -> str | None:
    """A string field, clipped: nothing kept from the stream grows with a line's length."""
    return _clip(value, limit) if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_middle(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    keep = BoundedText(cap)
    keep.append(text)
    return keep.value()
