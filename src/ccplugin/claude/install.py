"""Install the Claude Code CLI for ``ccplugin setup --install-claude`` (``$cc:setup`` offers it).

Two routes, each one command at the process boundary:

- ``pip`` (the default, no Node.js needed): the ``claude-agent-sdk`` wheel, which bundles the CLI
  as a native binary, into ccplugin's own interpreter (``sys.executable -m pip install``) — the
  ``ccplugin[claude]`` extra, where :func:`ccplugin.claude.env.find_binary` looks last;
- ``npm``: ``npm install -g @anthropic-ai/claude-code`` with the ``npm`` found on PATH (Claude Code
  needs Node.js 22 or newer).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ccplugin import proc
from ccplugin.errors import CCError

SDK_REQUIREMENT = "claude-agent-sdk>=0.2.189"  # as the `claude` extra in pyproject.toml
NPM_PACKAGE = "@anthropic-ai/claude-code"
TIMEOUT = 900.0  # seconds for the whole install


class Route(StrEnum):
    PIP = "pip"
    NPM = "npm"


@dataclass(frozen=True)
class Attempt:
    argv: tuple[str, ...]
    ok: bool
    detail: str  # the last line the installer printed (its error when it failed)

    @property
    def shown(self) -> str:
        return shlex.join(self.argv)


def command(route: Route, env: Mapping[str, str]) -> list[str]:
    """The install command for ``route``."""
    if route is Route.PIP:
        return [sys.executable, "-m", "pip", "install", SDK_REQUIREMENT]
    npm = proc.which("npm", env)
    if npm is None:
        raise CCError(
            "`npm` not found, so Claude Code cannot be installed with npm",
            "install Node.js 22+ with npm, or use the route without Node: `ccplugin setup --install-claude pip`",
        )
    return [npm, "install", "-g", NPM_PACKAGE]


def run(route: Route, env: Mapping[str, str]) -> Attempt:
    """Run the install command of ``route`` (its output is captured, never streamed)."""
    argv = command(route, env)
    try:
        done = proc.run(argv, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Attempt(tuple(argv), False, f"did not finish within {TIMEOUT:.0f}s")
    except CCError as e:
        return Attempt(tuple(argv), False, e.message)
    lines = [line.strip() for line in (done.err + "\n" + done.out).splitlines() if line.strip()]
    failed = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "")
    if done.returncode != 0:
        return Attempt(tuple(argv), False, f"exit {done.returncode}: {failed}" if failed else f"exit {done.returncode}")
    return Attempt(tuple(argv), True, lines[-1] if lines else "")


def fix(route: Route) -> str:
    """What to run by hand when the install failed."""
    other = Route.NPM if route is Route.PIP else Route.PIP
    by_hand = shlex.join(command(Route.PIP, {})) if route is Route.PIP else f"npm install -g {NPM_PACKAGE}"
    return f"run `{by_hand}` yourself, or try the other route: `ccplugin setup --install-claude {other}`"
