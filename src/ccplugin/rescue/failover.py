"""Run a command under watch, passing its output through: did it succeed, fail, or stall?

The command runs in its own process group with stdin closed. A stall is no output on stdout or
stderr for ``stall_timeout`` seconds: the whole group is then stopped (SIGTERM, SIGKILL after
``KILL_GRACE``). Whatever the command leaves running in its group when it exits is stopped too, and
so is the group when we are interrupted (^C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin import proc

KILL_GRACE = 5.0
DRAIN = 1.0  # after the command exits, how long what it started may hold its pipes open
TAIL_BYTES = 8 * 1024

Sink = Callable[[bytes], None]

# `codex exec` options that take a value (codex 0.169), so their value is not read as the prompt
_CODEX_VALUE_OPTIONS = frozenset(
    {
        *("-c", "--config", "--enable", "--disable", "-i", "--image", "-m", "--model", "--local-provider"),
        *("-p", "--profile", "-s", "--sandbox", "-C", "--cd", "--add-dir", "--thread-source"),
        *("--cyber-access-program", "--output-schema", "--color", "-o", "--output-last-message"),
    }
)
_CODEX_SUBCOMMANDS = frozenset({"resume", "fork", "review", "help"})


@dataclass(frozen=True)
class Attempt:
    """How the wrapped command ended, and the end of what it printed."""

    argv: tuple[str, ...]
    exit_code: int
    stalled: bool
    duration_s: float
    tail: str

    @property
    def path(self) -> str:
        """``succeeded``, ``failed`` or ``stalled``."""
        if self.stalled:
            return "stalled"
        return "succeeded" if self.exit_code == 0 else "failed"

    def describe(self, stall_timeout: float) -> str:
        cmd = f"`{_clip(shlex.join(self.argv), 80)}`"
        if self.stalled:
            return f"{cmd} printed nothing for {stall_timeout:g} s; its process group was stopped"
        return f"{cmd} {'succeeded' if self.exit_code == 0 else _exit_words(self.exit_code)}"

    def to_dict(self) -> dict[str, Any]:
        keys = ("exit_code", "stalled", "duration_s")
        return {"command": list(self.argv), "path": self.path, **{k: getattr(self, k) for k in keys}}


def attempt(
    argv: Sequence[str], *, cwd: str, env: Mapping[str, str], stall_timeout: float | None, out: Sink, err: Sink
) -> Attempt:
    """Run ``argv`` to its end or its stall; ``out``/``err`` receive its output as it comes."""
    started = time.monotonic()
    child = proc.spawn(argv, cwd=cwd, env=env)
    tail = _Tail()
    stalled = False
    try:
        with proc.on_sigterm(_interrupt):  # a CI cancel or `kill` stops the command's group too, as ^C does
            ended = proc.watch(child, tail.tee(out), tail.tee(err), stall=stall_timeout or None, drain=DRAIN)
        stalled = ended == "stalled"
    finally:
        code = proc.reap(child, KILL_GRACE if stalled else 0.0)
    return Attempt(tuple(argv), code, stalled, round(time.monotonic() - started, 3), tail.text())


def _interrupt() -> None:
    raise KeyboardInterrupt


class _Tail:
    """The last ``TAIL_BYTES`` of the output, for the rescue prompt."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def tee(self, sink: Sink) -> Sink:
        def both(data: bytes) -> None:
            sink(data)
            self.add(data)

        return both

    def add(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) > 2 * TAIL_BYTES:
            del self._buf[:-TAIL_BYTES]

    def text(self) -> str:
        return self._buf[-TAIL_BYTES:].decode("utf-8", "replace")


def task_of(argv: Sequence[str]) -> str | None:
    """The prompt of a ``codex exec [OPTIONS] PROMPT`` command line; None for anything else."""
    if not argv or Path(argv[0]).name != "codex":
        return None
    words = _positionals(argv[1:])
    if len(words) < 2 or words[0] not in ("exec", "e") or words[1] in _CODEX_SUBCOMMANDS:
        return None
    prompt = words[1].strip()
    return prompt if prompt and prompt != "-" else None  # `-`: codex reads stdin, which we do not have


def _positionals(args: Sequence[str]) -> list[str]:
    """The arguments that are not options or option values (everything after ``--`` is one)."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            return out + list(args[i + 1 :])
        elif arg in _CODEX_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-") or arg == "-":
            out.append(arg)
    return out


def _exit_words(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
