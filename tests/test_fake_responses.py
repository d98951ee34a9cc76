"""The fake OpenAI Responses API: plain HTTP checks, then the real codex CLI against it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ccplugin.errors import CCError
from ccplugin.testing import FakeAnthropic, Scenario, as_scenario, fail, reply, structured_output, thinking, tool_use
from ccplugin.testing.scenario import function_call, raw_item
from helpers import http_json, sse_events, tools_bin
from support import (
    FakeResponses,
    apply_patch,
    exec_command,
    find_codex_bin,
    offline_codex_home,
    spawn_agent,
    tool_search_call,
    wait_agent,
)

# -- helpers ------------------------------------------------------------------------------------

DEV = {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex. RULES"}]}
ENV_CONTEXT = "<environment_context>\n  <cwd>/work/repo one</cwd>\n  <shell>bash</shell>\n</environment_context>"


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def body(*items: dict[str, Any], stream: bool = False, **extra: Any) -> dict[str, Any]:
    """A Responses request shaped like codex's: developer text, environment context, prompt, …"""
    tools = [{"type": "function", "name": "exec_command"}, {"type": "tool_search"}]
    return {"model": "gpt-5.5", "stream": stream, "input": [DEV, user(ENV_CONTEXT), *items], "tools": tools} | extra


def post(url: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    auth = {"authorization": "Bearer secret-value"}
    status, _, raw = http_json(url + "/v1/responses", payload, headers=auth | (headers or {}))
    return status, raw


# -- plain HTTP ---------------------------------------------------------------------------------


def test_streamed_reply_sends_codexs_event_sequence() -> None:
    long_text = "word " * 30
    patch = "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n*** End Patch\n"
    blocks = (thinking("hmm"), long_text, exec_command("echo hi", yield_time_ms=500), apply_patch(patch))
    with FakeResponses([reply(*blocks, usage={"output_tokens": 7})]) as fake:
        status, raw = post(fake.url, body(user("go"), stream=True))
    assert status == 200
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"] and names[-1] == "response.completed"
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert all(d["type"] == name for name, d in events)
    text = "".join(d["delta"] for n, d in events if n == "response.output_text.delta")
    args = "".join(d["delta"] for n, d in events if n == "response.function_call_arguments.delta")
    patch_in = "".join(d["delta"] for n, d in events if n == "response.custom_tool_call_input.delta")
    assert text == long_text and names.count("response.output_text.delta") > 1
    assert json.loads(args) == {"cmd": "echo hi", "yield_time_ms": 500} and patch_in == patch
    done = [d["item"] for n, d in events if n == "response.output_item.done"]
    assert [i["type"] for i in done] == ["reasoning", "message", "function_call", "custom_tool_call"]
    assert done[2]["call_id"] == "call_fake_000000_2" and done[3]["name"] == "apply_patch"
    completed = events[-1][1]["response"]
    assert completed["status"] == "completed" and completed["output"] == done
    assert completed["usage"]["output_tokens"] == 7 and completed["usage"]["total_tokens"] == 17


def test_non_streaming_answer_errors_times_and_unmatched() -> None:
    scenario = [fail(429, times=1), reply(structured_output({"verdict": "ok"}), turn=0), reply("late", turn=9)]
    with FakeResponses(scenario) as fake:
        first = post(fake.url, body(user("go")))
        second = post(fake.url, body(user("go")))
        third = post(fake.url, body(user("go"), {"type": "function_call", "call_id": "c"}))
        bad = post(fake.url, {"no": "input"})
        logged = fake.response_requests()
    assert first[0] == 429 and json.loads(first[1])["error"]["type"] == "rate_limit_exceeded"
    answer = json.loads(second[1])
    assert answer["object"] == "response" and json.loads(answer["output"][0]["content"][0]["text"]) == {"verdict": "ok"}
    error = json.loads(third[1])["error"]
    assert third[0] == 400 and "no scenario rule matched" in error["message"] and "turn=1" in error["message"]
    assert bad[0] == 400 and "input list" in json.loads(bad[1])["error"]["message"]
    assert [r.rule for r in logged] == [0, 1, None, None]
    assert logged[0].has_api_key and logged[0].headers["authorization"] == "<redacted>"
    assert "secret-value" not in json.dumps([r.to_dict() for r in logged])


def test_summary_reads_codex_input_headers_and_subagents() -> None:
    tools = [{"type": "namespace", "name": "multi_agent_v1", "tools": [{"type": "function", "name": "spawn_agent"}]}]
    history = [
        user("FIRST"),
        {"type": "reasoning", "summary": []},
        {"type": "tool_search_call", "call_id": "ts"},
        {"type": "tool_search_output", "call_id": "ts", "tools": tools},
        {"type": "function_call", "call_id": "c1", "name": "spawn_agent"},
        {"type": "function_call", "call_id": "c2", "name": "exec_command"},
        {"type": "function_call_output", "call_id": "c1", "output": '{"agent_id":"A1","nickname":"K"}'},
        {"type": "function_call_output", "call_id": "c2", "output": "Process exited with code 0"},
    ]
    metadata = {"session_id": "S", "thread_id": "T", "turn_id": "U", "thread_source": "subagent"}
    headers = {"x-codex-turn-metadata": json.dumps(metadata), "x-openai-subagent": "collab_spawn"}
    scenario = [
        reply("parent", subagent=False),
        reply(wait_agent(), subagent=True, tool_offered="spawn_agent", has_tool_result=True, turn=2),
    ]
    with FakeResponses(scenario) as fake:
        status, raw = post(fake.url, body(*history, text={"format": {"type": "json_schema"}}), headers)
        (logged,) = fake.response_requests()
    assert status == 200, raw
    s = logged.summary
    assert s is not None
    assert (s.turn, s.prompt_text, s.last_user_text, s.cwd) == (2, "FIRST", "FIRST", "/work/repo one")
    assert [r.tool_use_id for r in s.tool_results] == ["c1", "c2"] and s.last_output_text.startswith("Process")
    assert {"exec_command", "tool_search", "multi_agent_v1", "spawn_agent"} <= set(s.tool_names)
    assert s.system_text == "You are Codex. RULES" and s.has_json_schema
    assert (s.session_id, s.thread_id, s.turn_id, s.subagent, s.is_subagent) == ("S", "T", "U", "collab_spawn", True)
    # __OUT:agent_id__ is filled from the last tool output that is a JSON object … here it is not one
    arguments = json.loads(json.loads(raw)["output"][0]["arguments"])
    assert arguments == {"targets": ["__OUT:agent_id__"], "timeout_ms": 30000}


def test_placeholders_fill_from_last_output_and_cwd() -> None:
    spawned = [
        user("go"),
        {"type": "function_call", "call_id": "c1", "name": "spawn_agent"},
        {"type": "function_call_output", "call_id": "c1", "output": '{"agent_id":"A1","nickname":"K"}'},
    ]
    rule = reply(wait_agent(), exec_command("cat __CWD__/x # __OUT:nickname__"), function_call("f", {"n": "__OUT:n__"}))
    with FakeResponses([rule]) as fake:
        _, raw = post(fake.url, body(*spawned))
    calls = [json.loads(i["arguments"]) for i in json.loads(raw)["output"]]
    assert calls[0]["targets"] == ["A1"]
    assert calls[1] == {"cmd": "cat /work/repo one/x # K"}
    assert calls[2] == {"n": "__OUT:n__"}  # unknown keys stay as written


def test_scenario_data_round_trip_and_dialect_checks() -> None:
    built = Scenario.of(
        reply(tool_search_call("spawn"), turn=0),
        reply(spawn_agent("task", task_name="t1", namespace="collaboration"), last_output_contains="spawn_agent"),
        reply(apply_patch("*** Begin Patch\n*** End Patch\n"), raw_item({"type": "web_search_call"}), subagent=True),
        reply("done", has_tool_result=True, usage={"cached_tokens": 3}),
    )
    data = json.loads(json.dumps(built.to_dict()))
    assert as_scenario(data) == built
    assert data["rules"][1]["reply"][0]["function_call"]["namespace"] == "collaboration"
    patch_block = {"custom_tool_call": {"name": "apply_patch", "input": "*** Begin Patch\n*** End Patch\n"}}
    assert data["rules"][2]["reply"][0] == patch_block
    FakeResponses(built)  # accepted; not started
    with pytest.raises(CCError, match="tool_use"):
        FakeResponses([reply(tool_use("Read", {}))])
    with pytest.raises(CCError, match="stop_reason"):
        FakeResponses([reply("x", stop_reason="end_turn")])
    with pytest.raises(CCError, match="function_call"):
        FakeAnthropic([reply(exec_command("ls"))])
    with pytest.raises(CCError, match="subagent"):
        FakeAnthropic([reply("x", subagent=True)])
    with pytest.raises(CCError, match="has_tool_output"):
        reply("x", has_tool_output=True)


def test_offline_codex_home_writes_config_and_confines_env(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "u"}
    base |= {"CODEX_HOME": "/root/.codex", "CODEX_SESSION_ID": "s", "ANTHROPIC_API_KEY": "x", "HTTP_PROXY": "corp"}
    env = offline_codex_home("http://127.0.0.1:1/v1", tmp_path, codex_bin="/opt/cx/bin/codex", base=base)
    config = tomllib.loads((tmp_path / "codex-home" / "config.toml").read_text())
    provider = config["model_providers"][config["model_provider"]]
    assert config["model"] == "gpt-5.5" and config["analytics"] == {"enabled": False}
    assert provider["base_url"] == "http://127.0.0.1:1/v1" and provider["wire_api"] == "responses"
    assert provider["request_max_retries"] == 0 and provider["stream_max_retries"] == 0
    assert env[provider["env_key"]] == "test"
    for gone in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_SESSION_ID", "ANTHROPIC_API_KEY"):
        assert gone not in env
    assert env["CODEX_HOME"] == str(tmp_path / "codex-home") and env["HOME"] == str(tmp_path / "home")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert env[name] == "http://127.0.0.1:9"
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost"
    assert env["PATH"] == "/opt/cx/bin:/usr/bin" and env["CCPLUGIN_CODEX_BIN"] == "/opt/cx/bin/codex"
    assert env["LANG"] == "C.UTF-8"


def test_find_codex_bin_order(tmp_path: Path) -> None:
    exe = tools_bin(tmp_path, "codex")
    assert find_codex_bin({"CCPLUGIN_CODEX_BIN": str(exe)}) == str(exe)
    assert find_codex_bin({"CCPLUGIN_CODEX_BIN": str(tmp_path / "none")}) is None
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_codex_bin({"PATH": ""}, cwd=sub) == str(exe)


# -- the real codex CLI -------------------------------------------------------------------------

real_codex = pytest.mark.real_codex
PATCH = (
    "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n"
    "-    return a - b\n+    return a + b\n*** End Patch\n"
)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return repo


@real_codex
def test_codex_plain_reply(cc_fake_codex: Any, work: Path) -> None:
    codex = cc_fake_codex([reply("HELLO FROM FAKE", usage={"output_tokens": 7})])
    run = codex.run("say hi", cwd=work)
    assert run.ok, run.stderr
    assert run.final_message == "HELLO FROM FAKE"
    assert run.usage is not None and (run.usage["input_tokens"], run.usage["output_tokens"]) == (10, 7)
    assert [e["type"] for e in run.events] == ["thread.started", "turn.started", "item.completed", "turn.completed"]
    assert [(r.method, r.path) for r in codex.fake.requests] == [("POST", "/v1/responses")]  # nothing else
    (sent,) = codex.fake.response_requests()
    s = sent.summary
    assert sent.has_api_key and sent.headers["originator"] == "codex_exec"
    assert (s.turn, s.stream, s.model, s.prompt_text, s.cwd) == (0, True, "gpt-5.5", "say hi", str(work))
    assert {"exec_command", "apply_patch", "tool_search"} <= set(s.tool_names)
    assert "spawn_agent" not in s.tool_names and "multi_agent_v1" in s.system_text  # deferred
    assert s.session_id == s.thread_id == run.thread_id and not s.is_subagent
    assert s.turn_metadata["thread_source"] == "user" and s.turn_metadata["sandbox_mode"] == "read-only"


@real_codex
@pytest.mark.parametrize(
    ("flags", "writable", "network_disabled", "profile"),
    [
        ((), False, "1", ":read-only"),
        (("--sandbox", "workspace-write"), True, "1", "unset"),
        (("--sandbox", "danger-full-access"), True, "unset", "unset"),
    ],
    ids=["default", "workspace-write", "danger-full-access"],
)
def test_codex_exec_command_sees_session_id_and_sandbox_env(
    cc_fake_codex: Any, work: Path, flags: tuple[str, ...], writable: bool, network_disabled: str, profile: str
) -> None:
    probe = (
        'echo "$CODEX_SESSION_ID" > sid.txt; '
        "echo NET=${CODEX_SANDBOX_NETWORK_DISABLED-unset} PROFILE=${CODEX_PERMISSION_PROFILE-unset} "
        "SID=$CODEX_SESSION_ID TID=$CODEX_THREAD_ID CALL=$CODEX_TOOL_CALL_ID"
    )
    codex = cc_fake_codex([reply(exec_command(probe), turn=0), reply("DONE", turn=1, has_tool_result=True)])
    run = codex.run("probe", *flags, cwd=work)
    assert run.ok, run.stderr
    first, second = codex.fake.response_requests()
    (output,) = second.summary.tool_results
    sid = run.thread_id
    assert output.tool_use_id == "call_fake_000000_0" and "Process exited with code 0" in output.content
    assert f"NET={network_disabled} PROFILE={profile} SID={sid} TID={sid} CALL=call_fake_000000_0" in output.content
    written = (work / "sid.txt").read_text() if (work / "sid.txt").exists() else None
    assert written == (f"{sid}\n" if writable else None)
    assert first.summary.turn_metadata["sandbox_mode"] == (flags[1] if flags else "read-only")


@real_codex
def test_codex_apply_patch_and_parallel_calls_in_one_reply(cc_fake_codex: Any, work: Path) -> None:
    codex = cc_fake_codex(
        [
            reply("Patching.", apply_patch(PATCH), exec_command("echo second"), turn=0),
            reply("Fixed.", turn=1, has_tool_result=True),
        ]
    )
    run = codex.run("fix add", "--sandbox", "workspace-write", cwd=work)
    assert run.ok, run.stderr
    assert (work / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert [i["type"] for i in run.items()] == ["agent_message", "file_change", "command_execution", "agent_message"]
    assert run.items("file_change")[0]["changes"] == [{"path": str(work / "calc.py"), "kind": "update"}]
    _, second = codex.fake.response_requests()
    kinds = [i.get("type") for i in second.body["input"][4:]]
    assert kinds == ["message", "custom_tool_call", "function_call", "custom_tool_call_output", "function_call_output"]
    patched, echoed = second.summary.tool_results
    assert "Success. Updated the following files:\nM calc.py" in patched.content and "second" in echoed.content


@real_codex
@pytest.mark.parametrize(
    ("rule", "status", "message"),
    [
        (fail(500, "boom"), 500, "We’re currently experiencing high demand"),  # codex hides 5xx bodies
        (reply("never", turn=5), 400, "no scenario rule matched"),
    ],
    ids=["500", "unmatched"],
)
def test_codex_api_errors_fail_the_turn_without_retries(
    cc_fake_codex: Any, work: Path, rule: Any, status: int, message: str
) -> None:
    codex = cc_fake_codex([rule])
    run = codex.run("go", cwd=work)
    assert run.returncode == 1 and not run.ok
    assert run.error is not None and message in run.error["message"]
    assert [r.status for r in codex.fake.requests] == [status]


def _hook_logger(tmp_path: Path) -> str:
    log = tmp_path / "hooks.jsonl"
    script = tmp_path / "hook.py"
    script.write_text(
        f"import json, sys\nwith open({str(log)!r}, 'a') as f:\n    f.write(json.dumps(json.load(sys.stdin)) + '\\n')\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


@real_codex
def test_codex_hooks_json_runs_with_bypass_trust_only(cc_fake_codex: Any, work: Path, tmp_path: Path) -> None:
    codex = cc_fake_codex([reply("PLAIN")])
    handler = [{"hooks": [{"type": "command", "command": _hook_logger(tmp_path), "timeout": 10}]}]
    codex.write_hooks({"hooks": {"SessionStart": handler, "Stop": handler}})
    log = tmp_path / "hooks.jsonl"
    assert codex.run("go", cwd=work).ok and not log.exists()  # untrusted hooks are skipped silently
    run = codex.run("go", "--dangerously-bypass-hook-trust", cwd=work)
    assert run.ok, run.stderr
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert [h["hook_event_name"] for h in seen] == ["SessionStart", "Stop"]
    assert seen[0]["source"] == "startup" and seen[1]["last_assistant_message"] == "PLAIN"
    assert {h["session_id"] for h in seen} == {run.thread_id} and seen[0]["cwd"] == str(work)
    assert any("dangerously-bypass-hook-trust" in i.get("message", "") for i in run.items("error"))


@real_codex
def test_codex_spawns_a_subagent_through_tool_search(cc_fake_codex: Any, work: Path) -> None:
    codex = cc_fake_codex(
        [
            reply(exec_command("echo SID=$CODEX_SESSION_ID TID=$CODEX_THREAD_ID > child.txt"), subagent=True, turn=0),
            reply("SUB DONE", subagent=True),
            reply(tool_search_call("spawn sub-agent"), turn=0),
            reply(spawn_agent("SUBAGENT TASK: write child.txt"), turn=1, tool_offered="spawn_agent"),
            reply(wait_agent(), turn=2, last_output_contains="agent_id"),
            reply("PARENT DONE", turn=3),
        ]
    )
    run = codex.run("delegate", "--sandbox", "workspace-write", cwd=work)
    assert run.ok, run.stderr
    assert run.final_message == "PARENT DONE"
    sent = codex.fake.response_requests()
    parent = [r for r in sent if not r.summary.is_subagent]
    child = [r for r in sent if r.summary.is_subagent]
    assert [r.rule for r in parent] == [2, 3, 4, 5] and [r.rule for r in child] == [0, 1]
    agent_id = json.loads(parent[2].summary.last_output_text)["agent_id"]
    first = child[0]
    assert first.headers["x-openai-subagent"] == "collab_spawn" and first.summary.thread_source == "subagent"
    assert first.summary.prompt_text == "SUBAGENT TASK: write child.txt"
    assert (first.summary.session_id, first.summary.thread_id) == (run.thread_id, agent_id)
    assert (first.headers["session-id"], first.headers["thread-id"]) == (run.thread_id, agent_id)
    assert "tool_search" not in first.summary.tool_names and "exec_command" in first.summary.tool_names
    assert (work / "child.txt").read_text() == f"SID={run.thread_id} TID={agent_id}\n"
    waited = json.loads(parent[3].summary.last_output_text)
    assert waited == {"status": {agent_id: {"completed": "SUB DONE"}}, "timed_out": False}
    assert parent[3].summary.last_user_text.startswith("<subagent_notification>")
    collab = run.items("collab_tool_call")
    assert [c["tool"] for c in collab] == ["spawn_agent", "wait"] and collab[0]["receiver_thread_ids"] == [agent_id]


@real_codex
def test_codex_multi_agent_v2_offers_spawn_upfront(cc_fake_codex: Any, work: Path) -> None:
    spawn = spawn_agent("SUBAGENT TASK", namespace="collaboration", task_name="sub1", fork_turns="none")
    codex = cc_fake_codex(
        [
            reply("SUB DONE", subagent=True),
            reply(spawn, turn=0, tool_offered="spawn_agent"),
            reply(function_call("wait_agent", {"timeout_ms": 20000}, namespace="collaboration"), turn=1),
            reply("PARENT DONE", turn=2),
        ]
    )
    run = codex.run("delegate", "--enable", "multi_agent_v2", cwd=work)
    assert run.ok, run.stderr
    sent = codex.fake.response_requests()
    assert "tool_search" not in sent[0].summary.tool_names and "collaboration" in sent[0].summary.tool_names
    (child,) = [r for r in sent if r.summary.is_subagent]
    assert child.body["input"][-1]["type"] == "agent_message"
    assert child.summary.prompt_text.startswith("Message Type: NEW_TASK\nTask name: /root/sub1")
    assert child.summary.turn_metadata["agent_name"] == "/root/sub1"
    assert child.summary.session_id == run.thread_id != child.summary.thread_id
    assert "FINAL_ANSWER" in sent[-1].summary.last_user_text and "SUB DONE" in sent[-1].summary.last_user_text
