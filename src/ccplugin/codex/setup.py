"""``ccplugin setup`` (``$cc:setup``): check everything the Codex plugin needs, repair hook trust,
and switch the stop-time review gate for the current workspace.

Each check says what it found and, when it fails, the exact command that fixes it. Required checks
decide ``ready``; the sandbox-network check (outside Codex) and the review gate are information.
Hook trust is the one thing repaired here: Codex silently skips hooks whose hash is not trusted,
and every plugin update changes the hash.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ccplugin import paths, proc
from ccplugin.claude import env as claude_env
from ccplugin.claude import install as claude_install
from ccplugin.claude import reach
from ccplugin.claude.types import ClaudeFailure
from ccplugin.codex import features, install, state
from ccplugin.codex.appserver import AppServer, HookTrust
from ccplugin.codex.codexcli import Codex
from ccplugin.codex.layout import INSTALL_CODEX_FIX, PLUGIN_ID, Layout
from ccplugin.errors import CCError

CLAUDE_FIX = (
    "`ccplugin setup --install-claude` installs it into ccplugin's Python (the claude-agent-sdk wheel, no Node "
    "needed; `--install-claude npm` for npm), or by hand: `npm install -g @anthropic-ai/claude-code`; "
    "then `claude auth login`"
)
NETWORK_FIX = (
    "approve the escalated command when a `$cc:` skill asks, or set `network_access = true` under "
    "`[sandbox_workspace_write]` in ~/.codex/config.toml"
)
_AUTH_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


@dataclass(frozen=True)
class SetupReport:
    workspace: str
    checks: tuple[Check, ...]
    actions: tuple[str, ...]
    gate: bool

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks if c.required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "workspace": self.workspace,
            "review_gate": self.gate,
            "checks": [asdict(c) for c in self.checks],
            "actions": list(self.actions),
            "next_steps": [f"{c.name}: {c.fix}" for c in self.checks if not c.ok and c.fix],
        }


def setup(
    env: Mapping[str, str], cwd: str, gate: bool | None = None, install_claude: claude_install.Route | None = None
) -> SetupReport:
    """Run every check (repairing hook trust), after switching the gate and installing Claude when asked."""
    root = Path(paths.state_root(env))
    ws = paths.workspace(cwd)
    actions: list[str] = []
    if gate is not None and state.set_gate(root, ws, gate):
        actions.append(f"{'enabled' if gate else 'disabled'} the stop-time review gate for {ws}")
    installed = install_claude_if_missing(env, install_claude, actions) if install_claude else []
    checks = [*installed, *claude_checks(env), *codex_checks(env, cwd, actions), network_check(env), store_check(root)]
    gate_now = state.gate_on(root, ws)
    checks.append(
        Check(
            "review gate",
            gate_now,
            "on: Claude reviews each Codex turn's edits before Codex stops" if gate_now else "off",
            "" if gate_now else "optional: `$cc:setup --enable-review-gate` (or `ccplugin setup --enable-review-gate`)",
            required=False,
        )
    )
    return SetupReport(ws, tuple(checks), tuple(actions), gate_now)


# -- Claude ---------------------------------------------------------------------------------


def install_claude_if_missing(env: Mapping[str, str], route: claude_install.Route, actions: list[str]) -> list[Check]:
    """Install Claude Code by ``route`` unless a `claude` is already found; a failed install is a check."""
    with contextlib.suppress(ClaudeFailure):
        found = claude_env.locate(env)
        actions.append(f"Claude Code is already installed ({found.path}, from {found.source}); installed nothing")
        return []
    try:
        attempt = claude_install.run(route, env)
    except CCError as e:  # no npm
        return [Check("install claude", False, e.message, e.fix)]
    if not attempt.ok:
        detail = f"`{attempt.shown}` failed ({attempt.detail})"
        return [Check("install claude", False, detail, claude_install.fix(route))]
    importlib.invalidate_caches()  # the wheel just landed in this interpreter's site-packages
    actions.append(f"installed Claude Code: `{attempt.shown}`")
    return []


def claude_checks(env: Mapping[str, str]) -> list[Check]:
    try:
        found = claude_env.locate(env)
    except ClaudeFailure as e:
        return [Check("claude", False, e.message, CLAUDE_FIX), Check("auth", False, "skipped: no claude", CLAUDE_FIX)]
    version = _output([found.path, "--version"], env)
    if version is None:
        return [Check("claude", False, f"`{found.path} --version` failed", CLAUDE_FIX)]
    return [Check("claude", True, f"{version} at {found.path} (from {found.source})"), auth_check(found.path, env)]


def _login_command(binary: str, env: Mapping[str, str]) -> str:
    """``claude auth login``, naming the binary by path when `claude` on PATH is another one (or none)."""
    on_path = proc.which("claude", env)
    same = on_path is not None and Path(on_path).resolve() == Path(binary).resolve()
    return f"{'claude' if same else shlex.quote(binary)} auth login"


def auth_check(binary: str, env: Mapping[str, str]) -> Check:
    given = [name for name in _AUTH_VARS if env.get(name)]
    if given:
        return Check("auth", True, f"credentials from ${given[0]}")
    text = _output([binary, "auth", "status"], env, ok_codes=(0, 1)) or ""
    try:
        status = json.loads(text)
    except ValueError:
        status = {}
    if isinstance(status, dict) and status.get("loggedIn"):
        return Check("auth", True, f"logged in ({status.get('authMethod', 'unknown method')})")
    return Check("auth", False, "Claude Code is not logged in", f"run `{_login_command(binary, env)}`")


def _output(argv: list[str], env: Mapping[str, str], ok_codes: tuple[int, ...] = (0,)) -> str | None:
    try:
        done = proc.run(argv, env=env, timeout=20)
    except (CCError, subprocess.TimeoutExpired, OSError):
        return None
    return done.out.strip() if done.returncode in ok_codes else None


# -- Codex ----------------------------------------------------------------------------------


def codex_checks(env: Mapping[str, str], cwd: str, actions: list[str]) -> list[Check]:
    try:
        codex = Codex.find(env)
        version = codex.version()
    except CCError as e:
        skipped = "skipped: no codex"
        return [
            Check("codex", False, e.message, INSTALL_CODEX_FIX),
            Check("plugin", False, skipped, "install Codex, then run `ccplugin install`"),
            Check("hooks", False, skipped, "install Codex, then run `ccplugin install`"),
        ]
    layout = Layout.of(env)
    checks = [Check("codex", True, f"{version} ({codex.binary})"), plugin_check(codex, layout)]
    checks.append(features_check(codex, layout))
    checks.append(hooks_check(codex, cwd, actions))
    return checks


def plugin_check(codex: Codex, layout: Layout) -> Check:
    fix = "run `ccplugin install`"
    try:
        status = codex.plugin_status()
    except CCError as e:
        return Check("plugin", False, e.message, fix)
    if status is None or "not installed" in status or "installed" not in status:
        return Check("plugin", False, f"`{PLUGIN_ID}` is not installed in Codex ({status or 'not listed'})", fix)
    if "disabled" in status:
        return Check("plugin", False, f"`{PLUGIN_ID}` is installed but disabled", fix)
    if not layout.launcher.exists():
        return Check("plugin", False, f"the launcher {layout.launcher} is missing", fix)
    python = _launcher_python(install.read_record(layout))
    if python and not Path(python).exists():
        return Check("plugin", False, f"the launcher's Python {python} is gone", fix)
    return Check("plugin", True, f"`{PLUGIN_ID}` {status} (launcher {layout.launcher})")


def _launcher_python(record: Mapping[str, Any]) -> str | None:
    value = record.get("python")
    return value if isinstance(value, str) else None


def features_check(codex: Codex, layout: Layout) -> Check:
    try:
        missing = features.wanted(codex.features())
        off = features.turned_off(layout.config, missing)
    except CCError as e:
        return Check("features", False, e.message, "check `codex features list` works")
    if off:  # the user's choice: install turns it on only when told to
        error = install.hooks_off_error(layout, off)
        return Check("features", False, error.message, error.fix)
    if missing:
        names = ", ".join(missing)
        return Check("features", False, f"[features] {names} is off", "run `ccplugin install` (it turns it on)")
    return Check("features", True, "hooks are enabled")


def hooks_check(codex: Codex, cwd: str, actions: list[str]) -> Check:
    fix = "run `ccplugin setup` outside Codex's sandbox (or approve its escalation), or `ccplugin install`"
    try:
        with AppServer(codex, cwd) as server:
            ours = [h for h in server.hooks(cwd) if h.plugin_id == PLUGIN_ID]
            stale = [h for h in ours if h.trust != HookTrust.TRUSTED]
            if ours and stale:
                server.trust(stale)
                actions.append(f"trusted {len(stale)} plugin hook(s) ({', '.join(h.event for h in stale)})")
                stale = [h for h in server.hooks(cwd) if h.plugin_id == PLUGIN_ID and h.trust != HookTrust.TRUSTED]
    except CCError as e:
        return Check("hooks", False, e.message, fix)
    if not ours:
        return Check("hooks", False, "Codex lists none of the plugin's hooks", "run `ccplugin install`")
    if stale:
        shown = ", ".join(f"{h.event} ({h.trust})" for h in stale)
        return Check("hooks", False, f"not trusted: {shown}", fix)
    return Check("hooks", True, f"{len(ours)} hooks trusted ({', '.join(h.event for h in ours)})")


# -- sandbox --------------------------------------------------------------------------------


def network_check(env: Mapping[str, str]) -> Check:
    if reach.marked_offline(env):
        where = reach.endpoint(env)
        why = reach.unreachable(where)
        if why is None:  # an approved escalation: unsandboxed, and Codex leaves the variable set
            detail = f"Codex marks this sandbox offline, but this command has the network ({where} answered)"
            return Check("sandbox network", True, detail)
        detail = f"this command runs in a Codex sandbox without network ({why}), so Claude cannot reach its API"
        return Check("sandbox network", False, detail, NETWORK_FIX)
    if env.get("CODEX_SESSION_ID"):
        return Check("sandbox network", True, "commands Codex runs here can reach the network")
    config = install.read_config(Layout.of(env).config)
    if config.get("sandbox_workspace_write", {}).get("network_access") is True:
        return Check("sandbox network", True, "[sandbox_workspace_write] network_access = true", required=False)
    detail = "Codex's sandbox blocks the network by default; `$cc:` skills ask for escalation to reach Claude"
    return Check("sandbox network", True, detail, required=False)


def store_check(root: Path) -> Check:
    """Jobs are written under the state root; inside Codex's sandbox it may be read-only."""
    e = install.write_error(root)
    if e is not None:
        fix = (
            f"approve the escalated command when a `$cc:` skill asks, or add {root} to `writable_roots` under "
            "`[sandbox_workspace_write]` in ~/.codex/config.toml, or point `CCPLUGIN_HOME` at a writable folder"
        )
        return Check("job store", False, f"{root} is not writable here ({e.strerror or e})", fix)
    return Check("job store", True, f"{root} is writable")


# -- rendering ------------------------------------------------------------------------------


def render(report: SetupReport) -> str:
    lines = ["# Claude Code Setup", "", f"Status: {'ready' if report.ready else 'needs attention'}", "", "Checks:"]
    for c in report.checks:
        mark = "ok" if c.ok else ("FAIL" if c.required else "note")
        lines.append(f"- {c.name}: {mark} — {c.detail}")
    if report.actions:
        lines += ["", "Actions taken:", *(f"- {a}" for a in report.actions)]
    steps = [f"- {c.name}: {c.fix}" for c in report.checks if not c.ok and c.fix]
    if steps:
        lines += ["", "Next steps:", *steps]
    return "\n".join(lines)
