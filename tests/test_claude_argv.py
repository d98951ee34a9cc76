"""The `claude -p` command line per mode."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ccplugin.claude.argv import DENIED_TOOLS, READ_ONLY_TOOLS, WRITE_TOOLS, build_argv
from ccplugin.claude.types import Mode, RunSpec

READ_MODES = (Mode.REVIEW, Mode.GATE, Mode.RESCUE_READ)


def spec(mode: Mode = Mode.REVIEW, **kw: object) -> RunSpec:
    base = RunSpec(
        prompt="review the diff",
        cwd="/repo",
        mode=mode,
        model="claude-opus-4-7[1m]",
        effort="xhigh",
        max_turns=12,
        timeout=60.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def values_after(argv: list[str], flag: str) -> list[str]:
    """The elements a variadic flag takes: up to the next option or `--`."""
    start = argv.index(flag) + 1
    out = []
    for item in argv[start:]:
        if item.startswith("-"):
            break
        out.append(item)
    return out


def test_fixed_head_and_prompt_after_double_dash() -> None:
    argv = build_argv("/bin/claude", spec(prompt="--help me; -x"))
    assert argv[:5] == ["/bin/claude", "-p", "--output-format", "stream-json", "--verbose"]
    assert argv[-2:] == ["--", "--help me; -x"]
    assert argv.count("--") == 1


def test_model_effort_turns_session() -> None:
    argv = build_argv("claude", spec())
    assert values_after(argv, "--model") == ["claude-opus-4-7[1m]"]
    assert values_after(argv, "--effort") == ["xhigh"]
    assert values_after(argv, "--max-turns") == ["12"]
    assert "--no-session-persistence" in argv
    assert "--resume" not in argv
    assert "--json-schema" not in argv


def test_no_effort_flag_without_effort() -> None:
    assert "--effort" not in build_argv("claude", spec(model="claude-haiku-4-5", effort=None))


def test_persisted_session_and_resume() -> None:
    argv = build_argv("claude", spec(Mode.RESCUE_READ, persist_session=True, resume="sid-1"))
    assert "--no-session-persistence" not in argv
    assert values_after(argv, "--resume") == ["sid-1"]


def test_json_schema_is_one_compact_element() -> None:
    schema = {"type": "object", "properties": {"verdict": {"enum": ["a", "b"]}}}
    argv = build_argv("claude", spec(json_schema=schema))
    value = argv[argv.index("--json-schema") + 1]
    assert json.loads(value) == schema
    assert " " not in value


def test_json_schema_goes_without_its_dialect_key() -> None:
    # claude 2.1.197 ignores a schema declaring draft 2020-12 (see test_runner_real.py)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    argv = build_argv("claude", spec(json_schema=schema))
    assert json.loads(argv[argv.index("--json-schema") + 1]) == {"type": "object"}
    assert "$schema" in schema  # the caller's schema is not modified


@pytest.mark.parametrize("mode", READ_MODES)
def test_read_only_modes(mode: Mode) -> None:
    argv = build_argv("claude", spec(mode))
    assert values_after(argv, "--permission-mode") == ["dontAsk"]
    assert values_after(argv, "--allowedTools") == list(READ_ONLY_TOOLS)
    assert values_after(argv, "--disallowedTools") == list(DENIED_TOOLS)


def test_read_only_set() -> None:
    # no bare Read/Glob/Grep rule: it would allow every file on the machine (issue 9); Claude
    # allows them inside the working directory without a rule
    assert "Bash(git diff:*)" in READ_ONLY_TOOLS
    for rule in READ_ONLY_TOOLS:
        assert rule.startswith("Bash(git ") and rule.endswith(":*)")
    banned = {"WebSearch", "WebFetch", "Edit", "Write", "MultiEdit", "Bash", "NotebookEdit", "Read", "Glob", "Grep"}
    assert not banned & set(READ_ONLY_TOOLS)
    # the prefix rules would allow git's file-writing flags; deny rules close that
    assert "Bash(git *--output*)" in DENIED_TOOLS


def test_rescue_write_edits_with_accept_edits() -> None:
    argv = build_argv("claude", spec(Mode.RESCUE_WRITE))
    assert values_after(argv, "--permission-mode") == ["acceptEdits"]
    allowed = values_after(argv, "--allowedTools")
    assert allowed == list(WRITE_TOOLS)
    offered = values_after(argv, "--tools")[0].split(",")
    for tool in ("Read", "Edit", "Write", "Glob", "Grep", "MultiEdit"):
        assert tool in offered
        assert tool not in allowed  # a bare rule reaches every file on the machine; acceptEdits covers the cwd
    assert "Bash" not in allowed  # only rules, never every command


@pytest.mark.parametrize("mode", list(Mode))
def test_never_bypasses_permissions(mode: Mode) -> None:
    argv = build_argv("claude", spec(mode))
    assert "bypassPermissions" not in argv
    assert "--dangerously-skip-permissions" not in argv
    assert not {"WebSearch", "WebFetch"} & set(argv)


def test_extra_rules_are_appended_once() -> None:
    argv = build_argv("claude", spec(allow=("Bash(tox:*)", "Bash(git diff:*)")))
    allowed = values_after(argv, "--allowedTools")
    assert allowed == [*READ_ONLY_TOOLS, "Bash(tox:*)"]


def test_prompt_on_stdin_leaves_the_prompt_out() -> None:
    argv = build_argv("claude", spec(prompt="-secret prompt"), prompt_on_stdin=True)
    assert "--" not in argv
    assert "-secret prompt" not in argv
    assert argv[-len(DENIED_TOOLS) :] == list(DENIED_TOOLS)
