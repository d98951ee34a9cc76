"""Run `claude -p` once: spawn, stream, time out, cancel, classify.

``run`` never raises for a failed run; it returns a :class:`RunResult` whose ``failure``
names what went wrong (the one exception: no `claude` binary at all, a ``ClaudeFailure``).
Success is exit 0, a ``result`` event and ``is_error`` false (and, with a schema, structured
output that matches it); ``subtype`` is never trusted (error results say ``"subtype":"success"``).
A failed run's ``structured`` is always None: its output is never used.

Process handling: claude runs in its own process group with stdin closed. The leader is not
reaped until the group has been killed, so its pid (the group id) cannot be reused while we
still signal it. On a timeout or cancel the group gets SIGTERM, then SIGKILL after
``KILL_GRACE``; after a normal exit whatever claude left running in its group is killed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ccplugin import proc
from ccplugin.claude import confine
from ccplugin.claude.argv import Confinement, build_argv, run_env
from ccplugin.claude.env import Redactor, claude_env, find_binary
from ccplugin.claude.stream import ParsedStream, StreamParser
from ccplugin.claude.types import ClaudeFailure, Event, FailureKind, RunResult, RunSpec
from ccplugin.errors import CCError

STDERR_CAP = 64 * 1024
KILL_GRACE = 3.0  # SIGTERM → SIGKILL
DRAIN_GRACE = 2.0  # after claude exits, how long its leftovers may hold the pipes open
# Linux refuses one argv element of 128 KiB or more; bigger prompts go through stdin
PROMPT_ARG_LIMIT = 100 * 1024
# ``claude -p`` refuses piped input of more characters than this (and exits 1)
PROMPT_STDIN_LIMIT = 10_485_760
DETAIL_CHARS = 400

# Opens the prompt file as stdin, deletes it, and becomes claude (same pid, same group).
_STDIN_SHIM = (
    "import os,sys;f=os.open(sys.argv[1],os.O_RDONLY);os.unlink(sys.argv[1]);"
    "os.dup2(f,0);os.close(f);os.execv(sys.argv[2],sys.argv[2:])"
)

_HTTP_KIND = {
    401: FailureKind.AUTH,
    403: FailureKind.AUTH,
    429: FailureKind.RATE_LIMIT,
    529: FailureKind.OVERLOADED,
}
# the ``error`` field of claude's synthetic assistant message when there is no HTTP status
_ERROR_KIND = {
    "authentication_failed": FailureKind.AUTH,
    "rate_limit": FailureKind.RATE_LIMIT,
    "overloaded": FailureKind.OVERLOADED,
}

_FIX = {
    FailureKind.SPAWN: "check that `claude --version` runs and the working directory exists",
    FailureKind.PROMPT_TOO_LONG: "lower `--budget-bytes`, or narrow the change with `--include`/`--exclude`",
    FailureKind.TIMEOUT: "raise `--timeout` (seconds), or review a smaller change",
    FailureKind.AUTH: "check ANTHROPIC_API_KEY or run `claude auth login`",
    FailureKind.RATE_LIMIT: "retry later (the API rate limit was hit)",
    FailureKind.OVERLOADED: "retry later (the API is overloaded)",
    FailureKind.API_ERROR: "retry later; if it persists, check ANTHROPIC_BASE_URL",
    FailureKind.IS_ERROR: "run `claude -p hi` to check the CLI works",
    FailureKind.MAX_TURNS: "raise `--max-turns`",
    FailureKind.EXIT_NONZERO: "run `claude -p hi` to check the CLI works",
    FailureKind.NO_RESULT: "run `claude -p hi` to check the CLI works; see the stderr above",
    FailureKind.GARBAGE: "check that `claude --version` prints Claude Code's version",
    FailureKind.STRUCTURED_MISSING: "retry; the model answered without the StructuredOutput tool",
    FailureKind.STRUCTURED_INVALID: "retry; the model's structured answer broke the schema",
    FailureKind.CANCELLED: "",
    FailureKind.OVER_BUDGET: "raise `--max-cost-usd`, or review a smaller change",
}


class _SpawnError(Exception):
    """claude could not be started (not executable, no working directory, ...)."""

    kind = FailureKind.SPAWN


class _PromptTooLong(_SpawnError):
    """The prompt is more than ``claude -p`` accepts: claude is not started."""

    kind = FailureKind.PROMPT_TOO_LONG


def run(
    spec: RunSpec,
    *,
    env: Mapping[str, str],
    binary: str | None = None,
    on_event: Callable[[Event], None] | None = None,
    on_spawn: Callable[[proc.Identity], None] | None = None,
    cancel_check: Callable[[], bool] | None = None,
) -> RunResult:
    """Run ``spec`` to completion, a timeout, or a cancel; see the module docstring.

    ``env`` is the caller's environment as it is, secrets included: Claude gets it through
    :func:`claude_env`, and the redactor masks the secrets it held in everything we keep.
    """
    claude = binary or find_binary(env)
    redact = Redactor.from_env(env)
    with confine.shielded_env(spec, claude_env(env)) as child_env:
        return _run(spec, claude, child_env, redact, on_event, on_spawn, cancel_check)


def _run(
    spec: RunSpec,
    claude: str,
    env: dict[str, str],
    redact: Redactor,
    on_event: Callable[[Event], None] | None,
    on_spawn: Callable[[proc.Identity], None] | None,
    cancel_check: Callable[[], bool] | None,
) -> RunResult:
    started = time.monotonic()
    prompt_file = None
    try:
        child, prompt_file = _start(claude, spec, env | run_env(spec), confine.confinement(spec, env, claude))
    except _SpawnError as e:
        return RunResult(None, failure=e.kind, failure_detail=redact(_line(str(e))))
    sink = _Sink(StreamParser(spec.cwd), on_event, redact)
    if spec.json_schema is not None:  # compile the validator while claude runs, not after
        threading.Thread(target=_validator, args=(json.dumps(spec.json_schema),), daemon=True).start()
    reason = "eof"
    try:
        if on_spawn is not None:
            on_spawn(proc.identity(child.pid) or proc.Identity(child.pid, 0))
        reason = proc.watch(
            child,
            sink.stdout,
            sink.stderr,
            deadline=started + spec.timeout,
            cancel=_stop_when(spec, sink, cancel_check),
            drain=DRAIN_GRACE,
        )
    finally:
        exit_code = proc.reap(child, KILL_GRACE)
        if prompt_file:
            _unlink(prompt_file)
    sink.close()
    return _result(spec, sink, exit_code, reason, time.monotonic() - started)


def _stop_when(spec: RunSpec, sink: _Sink, cancel_check: Callable[[], bool] | None) -> Callable[[], bool]:
    """Stop claude on a cancel, or once the usage it reported is priced over the cap."""

    def stop() -> bool:
        return _over(spec, sink.parser.estimate_usd()) or (cancel_check is not None and cancel_check())

    return stop


def _over(spec: RunSpec, spent: float) -> bool:
    return spec.max_cost_usd is not None and spent > spec.max_cost_usd


def failure_error(result: RunResult) -> ClaudeFailure:
    """The error to show for a failed run: its one-line detail and how to fix it."""
    if result.failure is None:
        raise ValueError("failure_error() needs a failed RunResult")
    detail = result.failure_detail or result.failure.value
    return ClaudeFailure(result.failure, detail, _FIX.get(result.failure, ""))


# ---- starting


def _start(
    claude: str, spec: RunSpec, env: dict[str, str], confinement: Confinement
) -> tuple[subprocess.Popen[bytes], str | None]:
    if not os.path.isdir(spec.cwd):
        raise _SpawnError(f"working directory {spec.cwd} does not exist")
    if len(spec.prompt.encode("utf-8", "surrogatepass")) <= PROMPT_ARG_LIMIT:
        return _spawn(build_argv(claude, spec, confinement=confinement), spec.cwd, env), None
    if len(spec.prompt) > PROMPT_STDIN_LIMIT:
        raise _PromptTooLong(
            f"the prompt is {len(spec.prompt):,} characters; `claude -p` reads at most {PROMPT_STDIN_LIMIT:,}"
        )
    path = _prompt_file(spec.prompt)
    resolved = claude if os.sep in claude else proc.which(claude, env) or claude
    argv = [sys.executable, "-I", "-S", "-c", _STDIN_SHIM, path]
    argv += build_argv(os.path.abspath(resolved), spec, prompt_on_stdin=True, confinement=confinement)
    try:
        return _spawn(argv, spec.cwd, env), path
    except BaseException:
        _unlink(path)
        raise


def _spawn(argv: list[str], cwd: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    try:
        return proc.spawn(argv, cwd=cwd, env=env)
    except CCError as e:
        raise ClaudeFailure(FailureKind.MISSING, e.message, e.fix) from e
    except (OSError, ValueError) as e:
        raise _SpawnError(f"could not start {argv[0]}: {e}") from e


def _prompt_file(prompt: str) -> str:
    fd, path = tempfile.mkstemp(prefix="ccplugin-prompt-", suffix=".txt")
    # errors="replace": a lone surrogate cannot be sent either way; better one "?" than no run
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
        f.write(prompt)
    return path


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# ---- streaming


class _Sink:
    """Where claude's output goes: stdout to the parser, stderr to a bounded tail."""

    def __init__(self, parser: StreamParser, on_event: Callable[[Event], None] | None, redact: Redactor) -> None:
        self.parser = parser
        self._on_event = on_event
        self.redact = redact
        self._stderr = bytearray()

    def stdout(self, data: bytes) -> None:
        self._emit(self.parser.feed(data))

    def stderr(self, data: bytes) -> None:
        self._stderr += data
        if len(self._stderr) > 2 * STDERR_CAP:
            del self._stderr[:-STDERR_CAP]

    def close(self) -> None:
        self._emit(self.parser.close())

    def stderr_tail(self) -> str:
        return self.redact(self._stderr[-STDERR_CAP:].decode("utf-8", "replace"))

    def _emit(self, events: list[Event]) -> None:
        if self._on_event is None:
            return
        for ev in events:
            data = {k: self.redact(v) if isinstance(v, str) else v for k, v in ev.data.items()}
            self._on_event(Event(ev.kind, self.redact(ev.message), data))


# ---- classifying


@dataclass(frozen=True)
class _Verdict:
    kind: FailureKind | None = None
    detail: str = ""


def _result(spec: RunSpec, sink: _Sink, code: int, reason: str, elapsed: float) -> RunResult:
    parsed = sink.parser.outcome()
    stderr = sink.stderr_tail()
    verdict = _classify(spec, parsed, code, reason, stderr)
    # a failed run's answer is never used, whatever it carried: only a clean, schema-valid run has one
    structured = parsed.structured if verdict.kind is None and isinstance(parsed.structured, dict) else None
    return RunResult(
        exit_code=code,
        session_id=parsed.session_id,
        text=sink.redact(parsed.text),
        structured=structured,
        is_error=parsed.is_error,
        subtype=parsed.subtype,
        api_error_status=parsed.api_error_status,
        usage=parsed.usage,
        cost_usd=parsed.total_cost_usd if parsed.total_cost_usd is not None else parsed.estimated_cost_usd or None,
        api_key_source=parsed.api_key_source,
        num_turns=parsed.num_turns,
        denials=parsed.permission_denials,
        tools_used=parsed.tools_used,
        tool_calls=parsed.tool_calls,
        files_touched=parsed.files_touched,
        stderr_tail=stderr,
        failure=verdict.kind,
        failure_detail=sink.redact(_line(verdict.detail)),
        garbage_lines=parsed.garbage_lines,
        duration_s=round(elapsed, 3),
    )


def _classify(spec: RunSpec, parsed: ParsedStream, code: int, reason: str, stderr: str) -> _Verdict:
    if reason == "timeout":
        return _Verdict(FailureKind.TIMEOUT, f"claude gave no result within {spec.timeout:g}s")
    over = _over_budget(spec, parsed, reason)
    if over is not None:
        return over
    if reason == "cancelled":
        return _Verdict(FailureKind.CANCELLED, "the run was cancelled")
    if not parsed.saw_result:
        return _no_result(parsed, code, stderr)
    if parsed.is_error:
        return _error_result(spec, parsed, code, stderr)
    if code != 0:
        return _Verdict(FailureKind.EXIT_NONZERO, f"claude {_exit_words(code)} after its result{_err(stderr)}")
    if spec.json_schema is not None:
        return _check_structured(spec.json_schema, parsed.structured)
    return _Verdict()


def _over_budget(spec: RunSpec, parsed: ParsedStream, reason: str) -> _Verdict | None:
    """Over the cap: stopped by claude's ``--max-budget-usd``, by ours mid-run, or at the end (a run that finished
    in the same moment it went over is no exception: what it cost is over the cap whoever noticed)."""
    cap = spec.max_cost_usd
    spent = parsed.total_cost_usd if parsed.total_cost_usd is not None else parsed.estimated_cost_usd
    if cap is None:
        return None
    if parsed.subtype == "error_max_budget_usd":
        return _Verdict(
            FailureKind.OVER_BUDGET,
            f"over-budget: claude stopped at the cost cap of ${cap:.2f} (--max-budget-usd): it cost ${spent:.4f}",
        )
    if reason == "cancelled" and _over(spec, parsed.estimated_cost_usd):
        return _Verdict(
            FailureKind.OVER_BUDGET,
            f"over-budget: stopped at the cost cap of ${cap:.2f}: the usage so far is priced at "
            f"${parsed.estimated_cost_usd:.4f} (estimated)",
        )
    if _over(spec, spent):
        return _Verdict(FailureKind.OVER_BUDGET, f"over-budget: the run cost ${spent:.4f}, over the cap of ${cap:.2f}")
    return None


def _no_result(parsed: ParsedStream, code: int, stderr: str) -> _Verdict:
    # a cut-off last line is truncation, not garbage
    if parsed.garbage_lines > int(parsed.truncated):
        first = parsed.garbage_samples[0] if parsed.garbage_samples else ""
        return _Verdict(
            FailureKind.GARBAGE,
            f"claude printed {parsed.garbage_lines} unparseable lines and no result "
            f"({_clip(first, 120)}){_err(stderr)}",
        )
    cut = " (its output stops mid-line)" if parsed.truncated else ""
    return _Verdict(
        FailureKind.NO_RESULT,
        f"claude {_exit_words(code)} without a result{cut}{_err(stderr)}",
    )


def _error_result(spec: RunSpec, parsed: ParsedStream, code: int, stderr: str) -> _Verdict:
    message = parsed.text or "; ".join(parsed.errors) or parsed.subtype or "no message"
    status = parsed.api_error_status
    if message.startswith("Prompt is too long") and status in (None, 400):  # the CLI's estimate, or the API's 400
        who = "claude" if status is None else "the API"
        return _Verdict(
            FailureKind.PROMPT_TOO_LONG, f"{who} refused the prompt ({len(spec.prompt):,} characters): {message}"
        )
    if status is not None:
        kind = _HTTP_KIND.get(status, FailureKind.API_ERROR)
        return _Verdict(kind, f"Claude API error (HTTP {status}): {message}")
    if parsed.subtype == "error_max_turns":
        return _Verdict(
            FailureKind.MAX_TURNS,
            f"claude stopped at the turn limit (--max-turns {spec.max_turns}): {message}",
        )
    if parsed.assistant_error in _ERROR_KIND:
        return _Verdict(_ERROR_KIND[parsed.assistant_error], f"Claude API error: {message}")
    return _Verdict(
        FailureKind.IS_ERROR,
        f"claude reported an error ({_exit_words(code)}): {message}{_err(stderr)}",
    )


@functools.lru_cache(maxsize=4)
def _validator(schema_json: str) -> Any:
    # a measured seam, with _check_structured's: jsonschema (about 35 ms) is imported only by a structured run;
    # bench_pytest_plugin.py's cache hit (+136 ms over plain pytest, target +100 ms) makes no run at all
    import jsonschema

    schema = json.loads(schema_json)
    return jsonschema.validators.validator_for(schema)(schema)


def _check_structured(schema: dict[str, Any], value: Any) -> _Verdict:
    if value is None:
        return _Verdict(
            FailureKind.STRUCTURED_MISSING,
            "claude finished without structured output (no valid StructuredOutput call)",
        )
    if not isinstance(value, dict):
        why = f"structured output is not a JSON object but {type(value).__name__}"
        return _Verdict(FailureKind.STRUCTURED_INVALID, why)
    where = _non_finite(value, "$")
    if where is not None:  # NaN and Infinity pass `minimum`/`maximum`, and no JSON can hold them
        return _Verdict(FailureKind.STRUCTURED_INVALID, f"structured output holds NaN or Infinity at {where}")
    import jsonschema  # the seam of _validator

    try:
        validator = _validator(json.dumps(schema))
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except jsonschema.exceptions.SchemaError as e:
        return _Verdict(FailureKind.STRUCTURED_INVALID, f"the JSON schema is invalid: {e.message}")
    if error is None:
        return _Verdict()
    return _Verdict(
        FailureKind.STRUCTURED_INVALID,
        f"structured output does not match the schema at {error.json_path}: {error.message}",
    )


def _non_finite(value: Any, where: str) -> str | None:
    """The JSON path of the first NaN or infinite number in ``value``, else None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    if isinstance(value, dict):
        items: Any = ((f"{where}.{k}", v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    return next((found for path, v in items if (found := _non_finite(v, path)) is not None), None)


def _exit_words(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def _err(stderr: str) -> str:
    """The end of stderr, for a one-line message."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    tail = " | ".join(lines[-3:])
    if len(tail) > 200:
        tail = "…" + tail[-199:]
    return f"; stderr: {tail}" if tail else ""


def _line(text: str) -> str:
    return _clip(" ".join(text.split()), DETAIL_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
