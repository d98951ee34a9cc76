"""The environment `claude` runs in, where its binary is, and secret redaction.

Claude keeps what it needs to authenticate and reach its API (``ANTHROPIC_*``, ``CLAUDE_*``,
``HOME``, ``PATH``, proxies, locale, ...). Everything that looks like somebody else's secret
(``GITHUB_TOKEN``, ``OPENAI_API_KEY``, ``AWS_*``, ``*_TOKEN``, ``*_SECRET*``, ``*PASSWORD*``,
``*API_KEY``, ...) is dropped, and so is any variable holding a URL with a password
(``DATABASE_URL=postgres://app:pw@db/app``) unless it is a proxy Claude needs: Claude can run
commands, and a review must not be able to read or leak the CI's other credentials. Cloud
credentials stay when Claude is told to use that cloud (``CLAUDE_CODE_USE_BEDROCK`` keeps
``AWS_*``, ``CLAUDE_CODE_USE_VERTEX`` keeps Google's). Code we did not write (a pull request's
tests) gets :func:`secretless_env`: no secret at all, Claude's own included.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ccplugin import proc, redact
from ccplugin.claude import reach
from ccplugin.claude.types import ClaudeFailure, FailureKind
from ccplugin.redact import is_secret_name as is_secret_name

BIN_VAR = "CCPLUGIN_CLAUDE_BIN"
INSTALL_FIX = "install it: `npm install -g @anthropic-ai/claude-code && claude auth login`"

_CLAUDE_OWN = ("ANTHROPIC_", "CLAUDE_")
_BEDROCK = ("AWS_",)
_VERTEX = ("GOOGLE_", "GCLOUD_", "CLOUDSDK_", "CLOUD_ML_")
# set by a surrounding Claude Code session; the child is a separate run, not a nested one
_DROP = frozenset({"CLAUDECODE"})
# how Claude reaches its API: kept even with a password in the URL (which is masked in all output)
_PROXIES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def claude_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` minus every secret Claude does not need (see the module docstring)."""
    keep: tuple[str, ...] = _CLAUDE_OWN
    if _flag(base, "CLAUDE_CODE_USE_BEDROCK"):
        keep += _BEDROCK
    if _flag(base, "CLAUDE_CODE_USE_VERTEX"):
        keep += _VERTEX
    return {k: v for k, v in base.items() if k not in _DROP and (k.upper().startswith(keep) or not _secret(k, v))}


def secretless_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without any secret, Claude's own included: for running code we did not write (a PR's tests)."""
    return {k: v for k, v in base.items() if k not in _DROP and not _secret(k, v) and not _has_password(v)}


def _secret(name: str, value: str) -> bool:
    if is_secret_name(name):
        return True
    return name.upper() not in _PROXIES and _has_password(value)


def _has_password(value: str) -> bool:
    return bool(redact.url_passwords(value))


def billed_per_token(env: Mapping[str, str]) -> bool:
    """True when claude will use an API key (``ANTHROPIC_API_KEY``, ``ANTHROPIC_AUTH_TOKEN``) or a cloud (Bedrock,
    Vertex), each billed per token: the cost claude reports is then a price paid. False on a subscription login
    (``claude auth login``, ``CLAUDE_CODE_OAUTH_TOKEN``): claude prints a cost at API prices nobody pays."""
    keys = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
    clouds = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX")
    return any(env.get(k, "").strip() for k in keys) or any(_flag(env, c) for c in clouds)


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


class Source(StrEnum):
    """Where the `claude` that runs was found."""

    OVERRIDE = f"${BIN_VAR}"
    PATH = "PATH"
    SDK = "the claude-agent-sdk wheel"


@dataclass(frozen=True)
class Located:
    path: str
    source: Source


def find_binary(env: Mapping[str, str]) -> str:
    """``$CCPLUGIN_CLAUDE_BIN``, else ``claude`` on PATH, else claude-agent-sdk's bundled CLI."""
    return locate(env).path


def locate(env: Mapping[str, str]) -> Located:
    """:func:`find_binary`, saying which of the three places it came from."""
    override = env.get(BIN_VAR, "").strip()
    if override:
        return Located(_checked_override(override, env), Source.OVERRIDE)
    found = proc.which("claude", env)
    if found:
        return Located(found, Source.PATH)
    bundled = sdk_bundled_binary()
    if bundled:
        return Located(bundled, Source.SDK)
    raise ClaudeFailure(FailureKind.MISSING, "Claude Code CLI `claude` not found", INSTALL_FIX)


def _checked_override(value: str, env: Mapping[str, str]) -> str:
    path = proc.which(value, env) if os.sep not in value else value
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return os.path.abspath(path)
    raise ClaudeFailure(
        FailureKind.MISSING,
        f"{BIN_VAR}={value} is not an executable file",
        f"point {BIN_VAR} at the `claude` binary or unset it",
    )


def sdk_bundled_binary() -> str | None:
    """The CLI shipped inside the ``claude-agent-sdk`` wheel, found without importing it."""
    try:
        spec = importlib.util.find_spec("claude_agent_sdk")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for name in ("claude", "claude.exe"):
            candidate = Path(root) / "_bundled" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def check_sandbox_network(env: Mapping[str, str]) -> None:
    """Fail fast inside a Codex sandbox without network, where Claude could only time out.

    Decided by what this process can do (:mod:`ccplugin.claude.reach`), not by Codex's variable
    alone: an approved escalated command has the network and still carries the variable.
    """
    why = reach.sandbox_blocks(env)
    if why is not None:
        raise ClaudeFailure(
            FailureKind.NO_NETWORK,
            f"Claude Code needs the network, but this Codex sandbox has none ({why})",
            "approve the escalated command, or set `[sandbox_workspace_write] network_access = "
            "true` in ~/.codex/config.toml",
        )


class Redactor:
    """The process's one redactor (``ccplugin.redact``), told the secrets of ``values`` first.

    The values catch what no pattern can (an opaque key, a proxy password); they are masked in
    every form :func:`ccplugin.redact.forms` predicts, in everything this process redacts from
    now on (job log and columns, cache, reports, comments), not only through this object.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        redact.remember(values)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Redactor:
        """For the ORIGINAL environment (before :func:`claude_env`): its secrets are what must not leak."""
        return cls(redact.secret_values(env))

    def __call__(self, text: str) -> str:
        return redact.redact(text)
