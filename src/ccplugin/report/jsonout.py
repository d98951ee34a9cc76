"""The JSON reporter: the outcome as one object (the `--json` contract)."""

from __future__ import annotations

import json

from ccplugin.hookspecs import hookimpl
from ccplugin.report import Builtin
from ccplugin.review.outcome import ReviewOutcome


@hookimpl
def ccplugin_reporters() -> list[Builtin]:
    return [Builtin("json", ".json", render)]


def render(outcome: ReviewOutcome) -> str:
    return json.dumps(outcome.to_dict(), indent=2, sort_keys=True)
