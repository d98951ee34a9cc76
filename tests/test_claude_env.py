"""claude's environment, binary discovery, sandbox check and secret redaction."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccplugin.claude import install as claude_install
from ccplugin.claude import reach
from ccplugin.claude.env import (
    Redactor,
    check_sandbox_network,
    claude_env,
    find_binary,
)
from ccplugin.claude.types import ClaudeFailure, FailureKind
from ccplugin.errors import CCError


def executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.write_text(body)
    path.chmod(0o755)
    return path


def test_claude_env_keeps_what_claude_needs() -> None:
    base = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "ANTHROPIC_API_KEY": "sk-ant-1",
        "ANTHROPIC_AUTH_TOKEN": "tok",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:1",
        "CLAUDE_CODE_OAUTH_TOKEN": "oauth",
        "CLAUDE_CONFIG_DIR": "/cfg",
        "HTTPS_PROXY": "http://proxy:3128",
        "NO_PROXY": "localhost",
        "LANG": "C.UTF-8",
        "SSH_AUTH_SOCK": "/run/ssh",
        "CODEX_SESSION_ID": "abc",
    }
    assert claude_env(base) == base


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "OPENAI_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "NPM_TOKEN",
        "MY_SERVICE_SECRET_VALUE",
        "DB_PASSWORD",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "STRIPE_KEY",
        "CLAUDECODE",
    ],
)
def test_claude_env_drops_other_secrets(name: str) -> None:
    assert name not in claude_env({"PATH": "/bin", name: "v"})


def test_cloud_credentials_stay_when_claude_uses_that_cloud() -> None:
    bedrock = {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_SECRET_ACCESS_KEY": "s", "GH_TOKEN": "t"}
    assert claude_env(bedrock) == {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_SECRET_ACCESS_KEY": "s"}
    vertex = {"CLAUDE_CODE_USE_VERTEX": "true", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}
    assert claude_env(vertex) == vertex


def test_find_binary_prefers_the_override(tmp_path: Path) -> None:
    mine = executable(tmp_path / "my-claude")
    (tmp_path / "bin").mkdir()
    on_path = executable(tmp_path / "bin" / "claude")
    env = {"CCPLUGIN_CLAUDE_BIN": str(mine), "PATH": str(on_path.parent)}
    assert find_binary(env) == str(mine)
    assert find_binary({"PATH": str(on_path.parent)}) == str(on_path)


def test_find_binary_override_by_name_uses_path(tmp_path: Path) -> None:
    mine = executable(tmp_path / "claude-2")
    assert find_binary({"CCPLUGIN_CLAUDE_BIN": "claude-2", "PATH": str(tmp_path)}) == str(mine)


def test_find_binary_bad_override_is_named(tmp_path: Path) -> None:
    not_exec = tmp_path / "claude"
    not_exec.write_text("")
    with pytest.raises(ClaudeFailure) as info:
        find_binary({"CCPLUGIN_CLAUDE_BIN": str(not_exec), "PATH": str(tmp_path)})
    assert info.value.kind is FailureKind.MISSING
    assert "CCPLUGIN_CLAUDE_BIN" in info.value.line()


@pytest.mark.usefixtures("no_bundled_claude")
def test_find_binary_missing_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ClaudeFailure) as info:
        find_binary({"PATH": str(tmp_path)})
    assert info.value.kind is FailureKind.MISSING
    assert info.value.message == "Claude Code CLI `claude` not found"
    assert "npm install -g @anthropic-ai/claude-code" in info.value.fix
    assert info.value.exit_code == 3


OFFLINE = {"CODEX_SANDBOX_NETWORK_DISABLED": "1", "NO_PROXY": "127.0.0.1,localhost"}


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_sandbox_variable_alone_does_not_fail_when_the_network_answers(listening: int) -> None:
    """An approved escalated command runs with network and still carries Codex's variable."""
    check_sandbox_network({})  # not in a network-less Codex sandbox: nothing is probed
    check_sandbox_network({"CODEX_SANDBOX_NETWORK_DISABLED": "0"})
    check_sandbox_network(OFFLINE | {"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{listening}"})
    # a refused connection is an answer: there is a network, Claude reports the endpoint itself
    check_sandbox_network(OFFLINE | {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})


@pytest.mark.skipif(subprocess.run(["unshare", "-n", "true"], check=False).returncode != 0, reason="needs unshare -n")
def test_sandbox_without_a_route_fails_fast_with_the_fix(listening: int) -> None:
    """In a network namespace of its own (no interface up) the connect fails at once: ENETUNREACH."""
    code = (
        "import sys; from ccplugin.claude.env import check_sandbox_network as c; from ccplugin.claude.types import "
        "ClaudeFailure\ntry: c({'CODEX_SANDBOX_NETWORK_DISABLED': '1', 'ANTHROPIC_BASE_URL': sys.argv[1]})\n"
        "except ClaudeFailure as e: print(e.kind.value, '|', e.message, '|', e.fix)"
    )
    url = f"http://127.0.0.1:{listening}"
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code, url], capture_output=True, text=True, check=False
    )
    kind, message, fix = done.stdout.strip().split(" | ")
    assert kind == FailureKind.NO_NETWORK.value, done.stderr
    assert message.startswith("Claude Code needs the network, but this Codex sandbox has none")
    assert f"connecting to 127.0.0.1:{listening}: Network is unreachable" in message
    assert "network_access = true" in fix and "approve the escalated command" in fix


def test_probe_goes_where_claude_goes_first() -> None:
    """The API, or the proxy Claude would use for it (``NO_PROXY`` respected); never a probe in tests."""
    assert str(reach.endpoint({})) == "api.anthropic.com:443"
    proxied = {"HTTPS_PROXY": "http://127.0.0.1:3128", "NO_PROXY": "localhost,.internal"}
    assert str(reach.endpoint(proxied)) == "127.0.0.1:3128 (the proxy)"
    assert str(reach.endpoint(proxied | {"ANTHROPIC_BASE_URL": "https://llm.corp.internal:8443/v1"})) == (
        "llm.corp.internal:8443"
    )
    assert str(reach.endpoint({"ANTHROPIC_BASE_URL": "http://127.0.0.1:8080", "HTTP_PROXY": "127.0.0.1:9"})) == (
        "127.0.0.1:9 (the proxy)"
    )
    assert str(reach.endpoint({"ANTHROPIC_BASE_URL": "http://gw", "http_proxy": "http://p:1", "NO_PROXY": "*"})) == (
        "gw:80"
    )


def test_redactor_masks_env_secrets_and_known_shapes() -> None:
    env = {
        "ANTHROPIC_API_KEY": "opaque-anthropic-value",
        "HTTPS_PROXY_PASSWORD": "plainvalue123",
        "SHORT_TOKEN": "abc",  # too short to replace safely
        "HOME": "/home/user-with-a-long-name",
    }
    redact = Redactor.from_env(env)
    text = (
        "key opaque-anthropic-value and plainvalue123 at /home/user-with-a-long-name; "
        "other ghp_abcdefghijklmnopqrstuvwxyz; abc stays"
    )
    out = redact(text)
    assert "opaque-anthropic-value" not in out
    assert "plainvalue123" not in out
    assert "ghp_abcdefghijklmnopqrstuvwxyz" not in out
    assert "/home/user-with-a-long-name" in out
    assert "abc stays" in out
    assert out.count("***") == 3


def test_real_environment_is_not_touched() -> None:
    before = dict(os.environ)
    claude_env(os.environ)
    assert dict(os.environ) == before


def test_installing_claude_with_npm_needs_npm(tmp_path: Path) -> None:
    with pytest.raises(CCError) as info:
        claude_install.command(claude_install.Route.NPM, {"PATH": str(tmp_path)})
    assert "`npm` not found" in info.value.message and "--install-claude pip" in info.value.fix
    pip = claude_install.command(claude_install.Route.PIP, {"PATH": str(tmp_path)})
    assert pip == [sys.executable, "-m", "pip", "install", "claude-agent-sdk>=0.2.189"]  # ccplugin's own Python


def test_install_claude_asks_pip_for_what_the_claude_extra_declares() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["claude"] == [claude_install.SDK_REQUIREMENT]
