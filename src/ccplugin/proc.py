"""The one subprocess chokepoint: argv lists, no shell, process identity, group kill."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def kill_group(ident: Identity, grace: float = 5.0) -> bool:
    """SIGTERM the process group led by ``ident``, then SIGKILL it after ``grace``, together with
    the groups its processes started (claude's).

    Signals nothing unless the pid still has the stored start time. Returns True when
    the group is gone (or was never ours to kill).
    """
    if not ident.alive():
        return True
    try:
        os.killpg(ident.pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _group_alive(ident.pid):
            return True
        time.sleep(0.05)
    if ident.alive() or _group_alive(ident.pid):
        kill_groups(descendant_groups(ident.pid), signal.SIGKILL)  # before their parent link goes
        try:
            os.killpg(ident.pid, signal.SIGKILL)
        except ProcessLookupError:
            return True
    time.sleep(0.1)
    return not _group_alive(ident.pid)
