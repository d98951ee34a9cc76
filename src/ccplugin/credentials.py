"""Credentials a run can see that are not in its environment: the repository's git configuration.

``actions/checkout`` (with its default ``persist-credentials: true``) leaves the job's token in
``.git/config`` as ``http.https://github.com/.extraheader = AUTHORIZATION: basic <base64 of
x-access-token:TOKEN>``; a clone from ``https://user:token@host/...`` keeps the token in the
remote's URL. The reviewer can read ``.git/config``, so these values are masked like the
environment's secrets (:func:`ccplugin.redact.remember`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path

from ccplugin import git, redact
from ccplugin.errors import CCError


def in_git_config(root: Path, env: Mapping[str, str]) -> set[str]:
    """Every extraheader credential and URL password in the git configuration ``root`` sees."""
    try:
        done = git.run(root, ["config", "--null", "--list"], env, check=False)
    except CCError:  # no git: nothing to read
        return set()
    found: set[str] = set()
    for entry in done.out.split("\0") if done.returncode == 0 else ():
        key, _, value = entry.partition("\n")
        found |= redact.url_passwords(value)
        if key.lower().endswith(".extraheader"):
            found |= header_secrets(value)
    return found


def header_secrets(header: str) -> set[str]:
    """``AUTHORIZATION: basic <b64>`` → the header's value, the credential, its decoding and the password in it."""
    value = header.partition(":")[2].strip() or header.strip()
    credential = value.partition(" ")[2].strip() or value
    found = {value, credential}
    decoded = _b64decode(credential)
    if decoded:
        found |= {decoded, decoded.partition(":")[2]}
    return {v for v in found if v}


def _b64decode(text: str) -> str | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
