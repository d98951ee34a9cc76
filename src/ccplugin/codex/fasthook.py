"""The entry point of every Codex hook: ``python -m ccplugin.codex.fasthook <event>``.

Codex runs ``UserPromptSubmit`` on every prompt, so this module is built to cost little more than
starting the interpreter: it imports only ``os`` and ``sys`` (plus the C half of ``json``, since
``json`` itself pulls in ``re``), reads the hook input with a size cap, and answers the common
case, "nothing finished since this session last looked", from two ``stat`` calls: the store's
database files are compared with the stamp the last full check left for this session. Only when
the store changed, or the stop-time review gate needs a baseline, does it import the real handlers
(:mod:`ccplugin.codex.hooks`).

A hook never breaks the Codex session: whatever happens, it exits 0; problems are one line on
stderr (``ccplugin hook: …``). Codex's ``session_id`` in the hook input names the session; a
subagent's hooks carry the root session id plus ``agent_id`` and are ignored here (its turns
are the parent's business).

Paths come from :mod:`ccplugin.paths` and :mod:`ccplugin.codex.hookpaths` (``os`` only), not
:mod:`ccplugin.config`, whose import costs more than the whole fast path.
"""

from __future__ import annotations

import os
import sys

from ccplugin.codex.hookpaths import db_stamp, gate_enabled, read_text, session_path
from ccplugin.paths import state_root, valid_session, workspace

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing costs more than this module
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import IO, Any

EVENTS = ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")
MAX_INPUT = 1 << 20  # bytes of hook input accepted (Codex sends a few KB)
_DRAIN_CAP = 64 << 20  # beyond this, stop reading an oversized input


class HookInputError(Exception):
    """Input the hook cannot use: reported on stderr, and the hook still exits 0."""


# -- the cheap check ---------------------------------------------------------------------


def nothing_new(data: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """True when UserPromptSubmit has nothing to do: no session, a subagent's prompt, or no
    store change since this session's last full check (and no review gate wanting a baseline)."""
    session = valid_session(data.get("session_id"))
    if session is None or data.get("agent_id"):
        return True
    root = state_root(env)
    cwd = data.get("cwd")
    if gate_enabled(root, workspace(cwd if isinstance(cwd, str) and cwd else os.getcwd())):
        return False
    stamp = db_stamp(root)
    return stamp is None or read_text(session_path(root, session, ".seen")) == stamp


# -- input ----------------------------------------------------------------------------------


def read_input(stream: IO[bytes], limit: int = MAX_INPUT) -> dict[str, Any]:
    """The hook's JSON object from ``stream``: empty input is ``{}``; oversized or invalid
    input is a :class:`HookInputError`."""
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        _drain(stream, len(raw))
        raise HookInputError(f"hook input exceeds {limit} bytes; ignored")
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return {}
    value = _loads(text)
    if not isinstance(value, dict):
        raise HookInputError(f"hook input is JSON {type(value).__name__}, not an object; ignored")
    return value


def _drain(stream: IO[bytes], seen: int) -> None:
    """Read the rest of an oversized input, so Codex's write does not fail on a closed pipe."""
    while seen < _DRAIN_CAP:
        chunk = stream.read(1 << 16)
        if not chunk:
            return
        seen += len(chunk)


class _Ctx:
    """What ``_json.make_scanner`` reads from a decoder (the defaults of ``json.loads``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = None

    @staticmethod
    def parse_constant(name: str) -> Any:
        return float(name.replace("Infinity", "inf"))


def _loads(text: str) -> Any:
    """``json.loads`` through the C scanner alone (``json`` would import ``re``).

    Used alone, the scanner cannot always raise its own error (truncated input such as ``{``
    is a ``SystemError``): any failure is parsed again by :func:`_loads_slow`, which names it.
    """
    try:
        # a measured seam: ``import json`` (it imports ``re``) adds ~6 ms to bench_hook.py's 10 ms
        # UserPromptSubmit (1.17x a bare start, target 1.5x); the C scanner adds 0.1 ms
        import _json

        value, end = _json.make_scanner(_Ctx())(text, 0)  # type: ignore[arg-type]
    except (ImportError, StopIteration, ValueError, SystemError):
        return _loads_slow(text)
    if end != len(text):
        raise HookInputError(f"hook input is not valid JSON (extra data at character {end}); ignored")
    return value


def _loads_slow(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError as e:
        raise HookInputError(f"hook input is not valid JSON ({e}); ignored") from None


# -- entry ----------------------------------------------------------------------------------


def run(event: str, stdin: IO[bytes], env: Mapping[str, str]) -> int:
    """Handle one hook event; always 0, problems reported on stderr."""
    try:
        if event not in EVENTS:
            raise HookInputError(f"unknown hook event {event!r}; expected one of {', '.join(EVENTS)}")
        data = read_input(stdin)
        if event == "UserPromptSubmit" and nothing_new(data, env):
            return 0
        # the measured seam of every prompt: bench_hook.py's UserPromptSubmit (1.17x a bare start)
        # against its full check (5.5x), which imports the handlers and opens the store
        from ccplugin.codex import hooks

        hooks.handle(event, data, env)
    except HookInputError as e:
        _report(f"{e}. Re-run `ccplugin install` if the plugin's hooks look wrong.")
    except Exception as e:  # a hook must never break the Codex session
        _report(describe(event, e, env))
    return 0


def describe(event: str, error: Exception, env: Mapping[str, str]) -> str:
    """One line for a failed hook: an expected error says how to fix it, anything else is a bug."""
    line = getattr(error, "line", None)
    if callable(line):  # a CCError: already names the problem and the fix
        return f"{event}: {line()}"
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return (
            f"{event}: {error.strerror or error}{where}: make the ccplugin state folder {state_root(env)} "
            "writable, or point `CCPLUGIN_HOME` at one"
        )
    return f"{event} failed unexpectedly (a bug; please report it): {type(error).__name__}: {error}"


def _report(text: str) -> None:
    try:
        sys.stderr.write(f"ccplugin hook: {text}\n")
        sys.stderr.flush()
    except OSError:  # stderr closed: nothing left to tell
        pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return run(args[0] if args else "", sys.stdin.buffer, os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
