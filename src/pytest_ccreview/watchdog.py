"""A small process that stops the review's ``claude`` once the pytest process is gone.

``claude`` runs in a session of its own (so its whole group can be signalled), which also means
nothing stops it when pytest ends without cancelling it: ``os._exit`` from pytest-timeout's
thread method, SIGKILL, a crash. The watchdog reads one ``pid start-time`` line per ``claude``
from a pipe whose only writer is pytest; at end of file (pytest closed it, or the kernel did
when pytest died) it stops every group still running under a recorded identity.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from ccplugin import proc

WAIT_S = 10.0  # how long the closing pytest waits for the watchdog (it gives claude 5 s to stop)
_SERVE = "from pytest_ccreview.watchdog import serve; serve()"


class Watchdog:
    """pytest's end of the pipe."""

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        here = [str(Path(__file__).resolve().parents[1]), str(Path(proc.__file__).resolve().parents[1])]
        path = os.pathsep.join([*dict.fromkeys(here), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.child = proc.spawn(  # a session of its own: a ^C to pytest's terminal does not end it first
            [sys.executable, "-c", _SERVE],
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def guard(self, ident: proc.Identity) -> None:
        """Stop this process group once pytest is gone."""
        if self.child is None or self.child.stdin is None:
            return
        with contextlib.suppress(OSError):  # the watchdog is gone: nothing more can be done
            self.child.stdin.write(f"{ident.pid} {ident.start}\n".encode())
            self.child.stdin.flush()

    def stop(self) -> None:
        """Close the pipe: the watchdog stops what is still running, then exits."""
        if self.child is None:
            return
        if self.child.stdin is not None:
            with contextlib.suppress(OSError):
                self.child.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.child.wait(WAIT_S)


def serve() -> None:
    """The watchdog: collect identities until end of file, then stop their groups."""
    guarded: list[proc.Identity] = []
    for line in sys.stdin.buffer:
        with contextlib.suppress(ValueError):
            pid, start = (int(field) for field in line.split())
            guarded.append(proc.Identity(pid, start))
    for ident in guarded:
        proc.stop(ident)
