"""Value objects that cross the Claude boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ccplugin.errors import CCError, Exit


class Mode(StrEnum):
    REVIEW = "review"  # read-only tools, structured output
    GATE = "gate"  # read-only, small turn budget (the stop-time review gate)
    RESCUE_READ = "rescue-read"
    RESCUE_WRITE = "rescue-write"


class FailureKind(StrEnum):
    """Every way one `claude -p` run can fail; each is a distinct, named failure."""

    MISSING = "claude-missing"
    SPAWN = "spawn-failed"
    PROMPT_TOO_LONG = "prompt-too-long"  # more than `claude -p` accepts; never started
    TIMEOUT = "timeout"
    AUTH = "auth"  # HTTP 401/403 from the API
    RATE_LIMIT = "rate-limited"  # 429
    OVERLOADED = "overloaded"  # 529
    API_ERROR = "api-error"  # other HTTP errors (500, 400, ...)
    IS_ERROR = "is-error"  # result event with is_error and no better classification
    MAX_TURNS = "max-turns"
    EXIT_NONZERO = "exit-nonzero"
    NO_RESULT = "no-result"  # stream ended without a result event (truncated / crashed)
    GARBAGE = "unparseable-output"
    STRUCTURED_MISSING = "structured-output-missing"
    STRUCTURED_INVALID = "structured-output-invalid"
    CANCELLED = "cancelled"
    NO_NETWORK = "sandbox-no-network"
    SAW_NOTHING = "saw-nothing"  # a self-collect review that never read the change
    OVER_BUDGET = "over-budget"  # the run reached its cost cap (``max_cost_usd``) and was stopped


@dataclass(frozen=True)
class RunSpec:
    """Everything needed to build one `claude -p` invocation."""

    prompt: str
    cwd: str
    mode: Mode
    model: str  # already resolved to a full id
    effort: str | None  # already resolved; None → no --effort flag
    max_turns: int
    timeout: float
    json_schema: dict[str, Any] | None = None
    resume: str | None = None  # Claude session id to continue
    persist_session: bool = False
    allow: tuple[str, ...] = ()  # extra --allowedTools rules on top of the mode's set
    # RESCUE_WRITE: may Claude run the project's tests? They are code of the change, run in Claude's
    # environment, which holds Claude's credential; False leaves it the editing tools only
    run_tests: bool = True
    # the cost cap in USD: passed as `--max-budget-usd`, and the run is stopped when the usage it
    # reports is priced (claude.prices) at more; None: no cap
    max_cost_usd: float | None = None


@dataclass(frozen=True)
class Event:
    """A progress event from the stream: kind is init|text|tool|retry|result."""

    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCall:
    """One tool call, kept for what it showed: its input, and whether its result was a success."""

    name: str
    target: str = ""  # a path tool's file (relative to the run's root inside it), else its whole command/pattern
    ok: bool | None = None  # the result was not an error; None: no result came back
    diff_headers: tuple[str, ...] = ()  # the `diff --git` lines of a successful Bash call's output


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None
    session_id: str | None = None
    text: str = ""
    structured: dict[str, Any] | None = None
    is_error: bool = False
    subtype: str | None = None
    api_error_status: int | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None  # claude's total, else the estimate from the usage it printed
    num_turns: int | None = None
    api_key_source: str | None = None  # "none": a subscription login, whose cost is no price paid
    denials: tuple[dict[str, Any], ...] = ()
    tools_used: tuple[str, ...] = ()  # "Read calc.py", "Edit calc.py", ...
    tool_calls: tuple[ToolCall, ...] = ()  # with their results' success (coverage), not stored
    files_touched: tuple[str, ...] = ()  # from Write/Edit/MultiEdit/NotebookEdit inputs
    stderr_tail: str = ""
    failure: FailureKind | None = None
    failure_detail: str = ""
    garbage_lines: int = 0  # stdout lines that were not JSON objects (or were oversized)
    duration_s: float | None = None  # wall clock from spawn to exit

    @property
    def ok(self) -> bool:
        return self.failure is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "session_id": self.session_id,
            "is_error": self.is_error,
            "subtype": self.subtype,
            "api_error_status": self.api_error_status,
            "usage": self.usage,
            "cost_usd": self.cost_usd,
            "api_key_source": self.api_key_source,
            "num_turns": self.num_turns,
            "denials": list(self.denials),
            "tools_used": list(self.tools_used),
            "files_touched": list(self.files_touched),
            "failure": self.failure.value if self.failure else None,
            "failure_detail": self.failure_detail,
            "garbage_lines": self.garbage_lines,
            "duration_s": self.duration_s,
        }


class ClaudeFailure(CCError):
    """A Claude run that did not produce a usable answer (exit 3: could not review)."""

    def __init__(self, kind: FailureKind, message: str, fix: str = "") -> None:
        super().__init__(message, fix, Exit.NOT_REVIEWED)
        self.kind = kind
