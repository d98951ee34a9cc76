"""The seed's model and effort table: aliases, per-alias effort defaults, resolution.

Decisions where the seed is silent:

- ``None`` means "not given": the model defaults to ``opus``; an empty or blank string is a
  usage error, as is a model with whitespace inside.
- Aliases match case-insensitively after trimming; any other string is a full id passed
  verbatim (trimmed).
- A full id equal to an alias's target (``claude-opus-4-7[1m]``) gets that alias's default
  effort, so spelling the model out changes nothing. Other full ids get no default effort.
- Haiku has no effort setting: for ``haiku`` and any id containing ``haiku`` an explicit
  effort is validated, then dropped without an error, so a project-wide effort setting does
  not break ``--model haiku`` (the CLI ignores effort for that model anyway).
"""

from __future__ import annotations

from ccplugin.errors import CCError, Exit

MODEL_ALIASES: dict[str, str] = {
    "opus": "claude-opus-4-7[1m]",
    "sonnet": "claude-sonnet-4-6[1m]",
    "haiku": "claude-haiku-4-5",
}
DEFAULT_EFFORT: dict[str, str | None] = {"opus": "xhigh", "sonnet": "high", "haiku": None}
EFFORTS: tuple[str, ...] = ("low", "medium", "high", "xhigh", "max")
DEFAULT_MODEL = "opus"

_ALIAS_OF_ID = {full: alias for alias, full in MODEL_ALIASES.items()}


def resolve(model: str | None, effort: str | None) -> tuple[str, str | None]:
    """Return ``(full model id, effort or None)`` for what the user asked."""
    alias, model_id = _resolve_model(model)
    chosen = _check_effort(effort)
    if "haiku" in model_id.lower():
        return model_id, None
    if chosen is None and alias is not None:
        chosen = DEFAULT_EFFORT[alias]
    return model_id, chosen


def _resolve_model(model: str | None) -> tuple[str | None, str]:
    """``(alias or None, full id)``."""
    if model is None:
        return DEFAULT_MODEL, MODEL_ALIASES[DEFAULT_MODEL]
    name = model.strip()
    if not name or any(c.isspace() for c in name):
        raise CCError(
            f"invalid model {model!r}",
            f"use one of {', '.join(MODEL_ALIASES)} or a full model id",
            Exit.USAGE,
        )
    alias = name.lower()
    if alias in MODEL_ALIASES:
        return alias, MODEL_ALIASES[alias]
    return _ALIAS_OF_ID.get(name), name


def _check_effort(effort: str | None) -> str | None:
    if effort is None:
        return None
    level = effort.strip().lower()
    if level not in EFFORTS:
        raise CCError(
            f"unknown effort {effort or repr(effort)}",
            f"use one of {', '.join(EFFORTS)}",
            Exit.USAGE,
        )
    return level
