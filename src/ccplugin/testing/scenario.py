"""Scenario data for the fake Messages API: an ordered list of rules; the first match answers.

The same format drives both fakes: :class:`~ccplugin.testing.fake_api.FakeAnthropic` (Messages
API: blocks ``text``, ``thinking``, ``tool_use``, ``structured_output``) and the fake OpenAI
Responses API of this repository's Codex tests (``tests/support/fake_responses.py``: blocks
``text``, ``thinking``, ``structured_output``, ``function_call``, ``custom_tool_call``, ``raw``).
Each fake refuses a scenario with blocks or match keys it does not speak.

A scenario is JSON-able data::

    {"description": "read, then answer",
     "rules": [
       {"match": {"turn": 0}, "status": 429, "times": 1},
       {"match": {"turn": 0}, "reply": [{"tool_use": {"name": "Read",
                                                       "input": {"file_path": "__CWD__/a.py"}}}]},
       {"match": {"has_tool_result": true}, "reply": [{"text": "done"}]}
     ]}

or built in Python with :func:`reply` and :func:`fail`::

    Scenario.of(fail(429, times=1), reply(tool_use("Read", {"file_path": p}), turn=0),
                reply("done"))

Matching is stateless over the request's history (so ``claude --resume`` works); only ``times``
keeps a per-server counter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from ccplugin.errors import CCError

STRUCTURED_TOOL = "StructuredOutput"
CWD_PLACEHOLDER = "__CWD__"
BUILTIN_DIR = Path(__file__).with_name("scenarios")
_FIX = "see the scenario format in ccplugin/testing/scenario.py"


@dataclass(frozen=True)
class Match:
    """Conditions on one request; every condition that is not None must hold.

    ``turn`` counts the model replies already in the history; ``last_user_contains`` looks at
    the last user message (claude appends a ``role:"system"`` one after it); ``prompt_contains``
    at the first user message; ``system_contains`` at the system prompt (Responses: the
    ``instructions`` field plus every developer/system message). ``has_tool_result``: the
    request carries the outputs of the previous reply's tool calls; ``last_output_contains``
    looks at the most recent tool result/output anywhere in the history. ``subagent`` (Responses
    only): the request comes from a Codex sub-agent. Each fake's module says exactly how it reads
    these from its wire format.
    """

    turn: int | None = None
    has_tool_result: bool | None = None
    last_user_contains: str | None = None
    system_contains: str | None = None
    prompt_contains: str | None = None
    tool_offered: str | None = None
    has_json_schema: bool | None = None
    model_contains: str | None = None
    stream: bool | None = None
    last_output_contains: str | None = None
    subagent: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Match:
        _reject_unknown("match", data, _names(cls))
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Block:
    """One piece of a reply.

    ``text``, ``thinking`` (a Responses ``reasoning`` item), ``tool_use`` (Messages),
    ``function_call`` (Responses: ``name``, ``input`` = the arguments object, ``namespace`` for
    tools inside a namespace such as ``multi_agent_v1``), ``custom_tool_call`` (Responses
    freeform tools such as ``apply_patch``: ``name`` and ``text`` = the raw input) and ``raw``
    (Responses: ``input`` is sent as the output item itself). ``id`` is the tool call id
    (``call_id`` on the Responses wire); the fake makes one up when it is None.
    """

    kind: str
    text: str = ""
    name: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    namespace: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Block:
        if isinstance(data, str):
            return text(data)
        if len(data) != 1:
            raise CCError(f"a reply block needs exactly one key, got {sorted(data)}", _FIX)
        ((kind, value),) = data.items()
        parse = _BLOCK_PARSERS.get(kind)
        if parse is None:
            raise CCError(f"unknown reply block {kind!r}", f"use {', '.join(sorted(_BLOCK_PARSERS))}")
        return parse(value)

    def to_dict(self) -> dict[str, Any]:
        if self.kind in ("text", "thinking"):
            return {self.kind: self.text}
        if self.kind == "raw":
            return {"raw": self.input}
        if self.kind == "custom_tool_call":
            spec: dict[str, Any] = {"name": self.name, "input": self.text}
        elif self.kind == "function_call":
            spec = {"name": self.name, "arguments": self.input}
        else:
            spec = {"name": self.name, "input": self.input}
        optional = {"call_id" if self.kind != "tool_use" else "id": self.id, "namespace": self.namespace}
        return {self.kind: spec | {k: v for k, v in optional.items() if v is not None}}


def _parse_tool_use(value: Any) -> Block:
    spec = _mapping(value, "tool_use")
    _reject_unknown("tool_use", spec, {"name", "input", "id"})
    return tool_use(str(spec["name"]), _mapping(spec.get("input", {}), "input"), spec.get("id"))


def _parse_function_call(value: Any) -> Block:
    spec = _mapping(value, "function_call")
    _reject_unknown("function_call", spec, {"name", "arguments", "call_id", "namespace"})
    args = _mapping(spec.get("arguments", {}), "arguments")
    return function_call(str(spec["name"]), args, call_id=spec.get("call_id"), namespace=spec.get("namespace"))


def _parse_custom_tool_call(value: Any) -> Block:
    spec = _mapping(value, "custom_tool_call")
    _reject_unknown("custom_tool_call", spec, {"name", "input", "call_id"})
    return custom_tool_call(str(spec["name"]), str(spec.get("input", "")), call_id=spec.get("call_id"))


_BLOCK_PARSERS: dict[str, Callable[[Any], Block]] = {
    "text": lambda v: text(str(v)),
    "thinking": lambda v: thinking(str(v)),
    "structured_output": lambda v: structured_output(_mapping(v, "structured_output")),
    "tool_use": _parse_tool_use,
    "function_call": _parse_function_call,
    "custom_tool_call": _parse_custom_tool_call,
    "raw": lambda v: raw_item(_mapping(v, "raw")),
}


@dataclass(frozen=True)
class Rule:
    """When ``match`` holds, answer with ``reply`` blocks, or with HTTP ``status`` if set.

    ``times`` limits how often the rule answers (then it is skipped); ``delay_s`` waits before
    answering; ``stream_delay_s`` waits between SSE events; ``usage`` overrides token counts;
    ``headers`` are added to the response (``retry-after`` for a 429, say).
    """

    match: Match = Match()
    reply: tuple[Block, ...] = ()
    status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    stream_delay_s: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    times: int | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.reply and self.status is None:
            raise CCError(f"rule {self.label()} has neither reply nor status", _FIX)
        if self.status is not None and not 400 <= self.status <= 599:
            raise CCError(f"rule {self.label()}: status must be 400..599, got {self.status}", _FIX)

    def label(self) -> str:
        return self.name or json.dumps(self.match.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        _reject_unknown("rule", data, _RULE_KEYS)
        error = _mapping(data.get("error", {}), "error")
        _reject_unknown("error", error, {"type", "message"})
        return cls(
            match=Match.from_dict(_mapping(data.get("match", {}), "match")),
            reply=tuple(Block.from_dict(b) for b in _sequence(data.get("reply", []), "reply")),
            status=data.get("status"),
            error_type=error.get("type"),
            error_message=error.get("message"),
            headers={str(k): str(v) for k, v in _mapping(data.get("headers", {}), "headers").items()},
            delay_s=float(data.get("delay_s", 0.0)),
            stream_delay_s=float(data.get("stream_delay_s", 0.0)),
            usage={str(k): int(v) for k, v in _mapping(data.get("usage", {}), "usage").items()},
            stop_reason=data.get("stop_reason"),
            times=data.get("times"),
            name=data.get("name"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"match": self.match.to_dict()}
        if self.reply:
            out["reply"] = [b.to_dict() for b in self.reply]
        if self.error_type or self.error_message:
            out["error"] = {"type": self.error_type, "message": self.error_message}
        for key in ("status", "headers", "delay_s", "stream_delay_s", "usage", "stop_reason"):
            value = getattr(self, key)
            if value:
                out[key] = value
        for key in ("times", "name"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


_RULE_KEYS = {
    "match",
    "reply",
    "status",
    "error",
    "headers",
    "delay_s",
    "stream_delay_s",
    "usage",
    "stop_reason",
    "times",
    "name",
}


@dataclass(frozen=True)
class Scenario:
    """The rules a fake server answers with, first match wins."""

    rules: tuple[Rule, ...]
    description: str = ""

    @classmethod
    def of(cls, *rules: Rule, description: str = "") -> Scenario:
        return cls(tuple(rules), description)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        _reject_unknown("scenario", data, {"rules", "description"})
        rules = _sequence(data.get("rules", []), "rules")
        return cls(
            tuple(Rule.from_dict(_mapping(r, "rule")) for r in rules),
            str(data.get("description", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a scenario from a JSON file, or a built-in one by name (``hello``)."""
        file = Path(path)
        if not file.is_file() and (BUILTIN_DIR / f"{path}.json").is_file():
            file = BUILTIN_DIR / f"{path}.json"
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CCError(f"cannot read scenario {path}: {e}", _FIX) from e
        if isinstance(data, list):
            data = {"rules": data}
        return cls.from_dict(_mapping(data, "scenario"))


ScenarioLike = Scenario | Sequence[Rule | Mapping[str, Any]] | Mapping[str, Any] | str | Path


def as_scenario(value: ScenarioLike) -> Scenario:
    """Accept a Scenario, a list of rules (Rule or dict), a scenario dict, or a file path."""
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | Path):
        return Scenario.load(value)
    if isinstance(value, Mapping):
        return Scenario.from_dict(value)
    return Scenario(tuple(r if isinstance(r, Rule) else Rule.from_dict(r) for r in value))


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``ccplugin/testing/scenarios``."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.json"))


# -- builders ---------------------------------------------------------------------------------


def text(value: str) -> Block:
    return Block("text", text=value)


def thinking(value: str) -> Block:
    return Block("thinking", text=value)


def tool_use(name: str, input: Mapping[str, Any], id: str | None = None) -> Block:
    return Block("tool_use", name=name, input=dict(input), id=id)


def structured_output(value: Mapping[str, Any]) -> Block:
    """The answer to a JSON schema.

    Messages: a call of the ``StructuredOutput`` tool that ``claude --json-schema`` offers;
    Responses: an assistant message whose text is ``value`` as JSON (``codex exec
    --output-schema``).
    """
    return tool_use(STRUCTURED_TOOL, value)


def function_call(
    name: str, arguments: Mapping[str, Any], *, call_id: str | None = None, namespace: str | None = None
) -> Block:
    """A Responses ``function_call`` item; ``arguments`` is sent as a JSON string."""
    return Block("function_call", name=name, input=dict(arguments), id=call_id, namespace=namespace)


def custom_tool_call(name: str, input: str, *, call_id: str | None = None) -> Block:
    """A Responses ``custom_tool_call`` item (a freeform tool: the input is plain text)."""
    return Block("custom_tool_call", name=name, text=input, id=call_id)


def raw_item(item: Mapping[str, Any]) -> Block:
    """A Responses output item sent as given (``tool_search_call``, odd shapes, …)."""
    return Block("raw", input=dict(item))


def reply(*blocks: Block | str, **options: Any) -> Rule:
    """A rule answering with ``blocks`` (a str is a text block).

    Keyword arguments are match conditions (``turn=0``, ``has_tool_result=True`` …) or rule
    options (``times``, ``delay_s``, ``stream_delay_s``, ``usage``, ``stop_reason``, ``headers``,
    ``name``).
    """
    content = tuple(text(b) if isinstance(b, str) else b for b in blocks)
    return _rule(options, reply=content)


def fail(status: int, message: str | None = None, *, type: str | None = None, **options: Any) -> Rule:
    """A rule answering with an HTTP error shaped like the fake's API (``type`` defaults from ``status``)."""
    return _rule(options, status=status, error_type=type, error_message=message)


def _rule(options: Mapping[str, Any], **fixed: Any) -> Rule:
    match_names = _names(Match)
    _reject_unknown("rule", options, match_names | (_RULE_KEYS - {"match", "reply", "status", "error"}))
    match = Match(**{k: v for k, v in options.items() if k in match_names})
    rest = {k: v for k, v in options.items() if k not in match_names}
    return Rule(match=match, **fixed, **rest)


# -- dialects and matching --------------------------------------------------------------------


class Summary(Protocol):
    """What every fake's request summary offers to :func:`matches`."""

    @property
    def turn(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def stream(self) -> bool: ...
    @property
    def prompt_text(self) -> str: ...
    @property
    def last_user_text(self) -> str: ...
    @property
    def last_output_text(self) -> str: ...
    @property
    def system_text(self) -> str: ...
    @property
    def tool_names(self) -> tuple[str, ...]: ...
    @property
    def has_tool_result(self) -> bool: ...
    @property
    def has_json_schema(self) -> bool: ...
    @property
    def is_subagent(self) -> bool: ...


def matches(match: Match, s: Summary) -> bool:
    """True when every condition set in ``match`` holds for the request."""
    checks: tuple[tuple[Any, Callable[[Any], bool]], ...] = (
        (match.turn, lambda v: s.turn == v),
        (match.has_tool_result, lambda v: s.has_tool_result == v),
        (match.last_user_contains, lambda v: v in s.last_user_text),
        (match.system_contains, lambda v: v in s.system_text),
        (match.prompt_contains, lambda v: v in s.prompt_text),
        (match.tool_offered, lambda v: v in s.tool_names),
        (match.has_json_schema, lambda v: s.has_json_schema == v),
        (match.model_contains, lambda v: v in s.model),
        (match.stream, lambda v: s.stream == v),
        (match.last_output_contains, lambda v: v in s.last_output_text),
        (match.subagent, lambda v: s.is_subagent == v),
    )
    return all(check(value) for value, check in checks if value is not None)


def check_dialect(scenario: Scenario, api: str, kinds: Iterable[str], keys: Iterable[str] | None) -> None:
    """Refuse a scenario that uses blocks or match keys the fake for ``api`` does not speak."""
    allowed_kinds, allowed_keys = set(kinds), set(keys) if keys is not None else _names(Match)
    for rule in scenario.rules:
        bad_keys = sorted(set(rule.match.to_dict()) - allowed_keys)
        bad_kinds = sorted({_dialect_kind(b) for b in rule.reply} - allowed_kinds)
        if bad_keys or bad_kinds:
            raise CCError(
                f"rule {rule.label()} uses {', '.join(bad_keys + bad_kinds)}, which the fake {api} does not speak",
                f"use reply blocks {', '.join(sorted(allowed_kinds))}",
            )


def _dialect_kind(block: Block) -> str:
    return "structured_output" if block.kind == "tool_use" and block.name == STRUCTURED_TOOL else block.kind


def fill(value: Any, cwd: str | None, output: Mapping[str, Any] | None = None) -> Any:
    """Fill placeholders in every string of ``value``.

    ``__CWD__`` becomes the client's working directory (when the fake could read it);
    ``__OUT:key__`` becomes field ``key`` of the most recent tool output parsed as a JSON object
    (a string that is only the placeholder takes the field's JSON value, e.g. a number).
    """
    if isinstance(value, str):
        return _fill_text(value, cwd, output or {})
    if isinstance(value, list):
        return [fill(v, cwd, output) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, cwd, output) for k, v in value.items()}
    return value


def json_object(text: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object; {} when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_OUT = re.compile(r"__OUT:([A-Za-z0-9_.-]+)__")


def _fill_text(value: str, cwd: str | None, output: Mapping[str, Any]) -> Any:
    whole = _OUT.fullmatch(value)
    if whole and whole.group(1) in output:
        return output[whole.group(1)]
    if cwd is not None:
        value = value.replace(CWD_PLACEHOLDER, cwd)
    return _OUT.sub(lambda m: str(output.get(m.group(1), m.group(0))), value)


# -- validation helpers -----------------------------------------------------------------------


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _reject_unknown(what: str, data: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CCError(f"unknown {what} key(s) {unknown}", f"use: {', '.join(sorted(known))}")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CCError(f"scenario {what} must be an object, got {type(value).__name__}", _FIX)
    return value


def _sequence(value: Any, what: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise CCError(f"scenario {what} must be a list, got {type(value).__name__}", _FIX)
    return value
