"""The version of a `claude` binary, asked once per binary file and cached in the state folder.

``claude --version`` prints ``2.1.197 (Claude Code)``. The answer is kept in
``<state root>/claude-versions.json`` under the binary's realpath, mtime and size, so an
upgrade in place is asked again and every other run costs one ``stat``. A binary that gives
no version (or none within ``TIMEOUT``) is remembered as such: it gets the fallback, which is
as safe, and is not asked again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ccplugin import files, paths, proc
from ccplugin.errors import CCError

CACHE_FILE = "claude-versions.json"
_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")
TIMEOUT = 5.0

Version = tuple[int, int, int]


def of(binary: str, env: Mapping[str, str]) -> Version | None:
    """The version ``binary`` reports, or None when it reports none we can read."""
    try:
        real = os.path.realpath(binary)
        st = os.stat(real)
    except OSError:
        return None
    key = f"{real}|{st.st_mtime_ns}|{st.st_size}"
    cache = Path(paths.state_root(env)) / CACHE_FILE
    known = _load(cache)
    if key in known:
        return parse(known[key])
    text = _ask(real, env) or ""
    _store(cache, {**known, key: text})
    return parse(text)


def parse(text: str) -> Version | None:
    found = _VERSION.match(text)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def _ask(binary: str, env: Mapping[str, str]) -> str | None:
    try:
        done = proc.run([binary, "--version"], env=env, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError, CCError):
        return None
    first = (done.out.strip().splitlines() or [""])[0]
    return first if done.returncode == 0 and parse(first) else None


def _load(cache: Path) -> dict[str, str]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _store(cache: Path, known: dict[str, str]) -> None:
    """Write the cache atomically; a state folder we cannot write only costs the next run a call."""
    with contextlib.suppress(OSError):
        files.write_atomic(cache, json.dumps(dict(list(known.items())[-16:]), indent=0), mode=0o600, dir_mode=0o700)
