"""The CI providers: a provider is one module (see :mod:`ccplugin.ci.provider`) and one line here."""

from __future__ import annotations

from collections.abc import Mapping

from ccplugin.ci.github import provider as github
from ccplugin.ci.provider import Provider
from ccplugin.review.target import BaseHint

PROVIDERS: dict[str, Provider] = {
    github.NAME: github,
}


_TRUE = frozenset({"1", "true", "yes"})


def get(name: str) -> Provider:
    return PROVIDERS[name]


def in_ci(env: Mapping[str, str]) -> bool:
    """Running in CI (``CI`` set as every CI service does, or a provider recognises its own)."""
    return env.get("CI", "").strip().lower() in _TRUE or any(p.detects(env) for p in PROVIDERS.values())


def base_hint(env: Mapping[str, str]) -> BaseHint | None:
    """The base branch a CI run names (the first provider's that names one)."""
    return next((h for p in PROVIDERS.values() if (h := p.base_hint(env))), None)


def from_fork(env: Mapping[str, str]) -> bool:
    """The CI run is for a fork's change, by any provider."""
    return any(p.from_fork(env) for p in PROVIDERS.values())
