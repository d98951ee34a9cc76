"""Drive the real interactive Codex TUI in a pseudo-terminal, as a user types ``$cc:`` commands.

``CodexTui`` starts ``codex`` (no ``exec``) under :mod:`pexpect` with a fixed terminal size and
feeds everything it prints into a :mod:`pyte` terminal emulator, so a test reads the screen the
user reads: ``wait_for`` polls the visible screen with a bounded timeout and fails with the whole
screen in its message (``transcript()`` adds the lines that scrolled away); ``send`` presses keys
(``Key``), ``submit`` types a prompt as a user does, ``expanded`` opens the transcript view (Ctrl-T)
where each command's whole output shows.

How the TUI is started (Codex 0.169.0 and 0.171.0 behave the same):

- The provider's ``base_url``, the model and the sandbox's writable roots come as ``-c``
  overrides, so one installed ``CODEX_HOME`` serves every fake; ``-c`` also keeps Codex in embedded
  mode (a start-up warning says so). Without one, the TUI starts a shared background app server
  (``codex app-server --managed-daemon``, copied into ``$CODEX_HOME/packages``) that outlives it.
- The model is ``gpt-6-sol``: with the exec tests' ``gpt-5.5`` the TUI first shows a "Meet
  GPT-6 Sol" migration screen. It offers multi-agent v2 (``collaboration`` namespace) and sends
  a thread-title request beside each turn (``title_reply``).
- ``projects."<cwd>".trust_level = "trusted"`` in config.toml skips the "Trust this folder?"
  screen (the answer a user gives once per folder).
- ``$CCPLUGIN_TUI_SCREENS=<folder>`` keeps each test's final transcript there.
- Start-up warnings sit behind "⚠ N warnings · f2 to view"; ``warnings()`` pages through them.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pexpect
import pyte

from ccplugin.testing import reply
from ccplugin.testing.scenario import Block, Rule
from support import FakeResponses, exec_command
from support.codex_env import PROVIDER_ID

TUI_MODEL = "gpt-6-sol"
COLUMNS, LINES = 160, 50
READY = re.compile(r"\? for shortcuts")
TRANSCRIPT = re.compile(r"^✓ • \d", re.MULTILINE)  # a finished command's footer, only in the transcript view
POPUP = "enter insert · esc close"
WARNINGS = re.compile(r"⚠ (\d+) warnings? · f2 to view")
WARNING_PAGE = re.compile(r"Warnings · (\d+) of (\d+)")
HISTORY_LINES = 4000
SCREENS_ENV = "CCPLUGIN_TUI_SCREENS"
TITLE_REQUEST = "Generate a concise, single-line task title"
NETWORK_JUSTIFICATION = "Claude Code needs network access to reach its API"
MAX_YIELD_MS = 30000
APPROVAL = "Would you like to run the following command?"


class Key(StrEnum):
    """What a key press sends to the terminal."""

    ENTER = "\r"
    ESC = "\x1b"
    TAB = "\t"
    F2 = "\x1bOQ"
    RIGHT = "\x1b[C"
    DOWN = "\x1b[B"
    CTRL_C = "\x03"
    CTRL_T = "\x14"


@dataclass
class CodexTui:
    """One running interactive ``codex`` and the terminal it draws on."""

    child: pexpect.spawn  # type: ignore[type-arg]
    screen: pyte.HistoryScreen = field(default_factory=lambda: pyte.HistoryScreen(COLUMNS, LINES, HISTORY_LINES))
    raw: bytearray = field(default_factory=bytearray, repr=False)

    def __post_init__(self) -> None:
        self._stream = pyte.ByteStream(self.screen)

    # -- reading -----------------------------------------------------------------------------

    def pump(self, seconds: float = 0.2) -> None:
        """Feed what codex printed within ``seconds`` into the emulator."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            try:
                data = self.child.read_nonblocking(65536, timeout=max(left, 0.01))
            except pexpect.TIMEOUT:
                data = b""
            except pexpect.EOF:
                return
            self.raw += data
            self._stream.feed(data)
            if left <= 0:
                return

    def text(self) -> str:
        """The visible screen, one line per row, trailing blanks removed."""
        return "\n".join(line.rstrip() for line in self.screen.display).strip("\n")

    def transcript(self) -> str:
        """Lines that scrolled off the top, then the visible screen."""
        gone = ["".join(row[x].data for x in sorted(row)).rstrip() for row in self.screen.history.top]
        return "\n".join([*gone, self.text()])

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 30.0, *, unless: str | None = None) -> str:
        """Wait until ``pattern`` (text or regex) shows on the screen; return the match.

        Fails with the screen after ``timeout`` seconds, when codex exits, or at once when
        ``unless`` shows (a scenario's fallback answer: the expected text can no longer come).
        """
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        end = time.monotonic() + timeout
        while True:
            self.pump(0.2)
            screen = self.text()
            found = regex.search(screen)
            if found:
                return found.group(0)
            if unless is not None and unless in screen:
                raise AssertionError(f"{regex.pattern!r} never came; the screen shows {unless!r}:\n{screen}")
            if time.monotonic() > end or not self.child.isalive():
                raise AssertionError(f"{regex.pattern!r} did not show within {timeout:.0f}s:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 10.0) -> None:
        """Wait until ``text`` is no longer on the screen."""
        end = time.monotonic() + timeout
        while text in self.text():
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} still shows after {timeout:.0f}s:\n{self.text()}")
            self.pump(0.2)

    def settle(self, quiet: float = 1.0, timeout: float = 15.0) -> str:
        """Wait until the screen stops changing for ``quiet`` seconds (spinners aside)."""
        end, last, since = time.monotonic() + timeout, "", time.monotonic()
        while time.monotonic() < end:
            self.pump(0.2)
            now = _without_spinners(self.text())
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return self.text()

    # -- typing ------------------------------------------------------------------------------

    def send(self, *keys: str) -> None:
        for key in keys:
            self.child.send(key)
            self.pump(0.1)

    def submit(self, prompt: str) -> None:
        """Type ``prompt`` as a user does and press Enter.

        A leading ``$skill`` opens Codex's skill popup; Enter there inserts the skill (the popup
        closes), then the rest of the prompt is typed and Enter sends it.
        """
        skill, _, rest = prompt.partition(" ") if prompt.startswith("$") else ("", "", prompt)
        if skill:
            self.child.send(skill)
            self.wait_for(POPUP, timeout=10)
            self.send(Key.ENTER)
            self.wait_for(re.compile(re.escape(skill) + r" ?$", re.MULTILINE), timeout=10)
        if rest:
            self.child.send(rest if not skill else rest.lstrip())
            self.wait_for(rest[-30:], timeout=10)
        self.send(Key.ENTER)

    def expanded(self) -> str:
        """The transcript view (Ctrl-T), where each command's whole output shows; back with Esc."""
        self.send(Key.CTRL_T)
        self.wait_for(TRANSCRIPT, timeout=10)
        shown = self.settle(0.5)
        for _ in range(3):  # the transcript view, then "Browsing transcript", then the composer
            self.send(Key.ESC)
            if READY.search(self.settle(0.3, timeout=3)):
                return shown
        raise AssertionError(f"Esc did not bring the composer back:\n{self.text()}")

    def warnings(self, timeout: float = 10.0) -> list[str]:
        """Every start-up warning's text (f2, then → through the pages); closes the view.

        Warnings arrive after the composer: wait for the "⚠ N warnings" hint, then for the
        count to stay put.
        """
        try:
            self.wait_for(WARNINGS, timeout)
        except AssertionError:
            return []
        count = WARNINGS.search(self.settle(2.0))
        assert count is not None, self.text()
        self.send(Key.F2)
        found = []
        for index in range(1, int(count.group(1)) + 1):
            self.wait_for(f"Warnings · {index} of")
            found.append(_warning_body(self.settle(0.5)))
            self.send(Key.RIGHT)
        self.send(Key.ESC)
        return found

    def close(self) -> None:
        """Quit like a user (Ctrl-C twice), then make sure the process is gone."""
        if self.child.isalive():
            self.send(Key.CTRL_C, Key.CTRL_C)
            deadline = time.monotonic() + 10
            while self.child.isalive() and time.monotonic() < deadline:
                self.pump(0.2)
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)


def _without_spinners(text: str) -> str:
    return re.sub(r"[⠀-⣿•◦]|\d+s|\d+m \d+s", "", text)


def _warning_body(screen: str) -> str:
    """The text between the "Warnings · i of n" header and the key hints, joined into one line."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if WARNING_PAGE.search(line))
    body = []
    for line in lines[start + 1 :]:
        if "esc dismiss" in line:
            break
        body.append(line.strip())
    return " ".join(b for b in body if b)


def trust_folder(env: Mapping[str, str], cwd: Path) -> None:
    """Record ``cwd`` as trusted in ``$CODEX_HOME/config.toml``, as the "Trust this folder?" screen does.

    (A ``-c projects."<cwd>".trust_level`` override does not stop that screen.)
    """
    config = Path(env["CODEX_HOME"]) / "config.toml"
    entry = f"[projects.{json.dumps(str(cwd))}]"
    if entry not in config.read_text(encoding="utf-8"):
        with config.open("a", encoding="utf-8") as out:
            out.write(f'\n{entry}\ntrust_level = "trusted"\n')


def tui_argv(codex_bin: str, fake: FakeResponses, state_writable: bool) -> list[str]:
    """``codex`` with the overrides that point it at ``fake`` and keep its sandbox off ``/tmp``."""
    overrides = {
        f"model_providers.{PROVIDER_ID}.base_url": json.dumps(fake.base_url),
        "model": json.dumps(TUI_MODEL),
        "sandbox_workspace_write.exclude_slash_tmp": "true",
    }
    if not state_writable:
        overrides["sandbox_workspace_write.exclude_tmpdir_env_var"] = "true"
    return [codex_bin, *(arg for key, value in overrides.items() for arg in ("-c", f"{key}={value}"))]


def title_reply(title: str) -> Rule:
    """The answer to the TUI's own "Generate a concise, single-line task title" request.

    The TUI asks the model for a thread title beside the first turn (``thread_source:
    "thread_title"``, no tools); list this rule first so the turn rules never answer it.
    """
    return reply(title, prompt_contains=TITLE_REQUEST)


def escalated(cmd: str, justification: str = NETWORK_JUSTIFICATION) -> Block:
    """``exec_command`` asking to leave the sandbox, as the skills tell the model to.

    ``yield_time_ms`` is Codex's maximum (30 s): with the default 10 s a slow machine returns
    "Process running with session ID …" before Claude is done, and the scripted model, which does
    not poll with ``write_stdin``, would end the turn (Codex then kills the command).
    """
    return exec_command(
        cmd, sandbox_permissions="require_escalated", justification=justification, yield_time_ms=MAX_YIELD_MS
    )


@contextmanager
def codex_tui(
    env: Mapping[str, str], fake: FakeResponses, cwd: Path, *, state_writable: bool = True, timeout: float = 30.0
) -> Iterator[CodexTui]:
    """The interactive ``codex`` in ``cwd`` on ``fake``, ready for a prompt; quit on exit.

    Codex's default sandbox (workspace-write) lets commands write the cwd, ``/tmp`` and
    ``$TMPDIR``, and bubblewrap leaves empty ``.git``/``.codex``/``.agents``/``.aws`` mount points in
    each writable root: in ``/tmp`` such a ``.git`` makes every folder under it look like one git
    work tree to later tests. So ``/tmp`` is excluded, and ``state_writable`` decides whether
    ``$TMPDIR`` = the state root (``$CCPLUGIN_HOME``) is writable, as in the exec tests, or not,
    as for a user whose state lives under ``~/.local/state``.
    """
    trust_folder(env, cwd)
    argv = tui_argv(env["CCPLUGIN_CODEX_BIN"], fake, state_writable)
    state = Path(env["CCPLUGIN_HOME"])
    state.mkdir(parents=True, exist_ok=True)
    term = dict(env) | {"TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES), "TMPDIR": str(state)}
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(cwd), env=term, dimensions=(LINES, COLUMNS))
    tui = CodexTui(child)
    try:
        tui.wait_for(READY, timeout)
        yield tui
    finally:
        _record(tui)
        tui.close()


def _record(tui: CodexTui) -> None:
    """With ``$CCPLUGIN_TUI_SCREENS`` set, keep what the user saw (``<folder>/<test>.txt``)."""
    folder = os.environ.get(SCREENS_ENV)
    if folder:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.environ.get("PYTEST_CURRENT_TEST", "tui").split(" ")[0])
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{name}.txt").write_text(tui.transcript() + "\n", encoding="utf-8")
