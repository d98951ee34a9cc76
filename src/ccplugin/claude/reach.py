"""Can this process reach Claude's API? Asked only where Codex says its sandbox has no network.

Codex sets ``CODEX_SANDBOX_NETWORK_DISABLED=1`` for sandboxed commands, and leaves it set when the
user approves an escalated command, which then runs unsandboxed, with network. So the variable
alone decides nothing: the process tries what Claude will do first, a TCP connection to the API
(``ANTHROPIC_BASE_URL``, else ``api.anthropic.com:443``) or to the proxy Claude would use for it.
Codex's Linux sandbox refuses ``socket()`` for AF_INET/AF_INET6 (seccomp, EPERM); other sandboxes
refuse the connect (EPERM/EACCES) or have no route (ENETUNREACH). A refused or slow connection
means there is a network (the endpoint is Claude's problem to report), so the run proceeds.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_API = "https://api.anthropic.com"
CONNECT_TIMEOUT = 1.5  # seconds; a slow answer still means there is a network
_NO_NETWORK = frozenset({errno.EPERM, errno.EACCES, errno.ENETUNREACH})
_PROXY_VARS = {"https": ("HTTPS_PROXY", "https_proxy"), "http": ("HTTP_PROXY", "http_proxy")}


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    via: Literal["API", "proxy"]

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" + (" (the proxy)" if self.via == "proxy" else "")


def marked_offline(env: Mapping[str, str]) -> bool:
    """Codex says this command's sandbox has no network (it may be wrong: see the module docstring)."""
    return env.get("CODEX_SANDBOX_NETWORK_DISABLED", "").strip() == "1"


def sandbox_blocks(env: Mapping[str, str]) -> str | None:
    """Why Claude cannot reach its API from this Codex sandbox, or None when it can (or when
    Codex does not say the sandbox has no network)."""
    return unreachable(endpoint(env)) if marked_offline(env) else None


def endpoint(env: Mapping[str, str]) -> Endpoint:
    """Where Claude's first connection goes: its API, or the proxy it would use for it."""
    api = urlsplit(env.get("ANTHROPIC_BASE_URL", "").strip() or DEFAULT_API)
    scheme = api.scheme if api.scheme in _PROXY_VARS else "https"
    host = api.hostname or "api.anthropic.com"
    if not _bypassed(host, env):
        proxy = next((env[v].strip() for v in _PROXY_VARS[scheme] if env.get(v, "").strip()), "")
        if proxy:
            parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            if parts.hostname:
                return Endpoint(parts.hostname, _port(parts.port, parts.scheme), "proxy")
    return Endpoint(host, _port(api.port, scheme), "API")


def _port(port: int | None, scheme: str) -> int:
    return port or (443 if scheme == "https" else 80)


def _bypassed(host: str, env: Mapping[str, str]) -> bool:
    """``NO_PROXY`` names ``host`` (exactly, as a domain suffix, or ``*``)."""
    value = env.get("NO_PROXY") or env.get("no_proxy") or ""
    for entry in (e.strip().lower() for e in value.split(",")):
        name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry
        name = name.lstrip(".")
        if entry == "*" or (name and (host.lower() == name or host.lower().endswith("." + name))):
            return True
    return False


def unreachable(target: Endpoint, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Why a TCP connection to ``target`` is impossible here, or None when the network answers."""
    refused = _socket_refused(socket.AF_INET)
    if refused:
        return refused
    try:
        addresses = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        return f"cannot resolve {target.host} ({e.strerror})"
    family, kind, protocol, _, address = addresses[0]
    try:
        sock = socket.socket(family, kind, protocol)
    except OSError as e:
        return _denied(e.errno or 0, "creating a network socket")
    with sock:
        sock.settimeout(timeout)
        code = sock.connect_ex(address)
    return _denied(code, f"connecting to {target}")


def _socket_refused(family: socket.AddressFamily) -> str | None:
    """Codex's Linux sandbox refuses the socket itself (seccomp): the clearest sign, no traffic."""
    try:
        socket.socket(family, socket.SOCK_STREAM).close()
    except OSError as e:
        return _denied(e.errno or 0, "creating a network socket")
    return None


def _denied(code: int, doing: str) -> str | None:
    return f"{doing}: {os.strerror(code)}" if code in _NO_NETWORK else None
