"""The seed's model/effort table and how user input resolves against it."""

from __future__ import annotations

import pytest

from ccplugin.claude import models
from ccplugin.claude.models import resolve
from ccplugin.errors import CCError, Exit


def test_table_is_the_seeds() -> None:
    assert models.MODEL_ALIASES == {
        "opus": "claude-opus-4-7[1m]",
        "sonnet": "claude-sonnet-4-6[1m]",
        "haiku": "claude-haiku-4-5",
    }
    assert models.DEFAULT_EFFORT == {"opus": "xhigh", "sonnet": "high", "haiku": None}
    assert models.EFFORTS == ("low", "medium", "high", "xhigh", "max")
    assert models.DEFAULT_MODEL == "opus"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (None, ("claude-opus-4-7[1m]", "xhigh")),
        ("opus", ("claude-opus-4-7[1m]", "xhigh")),
        ("sonnet", ("claude-sonnet-4-6[1m]", "high")),
        ("haiku", ("claude-haiku-4-5", None)),
        (" Opus ", ("claude-opus-4-7[1m]", "xhigh")),
        ("SONNET", ("claude-sonnet-4-6[1m]", "high")),
    ],
)
def test_alias_and_default_effort(model: str | None, expected: tuple[str, str | None]) -> None:
    assert resolve(model, None) == expected


@pytest.mark.parametrize("effort", models.EFFORTS)
def test_explicit_effort_wins(effort: str) -> None:
    assert resolve("opus", effort) == ("claude-opus-4-7[1m]", effort)
    assert resolve("sonnet", effort.upper()) == ("claude-sonnet-4-6[1m]", effort)


def test_full_ids_pass_verbatim_without_default_effort() -> None:
    assert resolve("claude-sonnet-4-5-20250929", None) == ("claude-sonnet-4-5-20250929", None)
    assert resolve("my-gateway/Model-X", "low") == ("my-gateway/Model-X", "low")


def test_full_id_of_an_alias_gets_that_alias_default() -> None:
    assert resolve("claude-opus-4-7[1m]", None) == ("claude-opus-4-7[1m]", "xhigh")
    assert resolve("claude-sonnet-4-6[1m]", None) == ("claude-sonnet-4-6[1m]", "high")


@pytest.mark.parametrize("model", ["haiku", "claude-haiku-4-5", "claude-haiku-4-5-20251001"])
def test_haiku_never_gets_effort(model: str) -> None:
    assert resolve(model, "max")[1] is None
    assert resolve(model, None)[1] is None


def test_unknown_effort_is_a_usage_error() -> None:
    with pytest.raises(CCError) as info:
        resolve("opus", "extreme")
    assert info.value.exit_code == Exit.USAGE
    assert info.value.line() == "unknown effort extreme: use one of low, medium, high, xhigh, max"


def test_unknown_effort_is_rejected_even_for_haiku() -> None:
    with pytest.raises(CCError):
        resolve("haiku", "turbo")


@pytest.mark.parametrize("model", ["", "   ", "claude opus", "opus\tx"])
def test_blank_or_spaced_model_is_a_usage_error(model: str) -> None:
    with pytest.raises(CCError) as info:
        resolve(model, None)
    assert info.value.exit_code == Exit.USAGE


def test_surrounding_whitespace_is_trimmed() -> None:
    assert resolve("opus\n", " high ") == ("claude-opus-4-7[1m]", "high")
    assert resolve(" claude-x ", None) == ("claude-x", None)
