"""An offline fake of the OpenAI Responses API that the real ``codex exec`` runs against.

Standard library only, like :mod:`ccplugin.testing.fake_api` and sharing its machinery
(:mod:`ccplugin.testing.server`) and scenario format (:mod:`ccplugin.testing.scenario`)::

    with FakeResponses([reply(exec_command("echo hi"), turn=0), reply("done")]) as fake:
        env = offline_codex_home(fake, tmp_path)      # writes $CODEX_HOME/config.toml
        run = run_codex_exec("go", env=env, cwd=repo)
        assert fake.response_requests()[1].summary.output_texts

``url`` is ``http://127.0.0.1:<port>`` with no path; Codex's provider ``base_url`` must be
``url + "/v1"`` (:attr:`FakeResponses.base_url`): Codex appends ``/responses``. Endpoints:
``POST /v1/responses`` (and ``/responses``), SSE when ``stream`` is true (always, from Codex),
else the response object as JSON; anything else is logged and answered 404. A request no rule
matches gets a 400 ``invalid_request_error`` that names it, so a scenario gap fails loudly.

Reply blocks: ``text`` (an assistant message), ``thinking`` (a reasoning item with a summary),
``structured_output`` (an assistant message holding the JSON), ``function_call``
(``exec_command``, ``spawn_agent`` …: arguments object sent as a JSON string; ``namespace`` for
namespaced tools), ``custom_tool_call`` (``apply_patch``) and ``raw`` (any output item). In
strings, ``__CWD__`` becomes the session cwd (from ``<environment_context>``) and
``__OUT:key__`` a field of the last tool output parsed as JSON (e.g. ``agent_id`` after
``spawn_agent``; ``session_id`` after Codex's "Process running with session ID <n>", for
``write_stdin``). ``stop_reason`` is Messages-only and refused here.

Stream: ``response.created``, ``response.in_progress``, then per item
``response.output_item.added``, its deltas (``content_part.added`` / ``output_text.delta`` /
``output_text.done`` / ``content_part.done``; ``function_call_arguments.delta``/``.done``;
``custom_tool_call_input.delta``/``.done``) and ``response.output_item.done``, and last
``response.completed`` with ``usage`` (rule ``usage`` keys: input_tokens, output_tokens,
cached_tokens, reasoning_tokens). Every event carries ``type`` and ``sequence_number``.

From another process (``tests/`` on ``sys.path``): ``python -m support.fake_responses --scenario FILE --port-file F``.

What the real codex 0.169.0 did against it (checked by tests/test_fake_responses.py) is listed in
:mod:`support.codex_env`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ccplugin.errors import CCError
from ccplugin.testing.scenario import Match, Rule, ScenarioLike, matches
from ccplugin.testing.server import LoggedRequest, LoopbackFake, ModelHandler, serve
from support.responses import ResponsesSummary, build_reply, error_body, summarize

RESPONSES_PATH = "/v1/responses"


class _Handler(ModelHandler[ResponsesSummary]):
    MODEL_PATHS = frozenset({RESPONSES_PATH, "/responses"})

    def _summarize(self, body: Any) -> ResponsesSummary | None:
        if not isinstance(body, dict) or not isinstance(body.get("input"), list):
            return None
        return summarize(body, self._headers())

    def _bad_body(self) -> str:
        return "body must be a JSON object with an input list"

    def _error_body(self, status: int, error_type: str | None = None, message: str | None = None) -> Any:
        return error_body(status, error_type, message)

    def _unmatched(self, summary: ResponsesSummary) -> str:
        last = summary.last_user_text[-120:].replace("\n", " ")
        return (
            f"ccplugin fake Responses API: no scenario rule matched this request (turn={summary.turn}, "
            f"has_tool_result={summary.has_tool_result}, subagent={summary.is_subagent}, "
            f"tools={len(summary.tool_names)}, last user text ends {last!r})"
        )

    def _answer(self, rule: Rule, summary: ResponsesSummary, seq: int) -> None:
        answer = build_reply(rule.reply, seq=seq, summary=summary, usage=rule.usage)
        headers = {"x-request-id": f"req_fake_{seq:06d}", **rule.headers}
        if summary.stream:
            self._stream(answer.events(), headers, rule.stream_delay_s)
        else:
            self._send_json(200, answer.response(), headers)


class FakeResponses(LoopbackFake[ResponsesSummary]):
    """A loopback fake of the OpenAI Responses API; a context manager that starts and stops it."""

    HANDLER = _Handler
    API = "Responses API"
    BLOCK_KINDS: ClassVar[frozenset[str]] = frozenset(
        {"text", "thinking", "structured_output", "function_call", "custom_tool_call", "raw"}
    )

    def __init__(self, scenario: ScenarioLike, *, log_path: str | Path | None = None) -> None:
        super().__init__(scenario, log_path=log_path)
        for rule in self.scenario.rules:
            if rule.stop_reason is not None:
                raise CCError(f"rule {rule.label()} sets stop_reason", "drop it: the Responses fake has none")

    def _matches(self, match: Match, summary: ResponsesSummary) -> bool:
        return matches(match, summary)

    @property
    def base_url(self) -> str:
        """What Codex's ``model_providers.<id>.base_url`` must be: ``url + "/v1"``."""
        return self.url + "/v1"

    def response_requests(self) -> list[LoggedRequest[ResponsesSummary]]:
        """Only the ``POST /v1/responses`` requests, oldest first."""
        return self.model_requests()

    def wait_for_responses(self, count: int = 1, timeout: float = 10.0) -> list[LoggedRequest[ResponsesSummary]]:
        """Block until ``count`` Responses requests arrived; raises TimeoutError otherwise."""
        return self.wait_for_model_requests(count, timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a scenario until SIGTERM/SIGINT; write the port to ``--port-file`` once listening."""
    return serve(FakeResponses, "python -m support.fake_responses", argv)


if __name__ == "__main__":
    raise SystemExit(main())
