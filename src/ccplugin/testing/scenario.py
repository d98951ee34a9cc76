"""Scenario data for the fake Messages API: an ordered list of rules; the first match answers.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ccplugin.errors import CCError

STRUCTURED_TOOL = "StructuredOutput"
BUILTIN_DIR = Path(__file__).with_name("scenarios")
_FIX = "see the scenario format in ccplugin/testing/scenario.py"


@dataclass(frozen=True)
class Match:
    """Conditions on one request; every condition that is not None must hold.

    ``turn`` counts the assistant messages already in the history; ``last_user_contains`` looks
    at the last ``role:"user"`` message (claude appends a ``role:"system"`` one after it);
    ``prompt_contains`` at the first user message; ``system_contains`` at the system prompt.
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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Match:
        _reject_unknown("match", data, _names(cls))
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


@dataclass(frozen=True)
class Block:
    """One content block of a reply: ``text``, ``tool_use`` or ``thinking``."""

    kind: str
    text: str = ""
    name: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Block:
        if isinstance(data, str):
            return text(data)
        if len(data) != 1:
            raise CCError(f"a reply block needs exactly one key, got {sorted(data)}", _FIX)
        ((kind, value),) = data.items()
        if kind == "text":
            return text(str(value))
        if kind == "thinking":
            return thinking(str(value))
        if kind == "structured_output":
            return structured_output(_mapping(value, "structured_output"))
        if kind == "tool_use":
            spec = _mapping(value, "tool_use")
            _reject_unknown("tool_use", spec, {"name", "input", "id"})
            return tool_use(
                str(spec["name"]), _mapping(spec.get("input", {}), "input"), spec.get("id")
            )
        raise CCError(
            f"unknown reply block {kind!r}", "use text, tool_use, structured_output, thinking"
        )

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "tool_use":
            spec: dict[str, Any] = {"name": self.name, "input": self.input}
            if self.id:
                spec["id"] = self.id
            return {"tool_use": spec}
        return {self.kind: self.text}


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
            headers={
                str(k): str(v) for k, v in _mapping(data.get("headers", {}), "headers").items()
            },
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
    """A call of the ``StructuredOutput`` tool that ``claude --json-schema`` offers."""
    return tool_use(STRUCTURED_TOOL, value)


def reply(*blocks: Block | str, **options: Any) -> Rule:
    """A rule answering with ``blocks`` (a str is a text block).

    Keyword arguments are match conditions (``turn=0``, ``has_tool_result=True`` …) or rule
    options (``times``, ``delay_s``, ``stream_delay_s``, ``usage``, ``stop_reason``, ``headers``,
    ``name``).
    """
    content = tuple(text(b) if isinstance(b, str) else b for b in blocks)
    return _rule(options, reply=content)


def fail(
    status: int, message: str | None = None, *, type: str | None = None, **options: Any
) -> Rule:
    """A rule answering with an Anthropic-shaped HTTP error (``type`` defaults from ``status``)."""
    return _rule(options, status=status, error_type=type, error_message=message)


def _rule(options: Mapping[str, Any], **fixed: Any) -> Rule:
    match_names = _names(Match)
    _reject_unknown(
        "rule", options, match_names | (_RULE_KEYS - {"match", "reply", "status", "error"})
    )
    match = Match(**{k: v for k, v in options.items() if k in match_names})
    rest = {k: v for k, v in options.items() if k not in match_names}
    return Rule(match=match, **fixed, **rest)


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
