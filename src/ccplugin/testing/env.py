"""The environment that keeps a real ``claude`` offline, pointed at a fake API, out of ``$HOME``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from ccplugin.claude.env import BIN_VAR as CLAUDE_BIN_ENV
from ccplugin.claude.env import is_secret_name
from ccplugin.errors import CCError

TOOLS_BIN = Path("tools", "node_modules", ".bin")
TOOLS_CLAUDE = TOOLS_BIN / "claude"

# Inherited variables that could point claude at a real account, a real home, or a proxy;
# credentials of any kind go too (``is_secret_name``).
_DROP_PREFIXES = (
    "ANTHROPIC_",
    "CLAUDE",  # CLAUDE_*, CLAUDECODE
    "OPENAI_",
    "CODEX_",
    "CCPLUGIN_",
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "VERTEX_",
    "XDG_",
)
_DROP_NAMES = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "GIT_DIR", "GIT_WORK_TREE"}


class _HasUrl(Protocol):
    @property
    def url(self) -> str: ...


def clean_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without credentials, proxies and Claude/Codex settings."""
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not _dropped(k)}


def _dropped(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(_DROP_PREFIXES) or upper in _DROP_NAMES or is_secret_name(name)


def offline_claude_env(
    fake: _HasUrl | str,
    tmp_dir: str | Path,
    claude_bin: str | None = None,
    retries: int = 0,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for running the real ``claude`` against ``fake`` with no other traffic.

    Besides the variables that point claude at ``fake``, it sets ``HTTP(S)_PROXY`` to a closed
    loopback port with ``NO_PROXY=127.0.0.1,localhost``, so a stray request from claude or
    anything it starts fails fast instead of leaving the machine.

    ``tmp_dir`` receives ``claude-config/`` (CLAUDE_CONFIG_DIR), ``home/`` (HOME) and
    ``state/`` (CCPLUGIN_HOME). ``claude_bin`` (default :func:`find_claude_bin`) has its folder
    put first on PATH and is exported as ``CCPLUGIN_CLAUDE_BIN``.
    """
    dirs = offline_dirs(tmp_dir, "claude-config", "home", "state")
    env = clean_environ(base)
    env |= {
        "ANTHROPIC_BASE_URL": fake if isinstance(fake, str) else fake.url,
        "ANTHROPIC_API_KEY": "test",
        "CLAUDE_CONFIG_DIR": str(dirs["claude-config"]),
        "HOME": str(dirs["home"]),
        "CCPLUGIN_HOME": str(dirs["state"]),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_MAX_RETRIES": str(retries),
    }
    env |= dead_proxy()
    export_binary(env, CLAUDE_BIN_ENV, claude_bin or find_claude_bin())
    return env


def offline_dirs(tmp_dir: str | Path, *names: str) -> dict[str, Path]:
    """The folders ``tmp_dir/<name>`` by name, made when missing."""
    dirs = {name: Path(tmp_dir) / name for name in names}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


def export_binary(env: dict[str, str], var: str, binary: str | None) -> None:
    """Export ``binary`` (when there is one) as ``env[var]`` and put its folder first on PATH."""
    if binary:
        env[var] = binary
        prepend_path(env, Path(binary).parent)


def required_binary(env: Mapping[str, str], var: str, name: str) -> str:
    """The binary ``env[var]`` names; a CCError that says how to get one when it names none."""
    binary = env.get(var)
    if not binary:
        raise CCError(f"no {name} binary found", f"set `{var}` or `npm install` tools/")
    return binary


def prepend_path(env: dict[str, str], folder: str | Path) -> None:
    """Put ``folder`` first on ``env["PATH"]``."""
    env["PATH"] = os.pathsep.join(p for p in (str(folder), env.get("PATH")) if p)


def dead_proxy() -> dict[str, str]:
    """Send anything not bound for loopback to a closed port (claude honours NO_PROXY)."""
    dead, local = "http://127.0.0.1:9", "127.0.0.1,localhost"
    names = {"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead, "NO_PROXY": local}
    return names | {k.lower(): v for k, v in names.items()}


def find_claude_bin(env: Mapping[str, str] | None = None, cwd: str | Path | None = None) -> str | None:
    """The claude binary for offline runs.

    ``$CCPLUGIN_CLAUDE_BIN``, else ``tools/node_modules/.bin/claude`` in ``cwd`` or a parent
    of it, else the same beside this package's source checkout, else ``claude`` on PATH.
    """
    return find_tool_bin("claude", CLAUDE_BIN_ENV, env, cwd)


def find_tool_bin(
    name: str, variable: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None
) -> str | None:
    """``$variable`` (if set it must be executable), else ``tools/node_modules/.bin/<name>``
    in ``cwd`` or a parent of it, else beside this package's source checkout, else on PATH."""
    env = os.environ if env is None else env
    explicit = env.get(variable)
    if explicit:
        return explicit if _executable(Path(explicit)) else None
    start = Path(cwd) if cwd is not None else Path.cwd()
    checkout = Path(__file__).resolve().parents[3]
    for folder in (start, *start.parents, checkout):
        candidate = folder / TOOLS_BIN / name
        if _executable(candidate):
            return str(candidate)
    return shutil.which(name, path=env.get("PATH"))


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
