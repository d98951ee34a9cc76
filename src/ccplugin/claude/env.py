"""The environment `claude` runs in, where its binary is, and secret redaction.

Claude keeps what it needs to authenticate and reach its API (``ANTHROPIC_*``, ``CLAUDE_*``,
``HOME``, ``PATH``, proxies, locale, ...). Everything that looks like somebody else's secret
(``GITHUB_TOKEN``, ``OPENAI_API_KEY``, ``AWS_*``, ``*_TOKEN``, ``*_SECRET*``, ``*PASSWORD*``,
``*API_KEY``, ...) is dropped: Claude can run commands, and a review must not be able to read
or leak the CI's other credentials. Cloud credentials stay when Claude is told to use that
cloud (``CLAUDE_CODE_USE_BEDROCK`` keeps ``AWS_*``, ``CLAUDE_CODE_USE_VERTEX`` keeps Google's).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ccplugin import proc, redact
from ccplugin.claude.types import ClaudeFailure, FailureKind

BIN_VAR = "CCPLUGIN_CLAUDE_BIN"
INSTALL_FIX = "install it: `npm install -g @anthropic-ai/claude-code && claude auth login`"

_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY|(^|_)KEY$"
    r"|^AWS_|^AZURE_CLIENT|^GOOGLE_APPLICATION",
    re.IGNORECASE,
)
_CLAUDE_OWN = ("ANTHROPIC_", "CLAUDE_")
_BEDROCK = ("AWS_",)
_VERTEX = ("GOOGLE_", "GCLOUD_", "CLOUDSDK_", "CLOUD_ML_")
# set by a surrounding Claude Code session; the child is a separate run, not a nested one
_DROP = frozenset({"CLAUDECODE"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def is_secret_name(name: str) -> bool:
    """True for a variable name that looks like it holds a credential."""
    return bool(_SECRET_NAME.search(name))


def claude_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` minus every secret Claude does not need (see the module docstring)."""
    keep: tuple[str, ...] = _CLAUDE_OWN
    if _flag(base, "CLAUDE_CODE_USE_BEDROCK"):
        keep += _BEDROCK
    if _flag(base, "CLAUDE_CODE_USE_VERTEX"):
        keep += _VERTEX
    return {k: v for k, v in base.items() if k not in _DROP and (k.upper().startswith(keep) or not is_secret_name(k))}


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
    from ccplugin.claude import reach  # socket and urllib.parse: only on the way to a Claude run

    why = reach.sandbox_blocks(env)
    if why is not None:
        raise ClaudeFailure(
            FailureKind.NO_NETWORK,
            f"Claude Code needs the network, but this Codex sandbox has none ({why})",
            "approve the escalated command, or set `[sandbox_workspace_write] network_access = "
            "true` in ~/.codex/config.toml",
        )


class Redactor:
    """Masks the values of our secret variables, then secret-shaped text (``ccplugin.redact``).

    The values catch what no pattern can (an opaque key, a proxy password); the patterns catch
    keys that never were in our environment.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is masked whole
        self._values = sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Redactor:
        return cls(v for k, v in env.items() if is_secret_name(k))

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, redact.MASK)
        return redact.redact(text)
