"""The OpenAI Responses API wire shapes the Codex fake speaks: request summaries, replies, errors.

How a request's ``input`` list is read (Codex 0.169 sends no ``instructions``; its base
instructions are the first developer message):

- model items are assistant ``message``, ``function_call``, ``custom_tool_call``,
  ``local_shell_call``, ``tool_search_call``, ``web_search_call`` and ``reasoning``; one reply
  comes back as a run of consecutive model items, so ``turn`` counts those runs;
- tool outputs are ``function_call_output``, ``custom_tool_call_output``,
  ``local_shell_call_output`` and ``tool_search_output`` (its ``tools`` as JSON text);
  ``tool_results`` are the outputs after the last model item (``has_tool_result``),
  ``last_output_text`` is the last output anywhere;
- user texts are ``role:"user"`` messages (and multi-agent v2 ``agent_message`` items) minus the
  context Codex injects (``<environment_context>``, AGENTS.md, ``<user_instructions>``,
  the skills list and a ``$skill`` prompt's ``<skill>`` body); ``prompt_text`` is the first,
  ``last_user_text`` the last;
- ``system_text`` is ``instructions`` plus every developer/system message;
- ``tool_names`` lists each offered tool by name; a namespace adds its own name and those of
  its tools, and tools revealed by a ``tool_search_output`` count as offered;
- the ``x-codex-turn-metadata`` header (JSON) gives session, thread and turn ids, the thread
  source (``user`` | ``subagent``), ``agent_name`` (``/root``, ``/root/<task>`` in v2) and the
  sandbox; the ``session-id`` / ``thread-id`` headers repeat the ids; ``x-openai-subagent:
  collab_spawn`` marks a sub-agent's requests. In a sub-agent ``session_id`` stays the root
  session's id and ``thread_id`` is the sub-agent's own (= the ``agent_id`` spawn returned).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ccplugin.testing.messages import ToolResult
from ccplugin.testing.scenario import Block, fill, json_object
from ccplugin.testing.server import chunks

MODEL_ITEMS = frozenset(
    {
        "function_call",
        "custom_tool_call",
        "local_shell_call",
        "tool_search_call",
        "web_search_call",
        "reasoning",
    }
)
OUTPUT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output", "tool_search_output"}
)
CONTEXT_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
    "<skills_instructions>",
    "<INSTRUCTIONS>",
    "<skill>",  # the SKILL.md Codex adds after a `$skill` prompt (the TUI and exec alike)
)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
SUBAGENT_HEADER = "x-openai-subagent"
METADATA_HEADER = "x-codex-turn-metadata"
_CWD_TAG = re.compile(r"<cwd>\s*(.*?)\s*</cwd>", re.DOTALL)


@dataclass(frozen=True)
class ResponsesSummary:
    """What a scenario rule can match on, taken from one ``POST /v1/responses`` request."""

    turn: int
    model: str
    stream: bool
    prompt_text: str
    last_user_text: str
    tool_results: tuple[ToolResult, ...]
    last_output_text: str
    tool_names: tuple[str, ...]
    system_text: str
    cwd: str | None
    session_id: str | None
    thread_id: str | None
    turn_id: str | None
    subagent: str | None
    thread_source: str | None
    turn_metadata: dict[str, Any] = field(default_factory=dict)
    output_schema: bool = False
    effort: str | None = None

    @property
    def has_tool_result(self) -> bool:
        return bool(self.tool_results)

    @property
    def has_json_schema(self) -> bool:
        """The request asks for JSON of a schema (``codex exec --output-schema``)."""
        return self.output_schema

    @property
    def is_subagent(self) -> bool:
        """A Codex sub-agent sent it (``x-openai-subagent`` or ``thread_source: "subagent"``)."""
        return self.subagent is not None or self.thread_source == "subagent"

    @property
    def output_texts(self) -> list[str]:
        return [r.content for r in self.tool_results]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["system_len"] = len(out.pop("system_text"))
        out |= {"has_json_schema": self.has_json_schema, "is_subagent": self.is_subagent}
        return out


def summarize(body: Mapping[str, Any], headers: Mapping[str, str]) -> ResponsesSummary:
    items = [i for i in body.get("input", []) if isinstance(i, Mapping)]
    users = [t for t in (_user_text(i) for i in items) if t is not None and not _is_context(t)]
    outputs = [(index, _output(item)) for index, item in enumerate(items) if _kind(item) in OUTPUT_ITEMS]
    last_model = max((i for i, item in enumerate(items) if _is_model(item)), default=-1)
    metadata = json_object(headers.get(METADATA_HEADER, ""))
    text_format = (body.get("text") or {}).get("format") or {}
    return ResponsesSummary(
        turn=_turns(items),
        model=str(body.get("model", "")),
        stream=bool(body.get("stream", False)),
        prompt_text=users[0] if users else "",
        last_user_text=users[-1] if users else "",
        tool_results=tuple(result for index, result in outputs if index > last_model),
        last_output_text=outputs[-1][1].content if outputs else "",
        tool_names=_tool_names(body.get("tools") or [], items),
        system_text=_system_text(body, items),
        cwd=_cwd(items),
        session_id=_str_or_none(metadata.get("session_id") or headers.get("session-id")),
        thread_id=_str_or_none(metadata.get("thread_id") or headers.get("thread-id")),
        turn_id=_str_or_none(metadata.get("turn_id")),
        subagent=headers.get(SUBAGENT_HEADER),
        thread_source=_str_or_none(metadata.get("thread_source")),
        turn_metadata=metadata,
        output_schema=text_format.get("type") == "json_schema",
        effort=_str_or_none((body.get("reasoning") or {}).get("effort")),
    )


def _kind(item: Mapping[str, Any]) -> str:
    return str(item.get("type") or ("message" if "role" in item else ""))


def _is_model(item: Mapping[str, Any]) -> bool:
    kind = _kind(item)
    return kind in MODEL_ITEMS or (kind == "message" and item.get("role") == "assistant")


def _turns(items: Sequence[Mapping[str, Any]]) -> int:
    """Runs of consecutive model items: one per earlier reply."""
    runs, inside = 0, False
    for item in items:
        model = _is_model(item)
        runs += model and not inside
        inside = model
    return runs


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (p.get("text") for p in content if isinstance(p, Mapping))
        return "\n".join(str(p) for p in parts if isinstance(p, str))
    return ""


def _user_text(item: Mapping[str, Any]) -> str | None:
    kind = _kind(item)
    if kind == "message" and item.get("role") == "user":
        return _content_text(item.get("content"))
    if kind == "agent_message":  # multi-agent v2: a task or answer from another agent
        content = item.get("content") or []
        parts = [_content_text([p]) or str(p.get("encrypted_content", "")) for p in content if isinstance(p, Mapping)]
        return "\n".join(parts)
    return None


def _is_context(text: str) -> bool:
    return text.lstrip().startswith(CONTEXT_PREFIXES)


def _output(item: Mapping[str, Any]) -> ToolResult:
    if _kind(item) == "tool_search_output":
        text = json.dumps(item.get("tools", []))
    else:
        text = _content_text(item.get("output"))
    return ToolResult(str(item.get("call_id", "")), text, False)


def _tool_names(tools: Sequence[Any], items: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    found = [t for t in tools if isinstance(t, Mapping)]
    for item in items:
        if _kind(item) == "tool_search_output":
            found += [t for t in item.get("tools") or [] if isinstance(t, Mapping)]
    names: list[str] = []
    for tool in found:
        names.append(str(tool.get("name") or tool.get("type", "")))
        names += [str(t.get("name", "")) for t in tool.get("tools") or [] if isinstance(t, Mapping)]
    return tuple(dict.fromkeys(names))


def _system_text(body: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> str:
    parts = [str(body.get("instructions") or "")]
    parts += [_content_text(i.get("content")) for i in items if i.get("role") in ("developer", "system")]
    return "\n".join(p for p in parts if p).strip()


def _cwd(items: Sequence[Mapping[str, Any]]) -> str | None:
    for item in items:
        if item.get("role") == "user":
            found = _CWD_TAG.search(_content_text(item.get("content")))
            if found:
                return found.group(1)
    return None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# -- replies ----------------------------------------------------------------------------------

DEFAULT_USAGE = {"input_tokens": 10, "output_tokens": 5, "cached_tokens": 0, "reasoning_tokens": 0}


@dataclass(frozen=True)
class ResponsesReply:
    """A resolved answer: output items with ids, placeholders filled, usage decided."""

    response_id: str
    model: str
    items: tuple[dict[str, Any], ...]
    usage: dict[str, Any]

    def response(self, status: str = "completed") -> dict[str, Any]:
        """The response object (the non-streaming body, and inside ``response.completed``)."""
        done = status == "completed"
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": 0,
            "status": status,
            "model": self.model,
            "output": list(self.items) if done else [],
            "usage": self.usage if done else None,
            "error": None,
            "incomplete_details": None,
        }

    def events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The SSE events of a streamed answer, as (event name, data), numbered in order."""
        raw = [
            ("response.created", {"response": self.response("in_progress")}),
            ("response.in_progress", {"response": self.response("in_progress")}),
        ]
        for index, item in enumerate(self.items):
            raw += _item_events(index, item)
        raw.append(("response.completed", {"response": self.response()}))
        for number, (name, data) in enumerate(raw):
            yield name, {"type": name, "sequence_number": number, **data}


_SESSION = re.compile(r"Process running with session ID (\d+)")


def _output_fields(text: str) -> dict[str, Any]:
    """The last tool output's fields for ``__OUT:key__``: its JSON object, and ``session_id`` when
    it is Codex's "Process running with session ID <n>" (what ``write_stdin`` polls)."""
    fields = json_object(text)
    running = _SESSION.findall(text)
    if running and "session_id" not in fields:
        fields["session_id"] = int(running[-1])
    return fields


def build_reply(
    blocks: tuple[Block, ...],
    *,
    seq: int,
    summary: ResponsesSummary,
    usage: Mapping[str, int],
) -> ResponsesReply:
    """The answer to ``summary``'s request; placeholders are filled (see ``scenario.fill``)."""
    output = _output_fields(summary.last_output_text)
    items = tuple(_item(b, f"{seq:06d}_{i}", summary.cwd, output) for i, b in enumerate(blocks))
    return ResponsesReply(
        response_id=f"resp_fake_{seq:06d}",
        model=summary.model or "gpt-fake",
        items=items,
        usage=wire_usage({**DEFAULT_USAGE, **usage}),
    )


def wire_usage(usage: Mapping[str, int]) -> dict[str, Any]:
    """Flat counts (input, output, cached, reasoning tokens) in the Responses usage shape."""
    counts = {k: usage.get(k, 0) for k in ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")}
    return {
        "input_tokens": counts["input_tokens"],
        "input_tokens_details": {"cached_tokens": counts["cached_tokens"]},
        "output_tokens": counts["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": counts["reasoning_tokens"]},
        "total_tokens": counts["input_tokens"] + counts["output_tokens"],
    }


def _item(block: Block, suffix: str, cwd: str | None, output: Mapping[str, Any]) -> dict[str, Any]:
    call_id = block.id or f"call_fake_{suffix}"
    if block.kind == "function_call":
        arguments = json.dumps(fill(block.input, cwd, output))
        item = {"type": "function_call", "id": f"fc_fake_{suffix}", "call_id": call_id, "name": block.name}
        item |= {"arguments": arguments, "status": "completed"}
        return item | ({"namespace": block.namespace} if block.namespace else {})
    if block.kind == "custom_tool_call":
        item = {"type": "custom_tool_call", "id": f"ctc_fake_{suffix}", "call_id": call_id, "name": block.name}
        return item | {"input": fill(block.text, cwd, output), "status": "completed"}
    if block.kind == "raw":
        return dict(fill(block.input, cwd, output))
    if block.kind == "thinking":
        summary = [{"type": "summary_text", "text": block.text}]
        return {"type": "reasoning", "id": f"rs_fake_{suffix}", "summary": summary, "encrypted_content": None}
    value = json.dumps(block.input) if block.kind == "tool_use" else fill(block.text, cwd, output)
    return _message(f"msg_fake_{suffix}", value)


def _message(item_id: str, value: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": value, "annotations": []}
    return {"type": "message", "id": item_id, "status": "completed", "role": "assistant", "content": [part]}


def _item_events(index: int, item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    kind, at = item.get("type"), {"output_index": index, "item_id": item.get("id", "")}
    if kind == "message":
        opening, inner = {**item, "status": "in_progress", "content": []}, _text_events(at, item)
    elif kind == "function_call":
        opening = {**item, "status": "in_progress", "arguments": ""}
        inner = _delta_events("response.function_call_arguments", at, "arguments", item["arguments"])
    elif kind == "custom_tool_call":
        opening = {**item, "status": "in_progress", "input": ""}
        inner = _delta_events("response.custom_tool_call_input", at, "input", item["input"])
    else:
        opening, inner = item, []
    added = ("response.output_item.added", {"output_index": index, "item": opening})
    return [added, *inner, ("response.output_item.done", {"output_index": index, "item": item})]


def _text_events(at: dict[str, Any], item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for content_index, part in enumerate(item["content"]):
        where = {**at, "content_index": content_index}
        events.append(("response.content_part.added", {**where, "part": {**part, "text": ""}}))
        events += _delta_events("response.output_text", where, "text", part["text"])
        events.append(("response.content_part.done", {**where, "part": part}))
    return events


def _delta_events(prefix: str, at: dict[str, Any], key: str, value: str) -> list[tuple[str, dict[str, Any]]]:
    deltas = [(f"{prefix}.delta", {**at, "delta": piece}) for piece in chunks(value)]
    return [*deltas, (f"{prefix}.done", {**at, key: value})]


def error_body(status: int, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    """An OpenAI-shaped error: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = error_type or ERROR_TYPES.get(status, "server_error")
    text = message or f"ccplugin fake Responses API: {kind} ({status})"
    return {"error": {"message": text, "type": kind, "param": None, "code": kind}}
