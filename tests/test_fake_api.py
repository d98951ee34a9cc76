"""The fake Anthropic Messages API: plain HTTP checks, then the real claude CLI against it."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ccplugin import proc
from ccplugin.errors import CCError
from ccplugin.testing import (
    FakeAnthropic,
    Scenario,
    as_scenario,
    builtin_scenarios,
    clean_environ,
    fail,
    find_claude_bin,
    offline_claude_env,
    reply,
    structured_output,
    thinking,
    tool_use,
)
from helpers import http_json, sse_events, tools_bin

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string"}, "issues": {"type": "array"}},
    "required": ["verdict"],
}


# -- helpers ------------------------------------------------------------------------------------


def body(*messages: tuple[str, Any], stream: bool = False, **extra: Any) -> dict[str, Any]:
    """A Messages request; claude's shape: a trailing role:system message after the user turn."""
    msgs = [{"role": role, "content": content} for role, content in messages]
    return {"model": "claude-test-1", "max_tokens": 100, "stream": stream, "messages": msgs} | extra


def call(
    url: str, path: str, payload: Any = None, method: str = "POST", timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    return http_json(url + path, payload, headers={"x-api-key": "secret-value"}, method=method, timeout=timeout)


def message(url: str, payload: dict[str, Any]) -> tuple[int, Any]:
    status, _, raw = call(url, "/v1/messages?beta=true", payload)
    return status, json.loads(raw)


# -- plain HTTP ---------------------------------------------------------------------------------


def test_head_root_ok_and_unknown_route_is_logged_404() -> None:
    with FakeAnthropic([reply("hi")]) as fake:
        assert call(fake.url, "/", method="HEAD")[0] == 200
        status, _, raw = call(fake.url, "/v1/models", method="GET")
        assert status == 404
        assert json.loads(raw)["error"]["type"] == "not_found_error"
        assert [(r.method, r.path, r.status) for r in fake.requests] == [
            ("HEAD", "/", 200),
            ("GET", "/v1/models", 404),
        ]
        assert fake.message_requests() == []


def test_non_streaming_reply_blocks_usage_and_ids() -> None:
    rule = reply(thinking("hmm"), "first", tool_use("Read", {"file_path": "/x"}), usage={"output_tokens": 7})
    with FakeAnthropic([rule]) as fake:
        status, msg = message(fake.url, body(("user", "go")))
    assert status == 200
    assert msg["type"] == "message" and msg["role"] == "assistant"
    assert msg["model"] == "claude-test-1"
    assert [b["type"] for b in msg["content"]] == ["thinking", "text", "tool_use"]
    assert msg["content"][1]["text"] == "first"
    assert msg["content"][2]["input"] == {"file_path": "/x"}
    assert msg["content"][2]["id"].startswith("toolu_fake_")
    assert msg["stop_reason"] == "tool_use"
    assert msg["usage"]["output_tokens"] == 7 and msg["usage"]["input_tokens"] == 10


def test_streaming_sse_event_sequence() -> None:
    long_text = "word " * 30
    rule = reply(long_text, tool_use("Edit", {"file_path": "/a", "old_string": "x" * 80}))
    with FakeAnthropic([rule]) as fake:
        status, headers, raw = call(fake.url, "/v1/messages", body(("user", "go"), stream=True))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)
    deltas = [d["delta"] for n, d in events if n == "content_block_delta"]
    text = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    partial = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert text == long_text
    assert json.loads(partial) == {"file_path": "/a", "old_string": "x" * 80}
    assert sum(d["type"] == "text_delta" for d in deltas) > 1  # really streamed in pieces
    starts = [d["content_block"] for n, d in events if n == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use"] and starts[1]["name"] == "Edit"
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_rules_match_on_history_skipping_trailing_system_message() -> None:
    scenario = [
        reply("schema", tool_offered="StructuredOutput"),
        reply("after tool", has_tool_result=True, turn=1),
        reply("model", model_contains="haiku"),
        reply("sys", system_contains="SECRET-SYSTEM"),
        reply("prompt", prompt_contains="FIRST", turn=1),
        reply("last", last_user_contains="again"),
        reply("turn0", turn=0),
    ]
    tool_result = [{"type": "tool_result", "tool_use_id": "t1", "content": "file text"}]
    history = [("user", "FIRST"), ("assistant", [{"type": "text", "text": "ok"}])]
    cases = {
        "schema": body(("user", "x"), tools=[{"name": "StructuredOutput"}]),
        "after tool": body(*history, ("user", tool_result), ("system", "Available agents")),
        "model": body(("user", "x"), model="claude-haiku-4-5"),
        "sys": body(("user", "x"), system=[{"type": "text", "text": "a SECRET-SYSTEM b"}]),
        "prompt": body(*history, ("user", "second")),
        "last": body(("user", "a"), ("assistant", "b"), ("assistant", "c"), ("user", "again")),
        "turn0": body(("user", "x"), ("system", "trailing")),
    }
    with FakeAnthropic(scenario) as fake:
        for expected, payload in cases.items():
            status, msg = message(fake.url, payload)
            assert (status, msg["content"][0]["text"]) == (200, expected)
        summary = fake.message_requests()[1].summary
    assert summary is not None
    assert summary.turn == 1 and summary.has_tool_result
    assert summary.tool_results[0].content == "file text"
    assert summary.prompt_text == "FIRST"


def test_times_exhausts_a_rule_then_the_next_one_answers() -> None:
    with FakeAnthropic([fail(429, times=2, headers={"retry-after": "0"}), reply("ok")]) as fake:
        outcomes = [message(fake.url, body(("user", "x"))) for _ in range(3)]
        statuses = [r.status for r in fake.message_requests()]
        rules = [r.rule for r in fake.message_requests()]
    assert [s for s, _ in outcomes] == [429, 429, 200] == statuses
    assert outcomes[0][1] == {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "ccplugin fake API: rate_limit_error (429)",
        },
    }
    assert rules == [0, 0, 1]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (500, "api_error"),
        (529, "overloaded_error"),
    ],
)
def test_error_statuses_have_anthropic_shape(status: int, kind: str) -> None:
    with FakeAnthropic([fail(status, "boom")]) as fake:
        got, err = message(fake.url, body(("user", "x")))
    assert got == status and err == {"type": "error", "error": {"type": kind, "message": "boom"}}


def test_unmatched_request_is_a_loud_400() -> None:
    with FakeAnthropic([reply("only turn 5", turn=5)]) as fake:
        status, err = message(fake.url, body(("user", "hello there")))
        assert fake.message_requests()[0].rule is None
    assert status == 400 and err["error"]["type"] == "invalid_request_error"
    assert "no scenario rule matched" in err["error"]["message"]
    assert "turn=0" in err["error"]["message"] and "hello there" in err["error"]["message"]


def test_bad_body_and_count_tokens() -> None:
    with FakeAnthropic([reply("x")]) as fake:
        status, err = message(fake.url, {"no": "messages"})
        assert status == 400 and "messages" in err["error"]["message"]
        status, _, raw = call(fake.url, "/v1/messages/count_tokens", body(("user", "x" * 400)))
        assert status == 200 and json.loads(raw)["input_tokens"] > 100


def test_cwd_placeholder_filled_from_system_prompt() -> None:
    system = "Env:\n - Primary working directory: /work/repo one\n - Is a git repository: true"
    rule = reply("in __CWD__", tool_use("Read", {"file_path": "__CWD__/a.py", "n": [1, "__CWD__"]}))
    with FakeAnthropic([rule]) as fake:
        _, msg = message(fake.url, body(("user", "x"), system=system))
        summary = fake.message_requests()[0].summary
    assert summary is not None and summary.cwd == "/work/repo one"
    assert msg["content"][0]["text"] == "in /work/repo one"
    assert msg["content"][1]["input"] == {
        "file_path": "/work/repo one/a.py",
        "n": [1, "/work/repo one"],
    }


def test_request_log_redacts_the_api_key() -> None:
    with FakeAnthropic([reply("x")]) as fake:
        message(fake.url, body(("user", "x")))
        logged = fake.message_requests()[0]
    assert logged.has_api_key and logged.headers["x-api-key"] == "<redacted>"
    assert logged.query == "beta=true" and logged.body["messages"][0]["content"] == "x"
    assert "secret-value" not in json.dumps(logged.to_dict())


def test_delay_does_not_block_other_requests_or_stop() -> None:
    fake = FakeAnthropic([reply("slow", last_user_contains="slow", delay_s=30), reply("fast")])
    fake.start()
    outcome: list[BaseException | tuple[int, Any]] = []

    def slow() -> None:
        try:
            outcome.append(message(fake.url, body(("user", "slow"))))
        except (OSError, urllib.error.URLError) as e:
            outcome.append(e)

    worker = threading.Thread(target=slow, daemon=True)
    worker.start()
    fake.wait_for_messages(1, timeout=5)
    started = time.monotonic()
    assert message(fake.url, body(("user", "quick")))[1]["content"][0]["text"] == "fast"
    assert time.monotonic() - started < 2
    started = time.monotonic()
    fake.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 3 and not worker.is_alive()
    assert outcome and not isinstance(outcome[0], tuple)  # dropped, never answered


def test_stop_ends_idle_keep_alive_connections() -> None:
    fake = FakeAnthropic([reply("x")]).start()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("POST", "/v1/messages", json.dumps(body(("user", "x"))))
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("connection") != "close"
    resp.read()
    fake.stop()
    assert conn.sock is not None and conn.sock.recv(1) == b""  # server hung up at once
    conn.close()


def test_stream_delay_between_events() -> None:
    with FakeAnthropic([reply("a", stream_delay_s=0.05)]) as fake:
        started = time.monotonic()
        call(fake.url, "/v1/messages", body(("user", "x"), stream=True))
    assert time.monotonic() - started >= 0.05 * 6


def test_wait_for_messages_times_out() -> None:
    with FakeAnthropic([reply("x")]) as fake, pytest.raises(TimeoutError):
        fake.wait_for_messages(1, timeout=0.1)


# -- scenario data ------------------------------------------------------------------------------


def test_scenario_dict_round_trip_and_builder_equivalence() -> None:
    built = Scenario.of(
        fail(529, "busy", times=1, name="overloaded once"),
        reply(tool_use("Read", {"file_path": "p"}), turn=0, delay_s=0.5),
        reply(structured_output({"verdict": "approve"}), has_json_schema=True),
        reply("done", has_tool_result=True, usage={"output_tokens": 3}, stop_reason="end_turn"),
        description="demo",
    )
    data = json.loads(json.dumps(built.to_dict()))
    assert Scenario.from_dict(data) == built
    assert data["rules"][2]["reply"] == [{"tool_use": {"name": "StructuredOutput", "input": {"verdict": "approve"}}}]


def test_scenario_loads_from_file_list_dict_and_builtin(tmp_path: Path) -> None:
    rules = [{"match": {"turn": 0}, "reply": [{"text": "hi"}, "plain"]}]
    file = tmp_path / "s.json"
    file.write_text(json.dumps(rules))
    assert as_scenario(file) == as_scenario(rules) == as_scenario({"rules": rules})
    assert as_scenario(str(file)).rules[0].reply[1].text == "plain"
    assert {"hello", "review_approve"} <= set(builtin_scenarios())
    assert as_scenario("review_approve").rules[0].match.tool_offered == "StructuredOutput"


@pytest.mark.parametrize(
    "bad",
    [
        [{"match": {"turnn": 0}, "reply": ["x"]}],
        [{"reply": [{"txt": "x"}]}],
        [{"match": {}}],
        [{"status": 200}],
        [{"reply": ["x"], "colour": "red"}],
        {"rules": "nope"},
    ],
)
def test_invalid_scenarios_are_ccerrors(bad: Any) -> None:
    with pytest.raises(CCError):
        as_scenario(bad)


def test_builder_rejects_unknown_option() -> None:
    with pytest.raises(CCError, match="turns"):
        reply("x", turns=1)


# -- environment, module entry point, fixtures --------------------------------------------------


def test_offline_env_strips_credentials_and_confines_claude(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "ANTHROPIC_AUTH_TOKEN": "x",
        "CLAUDECODE": "1",
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "OPENAI_API_KEY": "x",
        "GITHUB_TOKEN": "x",
        "CODEX_SESSION_ID": "s",
        "https_proxy": "http://corp:3128",
        "XDG_CONFIG_HOME": "/root/.config",
    }
    env = offline_claude_env("http://127.0.0.1:1", tmp_path, claude_bin="/opt/cc/bin/claude", base=base)
    assert env["LANG"] == "C.UTF-8"
    for gone in ("ANTHROPIC_AUTH_TOKEN", "CLAUDECODE", "CLAUDE_CODE_USE_BEDROCK", "OPENAI_API_KEY"):
        assert gone not in env
    assert "GITHUB_TOKEN" not in env and "CODEX_SESSION_ID" not in env
    assert "XDG_CONFIG_HOME" not in env
    assert env["https_proxy"] == "http://127.0.0.1:9" and env["NO_PROXY"] == "127.0.0.1,localhost"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:1" and env["ANTHROPIC_API_KEY"] == "test"
    assert env["HOME"] == str(tmp_path / "home") and (tmp_path / "home").is_dir()
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "claude-config")
    assert env["CCPLUGIN_HOME"] == str(tmp_path / "state")
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert env["CLAUDE_CODE_MAX_RETRIES"] == "0" and env["DISABLE_AUTOUPDATER"] == "1"
    assert env["PATH"] == "/opt/cc/bin:/usr/bin"
    assert env["CCPLUGIN_CLAUDE_BIN"] == "/opt/cc/bin/claude"
    assert "PATH" in clean_environ({"PATH": "/bin", "AWS_SECRET_ACCESS_KEY": "x"})


def test_find_claude_bin_order(tmp_path: Path) -> None:
    exe = tools_bin(tmp_path, "claude")
    assert find_claude_bin({"CCPLUGIN_CLAUDE_BIN": str(exe)}) == str(exe)
    assert find_claude_bin({"CCPLUGIN_CLAUDE_BIN": str(tmp_path / "none")}) is None
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_claude_bin({"PATH": ""}, cwd=sub) == str(exe)


def test_module_entry_point_serves_until_sigterm(tmp_path: Path) -> None:
    port_file, log = tmp_path / "port", tmp_path / "log.jsonl"
    argv = [
        *("python", "-m", "ccplugin.testing.fake_api", "--scenario", "hello"),
        *("--port-file", str(port_file), "--log", str(log)),
    ]
    argv[0] = __import__("sys").executable
    child = proc.spawn(argv)
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        status, msg = message(url, body(("user", "hi")))
        assert status == 200 and "fake Anthropic API" in msg["content"][0]["text"]
    finally:
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=10)
    assert child.returncode == 0 and out.decode().strip() == url
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries[0]["path"] == "/v1/messages" and entries[0]["summary"]["turn"] == 0


def test_fixtures_usable_as_a_pytest_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json, urllib.request
        from ccplugin.testing import reply

        def test_fake(cc_fake_api):
            fake = cc_fake_api([reply("hi")])
            req = urllib.request.Request(
                fake.url + "/v1/messages",
                data=json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(),
            )
            with urllib.request.urlopen(req) as resp:
                assert json.load(resp)["content"][0]["text"] == "hi"
            assert len(fake.message_requests()) == 1
        """
    )
    plugins = (
        "-p",
        "ccplugin.testing.fixtures",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
    )
    result = pytester.runpytest(*plugins)
    result.assert_outcomes(passed=1)


# -- the real claude CLI ------------------------------------------------------------------------

real_claude = pytest.mark.real_claude


@pytest.fixture
def work(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    return repo


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@real_claude
def test_claude_plain_text(cc_fake_claude: Any, work: Path) -> None:
    claude = cc_fake_claude([reply("HELLO FROM FAKE", usage={"output_tokens": 7})])
    run = claude.run("say hi", cwd=work)
    assert run.ok, run.stderr
    assert run.result["result"] == "HELLO FROM FAKE"
    assert run.result["usage"]["output_tokens"] == 7
    assert [e["type"] for e in run.events] == ["system", "assistant", "result"]
    # no HEAD / preconnect: claude skips it when a proxy is configured (the dead proxy)
    assert [(r.method, r.path) for r in claude.fake.requests] == [("POST", "/v1/messages")]
    (sent,) = claude.fake.message_requests()
    assert sent.has_api_key and sent.query == "beta=true"
    assert sent.headers["x-claude-code-session-id"] == run.session_id
    assert sent.summary.turn == 0 and sent.summary.stream
    assert sent.summary.last_user_text.endswith("say hi")
    assert sent.summary.cwd == str(work)
    assert [m["role"] for m in sent.body["messages"]] == ["user", "system"]
    assert {"Read", "Edit", "Bash"} <= set(sent.summary.tool_names)


@real_claude
def test_claude_json_schema_gets_structured_output(cc_fake_claude: Any, work: Path) -> None:
    verdict = {"verdict": "reject", "issues": ["off-by-one"]}
    claude = cc_fake_claude([reply(structured_output(verdict), has_json_schema=True)])
    run = claude.run("review", "--json-schema", json.dumps(SCHEMA), cwd=work)
    assert run.ok, run.stderr
    assert run.result["structured_output"] == verdict
    assert json.loads(run.result["result"]) == verdict
    assert [e["type"] for e in run.events] == ["system", "assistant", "user", "result"]
    (sent,) = claude.fake.message_requests()
    assert sent.summary.has_json_schema


@real_claude
def test_claude_read_edit_round_trip_changes_the_file(cc_fake_claude: Any, work: Path) -> None:
    git(work, "init", "-q")
    (work / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    edit = {"file_path": "__CWD__/calc.py", "old_string": "a - b", "new_string": "a + b"}
    claude = cc_fake_claude(
        [
            reply("Reading.", tool_use("Read", {"file_path": "__CWD__/calc.py"}), turn=0),
            reply(tool_use("Edit", edit), turn=1, has_tool_result=True),
            reply("Fixed the sign.", turn=2, has_tool_result=True),
        ]
    )
    run = claude.run("fix add", "--permission-mode", "acceptEdits", cwd=work)
    assert run.ok, run.stderr
    assert (work / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert run.result["result"] == "Fixed the sign." and run.result["num_turns"] == 3
    sent = claude.fake.message_requests()
    assert [r.rule for r in sent] == [0, 1, 2]
    assert "return a - b" in sent[1].summary.tool_results[0].content
    assert "updated successfully" in sent[2].summary.tool_results[0].content


@real_claude
def test_claude_resume_sends_earlier_turns(cc_fake_claude: Any, work: Path) -> None:
    claude = cc_fake_claude(
        [
            reply("first answer", turn=0),
            reply("second answer", turn=1, last_user_contains="follow up", prompt_contains="first"),
        ]
    )
    first = claude.run("first question", cwd=work)
    assert first.ok, first.stderr
    second = claude.run("follow up", "--resume", first.session_id, cwd=work)
    assert second.ok, second.stderr
    assert second.session_id == first.session_id
    assert second.result["result"] == "second answer"
    history = claude.fake.message_requests()[-1].body["messages"]
    assert any(m["role"] == "assistant" and "first answer" in json.dumps(m) for m in history)


@real_claude
@pytest.mark.parametrize("status", [401, 429, 500, 529])
def test_claude_api_errors_are_is_error_rc1(cc_fake_claude: Any, work: Path, status: int) -> None:
    claude = cc_fake_claude([fail(status, f"scripted {status}")])
    run = claude.run("hi", cwd=work)
    assert run.returncode == 1 and run.result is not None
    assert run.result["is_error"] is True and run.result["subtype"] == "success"
    assert run.result["api_error_status"] == status
    assert f"scripted {status}" in run.result["result"]
    assert len(claude.fake.message_requests()) == 1  # CLAUDE_CODE_MAX_RETRIES=0


@real_claude
def test_claude_retries_429_then_succeeds(cc_fake_claude: Any, work: Path) -> None:
    claude = cc_fake_claude([fail(429, times=1), reply("after retry")], retries=1)
    run = claude.run("hi", cwd=work)
    assert run.ok, run.stderr
    assert run.result["result"] == "after retry"
    (retry,) = run.of_type("system", "api_retry")
    assert retry["attempt"] == 1 and retry["max_retries"] == 1 and retry["error_status"] == 429
    sent = claude.fake.message_requests()
    assert [r.status for r in sent] == [429, 200]
    assert 0.4 < sent[1].time - sent[0].time < 5  # claude's own backoff: ~0.5 s, then doubling


@real_claude
def test_claude_falls_back_to_non_streaming_after_404(cc_fake_claude: Any, work: Path) -> None:
    claude = cc_fake_claude([fail(404, "no stream here", stream=True), reply("via json")])
    run = claude.run("hi", cwd=work)
    assert run.ok, run.stderr
    assert run.result["result"] == "via json"
    assert [(r.summary.stream, r.status) for r in claude.fake.message_requests()] == [
        (True, 404),
        (False, 200),
    ]


@real_claude
def test_claude_waits_for_a_delayed_reply(cc_fake_claude: Any, work: Path) -> None:
    claude = cc_fake_claude([reply("late", delay_s=0.6)])
    run = claude.run("hi", cwd=work)
    assert run.ok, run.stderr
    assert run.result["result"] == "late" and run.result["duration_api_ms"] >= 600
