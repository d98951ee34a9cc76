"""The Anthropic Messages API wire shapes the fake speaks: request summaries, replies, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ccplugin.testing.scenario import STRUCTURED_TOOL, Block, fill, json_object
from ccplugin.testing.server import chunks

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
_CWD_LINE = re.compile(r"^[\s-]*(?:Primary w|W)orking directory:\s*(\S.*?)\s*$", re.MULTILINE)


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
    last_output_text: str = ""

    @property
    def has_tool_result(self) -> bool:
        return bool(self.tool_results)

    @property
    def is_subagent(self) -> bool:
        """Never known for the Messages API (scenarios for it may not use ``subagent``)."""
        return False

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
    found = _CWD_LINE.search(system) or _first_cwd_line(messages)
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
        last_output_text=_last_output(users),
    )


def _first_cwd_line(messages: list[Mapping[str, Any]]) -> re.Match[str] | None:
    """Where the CLI's environment notes are not in the system prompt (2.1.332 puts them in a
    ``<system-reminder>`` of the first user message): the first cwd line of any message."""
    for message in messages:
        found = _CWD_LINE.search(_text(message.get("content")))
        if found:
            return found
    return None


def _last_output(users: list[Mapping[str, Any]]) -> str:
    for message in reversed(users):
        results = _tool_results(message.get("content"))
        if results:
            return results[-1].content
    return ""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (b.get("text", "") for b in content if isinstance(b, Mapping) and b.get("type") == "text")
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
    summary: RequestSummary,
    usage: Mapping[str, int],
    stop_reason: str | None,
) -> Reply:
    """The answer to ``summary``'s request; placeholders are filled (see ``scenario.fill``)."""
    output = json_object(summary.last_output_text)
    wire = tuple(_wire_block(b, f"toolu_fake_{seq:06d}_{i}", summary.cwd, output) for i, b in enumerate(blocks))
    has_tool = any(b.kind == "tool_use" for b in blocks)
    return Reply(
        message_id=f"msg_fake_{seq:06d}",
        model=summary.model or "claude-fake",
        blocks=wire,
        stop_reason=stop_reason or ("tool_use" if has_tool else "end_turn"),
        usage={**DEFAULT_USAGE, **usage},
    )


def _wire_block(block: Block, default_id: str, cwd: str | None, output: Mapping[str, Any]) -> dict[str, Any]:
    if block.kind == "tool_use":
        tool_input = fill(block.input, cwd, output)
        return {
            "type": "tool_use",
            "id": block.id or default_id,
            "name": block.name,
            "input": tool_input,
        }
    if block.kind == "thinking":
        return {"type": "thinking", "thinking": block.text, "signature": "fake-signature"}
    return {"type": "text", "text": fill(block.text, cwd, output)}


def _block_events(index: int, block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = block["type"]
    if kind == "tool_use":
        opening = {**block, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in chunks(json.dumps(block["input"]))]
    elif kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in chunks(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in chunks(block["text"])]
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": opening},
    )
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def error_body(status: int, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    kind = error_type or ERROR_TYPES.get(status, "api_error")
    text = message or f"ccplugin fake API: {kind} ({status})"
    return {"type": "error", "error": {"type": kind, "message": text}}


def count_tokens(body: Mapping[str, Any]) -> dict[str, int]:
    """A rough, deterministic token count: four characters of JSON per token."""
    return {"input_tokens": max(1, len(json.dumps(body)) // 4)}
