"""The one subprocess chokepoint: argv lists, no shell, process identity, group kill."""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ccplugin.errors import CCError


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "surrogateescape")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


@dataclass(frozen=True)
class Identity:
    """A process as pid plus its kernel start time, so a recycled pid never matches."""

    pid: int
    start: int

    def alive(self) -> bool:
        return start_time(self.pid) == self.start


def which(name: str, env: Mapping[str, str] | None = None) -> str | None:
    path = (env if env is not None else os.environ).get("PATH")
    return shutil.which(name, path=path)


def run(
    argv: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> Completed:
    """Run to completion and capture output; a missing executable is a CCError."""
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as e:
        raise CCError(f"executable `{argv[0]}` not found", "install it or put it on PATH") from e
    return Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)


def call(argv: Sequence[str], *, cwd: str | Path | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run to completion with stdout and stderr passed straight through (stdin closed); the exit code."""
    try:
        return subprocess.run(
            list(argv), cwd=cwd, env=dict(env) if env is not None else None, stdin=subprocess.DEVNULL, check=False
        ).returncode
    except FileNotFoundError as e:
        raise CCError(f"executable `{argv[0]}` not found", "install it or put it on PATH") from e


def spawn(
    argv: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so its whole group can be signalled).

    ``stdin`` stays closed unless a caller that speaks a protocol over it (``codex
    app-server``) asks for ``subprocess.PIPE``.
    """
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    except FileNotFoundError as e:
        raise CCError(f"executable `{argv[0]}` not found", "install it or put it on PATH") from e


def start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` in clock ticks (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    # fields[0] is field 3 (state); a zombie has finished its work
    if not fields or fields[0] == "Z":
        return None
    return int(fields[19])


def pid_namespace() -> int | None:
    """The inode of this process's PID namespace: a pid names a process only inside it.

    Codex runs each sandboxed command in a PID namespace of its own (bubblewrap ``--unshare-pid``),
    where a worker's recorded pid is absent or names another process.
    """
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None


def owned(pid: int) -> bool:
    """Whether ``pid`` runs as this user: only then may a recorded pid be signalled."""
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.geteuid()
    except OSError:
        return False


def identity(pid: int) -> Identity | None:
    start = start_time(pid)
    return Identity(pid, start) if start is not None else None


def _live_stats() -> Iterator[tuple[int, list[str]]]:
    """``(pid, fields from field 3 on)`` of every process in /proc that is not a zombie."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z":
            yield int(stat.parent.name), fields


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies awaiting a reaper do not count)."""
    return any(fields[2] == str(pgid) for _pid, fields in _live_stats())


def descendant_groups(pid: int) -> set[int]:
    """The process groups of ``pid``'s live descendants, other than ``pid``'s own group.

    A worker starts claude in a session of its own; once the worker is SIGKILLed, nothing would
    stop that group (and the parent link that finds it is gone), so it is looked up before.
    """
    children: dict[int, list[tuple[int, int]]] = {}
    for child, fields in _live_stats():
        children.setdefault(int(fields[1]), []).append((child, int(fields[2])))
    groups, todo = set(), [pid]
    while todo:
        for child, pgid in children.get(todo.pop(), []):
            groups.add(pgid)
            todo.append(child)
    return groups - {pid}


def kill_groups(pgids: Iterable[int], sig: signal.Signals) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def stop(ident: Identity, grace: float = 5.0, *, group: bool = True) -> bool:
    """SIGTERM the process group led by ``ident`` (the process alone with ``group=False``), then
    SIGKILL it after ``grace``, together with the groups its processes started (claude's).

    Signals nothing unless the pid still has the stored start time. Returns True when it is
    gone (or was never ours to kill).
    """
    if not ident.alive():
        return True

    def gone() -> bool:
        return not _group_alive(ident.pid) if group else not ident.alive()

    send = os.killpg if group else os.kill
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        if sig is signal.SIGKILL:
            kill_groups(descendant_groups(ident.pid), sig)  # before their parent link goes
        try:
            send(ident.pid, sig)
        except ProcessLookupError:
            return True
        if _until(gone, wait):
            return True
    return gone()


def _until(done: Callable[[], bool], seconds: float) -> bool:
    """Whether ``done()`` turns true within ``seconds`` (looked at every 20 ms)."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def exited(pid: int) -> bool:
    """Has ``pid`` (a child of this process) exited? Leaves it unreaped, so its pid names its group still."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def reap(child: subprocess.Popen[bytes], grace: float) -> int:
    """Stop ``child``'s group if the child still runs (:func:`stop`), kill whatever it left in its
    group, then reap it and close its pipes; its exit code."""
    ident = None if exited(child.pid) else identity(child.pid)
    if ident is not None:
        stop(ident, grace)
    kill_groups([child.pid], signal.SIGKILL)  # the leader is not reaped yet: its pid still names the group
    code = child.wait()
    for pipe in (child.stdin, child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()
    return code


# ---- supervision: one loop passes a child's output on until it ends, times out, stalls or is cancelled

Ended = Literal["eof", "timeout", "cancelled", "stalled"]
Sink = Callable[[bytes], None]
POLL = 0.1  # how often the deadline, the stall and ``cancel`` are looked at
DRAIN = 1.0  # after the child exits, how long what it started may hold its pipes open
CHUNK = 64 * 1024


def watch(
    child: subprocess.Popen[bytes],
    out: Sink,
    err: Sink,
    *,
    deadline: float | None = None,
    stall: float | None = None,
    cancel: Callable[[], bool] | None = None,
    drain: float = DRAIN,
) -> Ended:
    """Pass the child's stdout and stderr to ``out`` and ``err`` until it has exited and its pipes are
    closed (``eof``; ``drain`` seconds after its exit at most), the monotonic ``deadline`` passes
    (``timeout``), no output came for ``stall`` seconds (``stalled``) or ``cancel()`` says so
    (``cancelled``). The child is left running and unreaped: :func:`reap` it."""
    assert child.stdout is not None and child.stderr is not None
    last = time.monotonic()
    exited_at: float | None = None
    next_look = 0.0
    with selectors.DefaultSelector() as sel:
        sel.register(child.stdout, selectors.EVENT_READ, out)
        sel.register(child.stderr, selectors.EVENT_READ, err)
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return "timeout"
            if cancel is not None and now >= next_look:
                next_look = now + POLL
                if cancel():
                    return "cancelled"
            if exited_at is None and exited(child.pid):
                exited_at = now
            if exited_at is not None and (not sel.get_map() or now - exited_at > drain):
                return "eof"
            if stall is not None and now - last >= stall:
                return "stalled"
            if _pass_on(sel, POLL if deadline is None else min(POLL, deadline - now)):
                last = time.monotonic()


def _pass_on(sel: selectors.BaseSelector, wait: float) -> bool:
    """Hand on what is ready, waiting up to ``wait``; True when anything came."""
    if not sel.get_map():  # both pipes closed: only the exit is awaited
        time.sleep(min(wait, 0.02))
        return False
    got = False
    for key, _ in sel.select(wait):
        data = os.read(key.fd, CHUNK)
        if not data:
            sel.unregister(key.fileobj)
            continue
        key.data(data)
        got = True
    return got


@contextlib.contextmanager
def on_sigterm(handler: Callable[[], None]) -> Iterator[None]:
    """While inside: SIGTERM (a CI cancel, `kill`, a job cancel) calls ``handler``; only the main
    thread can take signals, so elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: handler())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
