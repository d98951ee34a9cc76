"""Trusting the plugin's hooks through ``codex app-server`` (JSON-RPC 2.0, one JSON per line).

Codex runs a user or plugin hook only when ``config.toml`` holds
``[hooks.state."<key>"] trusted_hash`` equal to the hook's current hash; otherwise it skips the
hook without a word. Keys look like ``cc@ccplugin:hooks/hooks.json:stop:0:0``; the hash covers
the hook entry and the plugin's files, so any change to the plugin (a new launcher after moving
Python, an upgrade) makes the hooks "modified" until they are trusted again.

Protocol as codex 0.169 speaks it (checked by tests/test_codex_plugin.py): ``initialize``
(``clientInfo``, ``capabilities.experimentalApi``) first; ``hooks/list {"cwds": [cwd]}`` answers
``{"data": [{"cwd", "hooks": [{"key", "eventName", "pluginId", "currentHash", "trustStatus"
(trusted | untrusted | modified), …}]}]}``; ``config/batchWrite {"edits": [{"keyPath",
"mergeStrategy", "value"}]}`` writes ``config.toml`` (keeping the rest of it byte for byte).
``trusted_hash = <currentHash>`` makes Codex store ``trusted_hash`` and
``trusted_content_hash``; ``value: null`` on ``hooks.state."<key>"`` removes the table. The
server exits as soon as its stdin closes, even with requests pending, so it runs as a session.
Notifications (``configWarning`` …) are skipped.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any

from ccplugin import __version__, proc
from ccplugin.codex.codexcli import Codex
from ccplugin.errors import CCError

TIMEOUT = 30.0
_MAX_LINE = 16 << 20


class HookTrust(StrEnum):
    """What Codex says of a hook's trust."""

    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    MODIFIED = "modified"  # trusted once, its command changed since


@dataclass(frozen=True)
class Hook:
    key: str
    event: str
    plugin_id: str | None
    current_hash: str
    trust: str  # a HookTrust value; kept as text: a newer Codex may report another

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Hook:
        return cls(
            key=str(d.get("key", "")),
            event=str(d.get("eventName", "")),
            plugin_id=d.get("pluginId"),
            current_hash=str(d.get("currentHash", "")),
            trust=str(d.get("trustStatus", "")),
        )


class AppServer:
    """A running ``codex app-server``; use as a context manager."""

    def __init__(self, codex: Codex, cwd: str, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._child = proc.spawn(
            [codex.binary, "app-server"],
            cwd=cwd,
            env=codex.env,
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._buffer = b""
        self._next_id = 0
        client = {"name": "ccplugin", "version": __version__}
        try:
            self.call("initialize", {"clientInfo": client, "capabilities": {"experimentalApi": True}})
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        child = self._child
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Send one request and return its result; a JSON-RPC error is a CCError."""
        self._next_id += 1
        request = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        stdin = self._child.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except OSError as e:
            raise _failed(method, f"it exited ({e.strerror})") from None
        reply = self._reply(self._next_id, method)
        if "error" in reply:
            error = reply["error"] or {}
            raise _failed(method, str(error.get("message", error)))
        return reply.get("result")

    def _reply(self, wanted: int, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            line = self._line(deadline, method)
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not protocol output
            if isinstance(message, dict) and message.get("id") == wanted:
                return message

    def _line(self, deadline: float, method: str) -> bytes:
        stdout = self._child.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _failed(method, f"no answer within {self.timeout:.0f} s")
                if sel.select(left):
                    chunk = os.read(stdout.fileno(), 1 << 16)
                    if not chunk:
                        raise _failed(method, "it exited before answering")
                    self._buffer += chunk
                    if len(self._buffer) > _MAX_LINE:
                        raise _failed(method, "its answer is too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    # -- hooks ------------------------------------------------------------------------------

    def hooks(self, cwd: str) -> list[Hook]:
        """Every hook Codex would run in ``cwd``, with its trust status."""
        result = self.call("hooks/list", {"cwds": [cwd]}) or {}
        return [Hook.from_wire(h) for entry in result.get("data", []) for h in entry.get("hooks", [])]

    def trust(self, hooks: Iterable[Hook]) -> None:
        """Record each hook's current hash as trusted."""
        edits = [_edit(f"hooks.state.{json.dumps(h.key)}.trusted_hash", h.current_hash) for h in hooks]
        if edits:
            self.call("config/batchWrite", {"edits": edits})

    def forget(self, keys: Iterable[str]) -> None:
        """Remove the trust entries of ``keys`` from ``config.toml``."""
        edits = [_edit(f"hooks.state.{json.dumps(k)}", None) for k in keys]
        if edits:
            self.call("config/batchWrite", {"edits": edits})


def _edit(key_path: str, value: Any) -> dict[str, Any]:
    return {"keyPath": key_path, "mergeStrategy": "replace", "value": value}


def _failed(method: str, why: str) -> CCError:
    return CCError(
        f"`codex app-server` {method} failed: {why}",
        "check that `codex app-server --help` works, then run `ccplugin setup`",
    )
