"""The Anthropic Messages API wire shapes the fake speaks: request summaries, replies, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ccplugin.testing.scenario import STRUCTURED_TOOL, Block, Match

DEFAULT_USAGE = {
    "input_tokens": 10,
    "output_tokens": 5,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
CWD_PLACEHOLDER = "__CWD__"
_CWD_LINE = re.compile(r"^[\s-]*(?:Primary w|W)orking directory:\s*(\S.*?)\s*$", re.MULTILINE)
_CHUNK = 48  # characters per text/json delta, so clients see more than one delta


@dataclass(frozen=True)
class ToolResult:
    tool_use_id: str
    content: str
    is_error: bool


@dataclass(frozen=True)
class RequestSummary:
    """What a scenario rule can match on, taken from one ``POST /v1/messages`` body."""

    turn: int
    model: str
    stream: bool
    prompt_text: str
    last_user_text: str
    tool_results: tuple[ToolResult, ...]
    tool_names: tuple[str, ...]
    system_text: str
    cwd: str | None
    session_id: str | None

    @property
    def has_tool_result(self) -> bool:
        return bool(self.tool_results)

    @property
    def has_json_schema(self) -> bool:
        return STRUCTURED_TOOL in self.tool_names

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["system_len"] = len(out.pop("system_text"))
        out["has_json_schema"] = self.has_json_schema
        return out


def summarize(body: Mapping[str, Any], headers: Mapping[str, str]) -> RequestSummary:
    messages = [m for m in body.get("messages", []) if isinstance(m, Mapping)]
    users = [m for m in messages if m.get("role") == "user"]
    last_user = users[-1] if users else {}
    system = (
        _text(body.get("system", ""))
        + "\n"
        + "\n".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
    )
    found = _CWD_LINE.search(system)
    return RequestSummary(
        turn=sum(1 for m in messages if m.get("role") == "assistant"),
        model=str(body.get("model", "")),
        stream=bool(body.get("stream", False)),
        prompt_text=_text(users[0].get("content")) if users else "",
        last_user_text=_text(last_user.get("content")),
        tool_results=_tool_results(last_user.get("content")),
        tool_names=tuple(str(t.get("name", "")) for t in body.get("tools", []) or []),
        system_text=system.strip(),
        cwd=found.group(1) if found else None,
        session_id=headers.get("x-claude-code-session-id"),
    )


def matches(match: Match, s: RequestSummary) -> bool:
    """True when every condition set in ``match`` holds for the request."""
    checks = (
        (match.turn, lambda v: s.turn == v),
        (match.has_tool_result, lambda v: s.has_tool_result == v),
        (match.last_user_contains, lambda v: v in s.last_user_text),
        (match.system_contains, lambda v: v in s.system_text),
        (match.prompt_contains, lambda v: v in s.prompt_text),
        (match.tool_offered, lambda v: v in s.tool_names),
        (match.has_json_schema, lambda v: s.has_json_schema == v),
        (match.model_contains, lambda v: v in s.model),
        (match.stream, lambda v: s.stream == v),
    )
    return all(check(value) for value, check in checks if value is not None)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (
            b.get("text", "") for b in content if isinstance(b, Mapping) and b.get("type") == "text"
        )
        return "\n".join(str(p) for p in parts)
    return ""


def _tool_results(content: Any) -> tuple[ToolResult, ...]:
    if not isinstance(content, list):
        return ()
    return tuple(
        ToolResult(str(b.get("tool_use_id", "")), _text(b.get("content")), bool(b.get("is_error")))
        for b in content
        if isinstance(b, Mapping) and b.get("type") == "tool_result"
    )


# -- replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A resolved answer: ids assigned, placeholders filled, usage and stop reason decided."""

    message_id: str
    model: str
    blocks: tuple[dict[str, Any], ...]
    stop_reason: str
    usage: dict[str, int]

    def message(self) -> dict[str, Any]:
        """The non-streaming JSON body."""
        return {
            "id": self.message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": list(self.blocks),
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "usage": self.usage,
        }

    def events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The SSE events of a streamed answer, as (event name, data)."""
        start = {**self.message(), "content": [], "stop_reason": None}
        yield "message_start", {"type": "message_start", "message": start}
        yield "ping", {"type": "ping"}
        for index, block in enumerate(self.blocks):
            yield from _block_events(index, block)
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        yield "message_delta", {"type": "message_delta", "delta": delta, "usage": self.usage}
        yield "message_stop", {"type": "message_stop"}


def build_reply(
    blocks: tuple[Block, ...],
    *,
    seq: int,
    model: str,
    cwd: str | None,
    usage: Mapping[str, int],
    stop_reason: str | None,
) -> Reply:
    wire = tuple(_wire_block(b, f"toolu_fake_{seq:06d}_{i}", cwd) for i, b in enumerate(blocks))
    has_tool = any(b.kind == "tool_use" for b in blocks)
    return Reply(
        message_id=f"msg_fake_{seq:06d}",
        model=model,
        blocks=wire,
        stop_reason=stop_reason or ("tool_use" if has_tool else "end_turn"),
        usage={**DEFAULT_USAGE, **usage},
    )


def _wire_block(block: Block, default_id: str, cwd: str | None) -> dict[str, Any]:
    if block.kind == "tool_use":
        tool_input = fill_cwd(block.input, cwd)
        return {
            "type": "tool_use",
            "id": block.id or default_id,
            "name": block.name,
            "input": tool_input,
        }
    if block.kind == "thinking":
        return {"type": "thinking", "thinking": block.text, "signature": "fake-signature"}
    return {"type": "text", "text": fill_cwd(block.text, cwd)}


def fill_cwd(value: Any, cwd: str | None) -> Any:
    """Replace ``__CWD__`` in every string of ``value`` with the client's working directory."""
    if cwd is None:
        return value
    if isinstance(value, str):
        return value.replace(CWD_PLACEHOLDER, cwd)
    if isinstance(value, list):
        return [fill_cwd(v, cwd) for v in value]
    if isinstance(value, dict):
        return {k: fill_cwd(v, cwd) for k, v in value.items()}
    return value


def _block_events(index: int, block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = block["type"]
    if kind == "tool_use":
        opening = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in _chunks(json.dumps(block["input"]))
        ]
    elif kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _chunks(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _chunks(block["text"])]
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": opening},
    )
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def _chunks(value: str) -> list[str]:
    return [value[i : i + _CHUNK] for i in range(0, len(value), _CHUNK)] or [""]


def sse(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def error_body(
    status: int, error_type: str | None = None, message: str | None = None
) -> dict[str, Any]:
    kind = error_type or ERROR_TYPES.get(status, "api_error")
    text = message or f"ccplugin fake API: {kind} ({status})"
    return {"type": "error", "error": {"type": kind, "message": text}}


def count_tokens(body: Mapping[str, Any]) -> dict[str, int]:
    """A rough, deterministic token count: four characters of JSON per token."""
    return {"input_tokens": max(1, len(json.dumps(body)) // 4)}
