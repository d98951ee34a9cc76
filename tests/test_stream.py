"""The stream-json parser: captured-style lines, chunking, garbage, bounded memory."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ccplugin.claude import stream
from ccplugin.claude.stream import BoundedText, ParsedStream, StreamParser, parse
from ccplugin.claude.types import Event

SID = "4cbc59cc-0000-4000-8000-000000000001"
ROOT = "/work/repo"

# Lines shaped like claude 2.1.197's stream-json (fields trimmed to what matters).
INIT = {
    "type": "system",
    "subtype": "init",
    "cwd": ROOT,
    "session_id": SID,
    "tools": ["Bash", "Edit", "Read"],
    "model": "claude-opus-4-7[1m]",
    "permissionMode": "dontAsk",
    "claude_code_version": "2.1.197",
}


def assistant(*content: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
    return {
        "type": "assistant",
        "message": {"id": "msg_1", "role": "assistant", "content": list(content)},
        "parent_tool_use_id": parent,
        "session_id": SID,
    }


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def tool(name: str, **args: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{name}", "name": name, "input": args}


def tool_result(content: str) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": "toolu_Read", "content": content}
    return {"type": "user", "message": {"role": "user", "content": [block]}, "session_id": SID}


RETRY = {
    "type": "system",
    "subtype": "api_retry",
    "attempt": 1,
    "max_retries": 3,
    "retry_delay_ms": 563.04,
    "error_status": 429,
    "error": "rate_limit",
    "session_id": SID,
}


def result(**kw: Any) -> dict[str, Any]:
    base = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "api_error_status": None,
        "num_turns": 2,
        "result": "final answer",
        "session_id": SID,
        "total_cost_usd": 0.000175,
        "usage": {"input_tokens": 10, "output_tokens": 5},
        "permission_denials": [],
    }
    return {**base, **kw}


def lines(*objs: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def run_parser(data: bytes, root: str | None = ROOT) -> tuple[list[Event], ParsedStream]:
    parser = StreamParser(root)
    events = parser.feed(data) + parser.close()
    return events, parser.outcome()


def test_a_plain_review_stream() -> None:
    data = lines(
        INIT,
        assistant(text("Let me look."), tool("Read", file_path=f"{ROOT}/calc.py")),
        tool_result("1\tdef add(a, b):"),
        RETRY,
        assistant(text("All good.")),
        result(),
    )
    events, out = run_parser(data)
    assert [e.kind for e in events] == ["init", "text", "tool", "retry", "text", "result"]
    assert events[0].message == "started claude-opus-4-7[1m]"
    assert events[2].message == "Read calc.py"
    assert events[3].message == "API retry 1/3 after 0.6s (status 429 rate_limit)"
    assert events[5].message == "done, 2 turns, $0.0002"
    assert out.session_id == SID
    assert out.saw_result and not out.is_error
    assert out.text == "final answer"
    assert out.total_cost_usd == 0.000175
    assert out.usage == {"input_tokens": 10, "output_tokens": 5}
    assert out.num_turns == 2
    assert out.tools_used == ("Read calc.py",)
    assert out.files_touched == ()
    assert out.garbage_lines == 0
    assert out.lines == 6


def test_edits_are_touched_files_relative_to_root() -> None:
    data = lines(
        assistant(
            tool("Edit", file_path=f"{ROOT}/calc.py", old_string="-", new_string="+"),
            tool("Write", file_path="/elsewhere/new.py", content="x"),
            tool("MultiEdit", file_path=f"{ROOT}/pkg/m.py", edits=[]),
            tool("NotebookEdit", notebook_path=f"{ROOT}/nb.ipynb", new_source=""),
            tool("Edit", file_path=f"{ROOT}/calc.py"),
            tool("Bash", command="pytest -q\nsecond line", description="run tests"),
            tool("Grep", pattern="def add"),
            tool("TodoWrite", todos=[]),
        ),
        result(),
    )
    _, out = run_parser(data)
    assert out.files_touched == ("calc.py", "/elsewhere/new.py", "pkg/m.py", "nb.ipynb")
    assert out.tools_used == (
        "Edit calc.py",
        "Write /elsewhere/new.py",
        "MultiEdit pkg/m.py",
        "NotebookEdit nb.ipynb",
        "Edit calc.py",
        "Bash pytest -q",
        "Grep def add",
        "TodoWrite",
    )


def test_api_error_result_as_claude_prints_it() -> None:
    synthetic = assistant(text("Failed to authenticate. API Error: 401 mock failure 401"))
    synthetic["error"] = "authentication_failed"
    err = result(
        is_error=True,
        api_error_status=401,
        result="Failed to authenticate. API Error: 401 mock failure 401",
        total_cost_usd=0,
    )
    events, out = run_parser(lines(INIT, synthetic, err))
    assert events[-1].message == "error, HTTP 401, 2 turns, $0.0000"
    assert out.is_error and out.subtype == "success"
    assert out.api_error_status == 401
    assert out.assistant_error == "authentication_failed"
    assert out.text.startswith("Failed to authenticate")


def test_max_turns_result_keeps_streamed_text_and_errors() -> None:
    err = result(
        subtype="error_max_turns",
        is_error=True,
        result=None,
        num_turns=3,
        errors=["Reached maximum number of turns (2)"],
    )
    _, out = run_parser(lines(assistant(text("step one")), assistant(text("step two")), err))
    assert out.subtype == "error_max_turns"
    assert out.errors == ("Reached maximum number of turns (2)",)
    assert out.text == "step one\n\nstep two"


def test_structured_output_and_denials() -> None:
    denial = {
        "tool_name": "Write",
        "tool_use_id": "toolu_9",
        "tool_input": {"file_path": "/x", "content": "y" * 10_000, "nested": {"a": 1}},
    }
    res = result(
        result='{"verdict":"approve"}',
        structured_output={"verdict": "approve"},
        permission_denials=[denial],
    )
    _, out = run_parser(lines(res))
    assert out.structured == {"verdict": "approve"}
    (kept,) = out.permission_denials
    assert kept["tool_name"] == "Write"
    assert kept["tool_input"]["file_path"] == "/x"
    assert len(kept["tool_input"]["content"]) <= 200
    assert "nested" not in kept["tool_input"]


def test_session_id_first_seen_then_result_wins() -> None:
    _, out = run_parser(lines(INIT, assistant(text("x")), result(session_id="other")))
    assert out.session_id == "other"
    _, out = run_parser(lines(INIT, assistant(text("x"))))
    assert out.session_id == SID and not out.saw_result


def test_subagent_text_is_not_the_answer_but_its_tools_count() -> None:
    data = lines(
        assistant(text("sub says"), tool("Read", file_path="/a"), parent="toolu_agent"),
        assistant(text("main says")),
    )
    _, out = run_parser(data, root=None)
    assert out.text == "main says"
    assert out.tools_used == ("Read /a",)


def test_garbage_lines_are_counted_and_sampled() -> None:
    data = b"not json\n" + b"[1, 2]\n" + b"\n   \n" + b'"string"\n' + lines(INIT) + b"\xff\xfe\n"
    events, out = run_parser(data)
    assert [e.kind for e in events] == ["init"]
    assert out.garbage_lines == 4
    assert out.garbage_samples[0] == "not JSON: not json"
    assert out.garbage_samples[1] == "not a JSON object: [1, 2]"
    assert out.lines == 5
    assert not out.truncated


def test_unknown_types_and_wrong_shapes_are_ignored() -> None:
    odd = [
        {"type": "stream_event", "event": {}},
        {"type": "assistant", "message": 5},
        {"type": "assistant", "message": {"content": [5, {"type": "tool_use", "input": 3}]}},
        {"type": "result", "usage": [], "num_turns": "x", "is_error": "yes", "errors": "e"},
        {"type": "system", "subtype": "api_retry"},
    ]
    events, out = run_parser(lines(*odd))
    assert [e.kind for e in events] == ["tool", "result", "retry"]
    assert events[-1].message == "API retry"
    assert out.saw_result and not out.is_error
    assert out.usage == {} and out.num_turns is None and out.errors == ()
    assert out.garbage_lines == 0


def test_last_line_without_newline() -> None:
    complete = json.dumps(result()).encode()
    _, out = run_parser(lines(INIT) + complete)
    assert out.saw_result and not out.truncated
    _, out = run_parser(lines(INIT) + complete[:40])
    assert not out.saw_result and out.truncated and out.garbage_lines == 1


def test_oversized_line_is_skipped_the_same_however_it_arrives() -> None:
    huge = b'{"type":"user","x":"' + b"a" * (stream.MAX_LINE + 10) + b'"}\n'
    data = lines(INIT) + huge + lines(result())
    whole = run_parser(data)[1]
    parser = StreamParser(ROOT)
    for i in range(0, len(data), 1 << 20):
        parser.feed(data[i : i + (1 << 20)])
    parser.close()
    assert parser.outcome() == whole
    assert whole.saw_result and whole.garbage_lines == 1
    assert whole.garbage_samples[0].startswith("line longer than")


def test_text_is_capped_head_and_tail() -> None:
    parts = [f"<{i}>" + "x" * 100_000 for i in range(30)]
    data = lines(*(assistant(text(p)) for p in parts))
    _, out = run_parser(data)
    assert len(out.text) <= stream.TEXT_CAP + 100
    assert out.text.startswith("<0>")
    assert out.text.endswith("x" * 1000)
    assert "<29>" in out.text
    assert "characters omitted" in out.text


def test_a_huge_result_text_is_capped_too() -> None:
    _, out = run_parser(lines(result(result="r" * (3 * stream.TEXT_CAP))))
    assert len(out.text) <= stream.TEXT_CAP + 100


def test_tool_list_is_capped_but_counted() -> None:
    many = [tool("Read", file_path=f"/f{i}") for i in range(stream.TOOLS_CAP + 50)]
    _, out = run_parser(lines(assistant(*many)))
    assert len(out.tools_used) == stream.TOOLS_CAP
    assert out.tools_total == stream.TOOLS_CAP + 50


def test_huge_fields_are_clipped() -> None:
    long = "p" * 200_000  # 20 of them stay under MAX_LINE
    data = lines(
        assistant(*(tool("Write", file_path=f"/{i}{long}") for i in range(20))),
        assistant(tool("Edit", command="not a path")),
        result(session_id=long, subtype=long),
    )
    _, out = run_parser(data)
    assert max(len(t) for t in out.tools_used) <= stream.FIELD_CHARS + 10
    assert max(len(f) for f in out.files_touched) <= stream.FIELD_CHARS
    assert len(out.files_touched) == 20
    assert out.tools_used[-1] == "Edit not a path"
    assert out.session_id is not None and len(out.session_id) <= stream.FIELD_CHARS
    assert out.subtype is not None and len(out.subtype) <= stream.FIELD_CHARS


def test_garbage_samples_are_capped() -> None:
    _, out = run_parser(b"junk\n" * 1000)
    assert out.garbage_lines == 1000
    assert len(out.garbage_samples) == stream.SAMPLES_CAP


def test_bounded_text() -> None:
    t = BoundedText(cap=10)
    for ch in "abcdefghijklmnopqrstuvwxyz":
        t.append(ch)
    assert len(t) == 26
    assert t.value() == "abcde\n[… 16 characters omitted …]\nvwxyz"
    short = BoundedText(cap=10)
    short.append("abc")
    short.append("defg")
    assert short.value() == "abcdefg"


# ---- properties

_texts = st.text(max_size=40)
_objects = st.one_of(
    st.builds(lambda t: assistant(text(t)), _texts),
    st.builds(lambda p: assistant(tool("Edit", file_path=f"{ROOT}/{p}")), _texts),
    st.builds(lambda c: assistant(tool("Bash", command=c)), _texts),
    st.just(INIT),
    st.just(RETRY),
    st.builds(lambda t: tool_result(t), _texts),
    st.builds(lambda t, e: result(result=t, is_error=e), _texts, st.booleans()),
)
_line = st.one_of(
    _objects.map(lambda o: json.dumps(o).encode()),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b),
)


@st.composite
def streams_and_cuts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    body = b"\n".join(draw(st.lists(_line, max_size=12)))
    if draw(st.booleans()):
        body += b"\n"
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=8)))
    return body, cuts


@given(streams_and_cuts())
@settings(max_examples=300, deadline=None)
def test_chunking_never_changes_the_outcome(case: tuple[bytes, list[int]]) -> None:
    body, cuts = case
    whole_events, whole = run_parser(body)
    parser = StreamParser(ROOT)
    events: list[Event] = []
    for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True):
        events += parser.feed(body[start:end])
    events += parser.close()
    assert parser.outcome() == whole
    assert events == whole_events


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_typed = st.builds(
    lambda kind, sub, rest: {**rest, "type": kind, "subtype": sub},
    st.sampled_from(["assistant", "result", "system", "user", "x"]),
    st.sampled_from(["init", "api_retry", "success", None]),
    st.dictionaries(
        st.sampled_from(["message", "session_id", "result", "usage", "errors", "permission_denials", "error"]),
        _json,
    ),
)


@given(st.lists(st.binary(max_size=200), max_size=10))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    out = parse(chunks)
    assert out.lines >= out.garbage_lines


@given(st.lists(_typed | _json, max_size=6))
@settings(max_examples=150, deadline=None)
def test_arbitrary_json_shapes_never_raise(objs: list[Any]) -> None:
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    parse([data])


def test_deep_nesting_is_garbage_not_a_crash() -> None:
    out = parse([b"[" * 100_000 + b"\n" + b"{" * 100_000 + b"\n"])
    assert out.garbage_lines == 2


@given(st.lists(st.integers(0, 300_000), min_size=1, max_size=12))
@settings(max_examples=25, deadline=None)
def test_kept_text_is_bounded(sizes: list[int]) -> None:
    parser = StreamParser()
    for i, n in enumerate(sizes):
        parser.feed(lines(assistant(text(str(i) * n))))
    parser.close()
    assert len(parser.outcome().text) <= stream.TEXT_CAP + 100
