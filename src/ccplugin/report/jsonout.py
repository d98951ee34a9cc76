"""The JSON reporter: the outcome as one object (the `--json` contract)."""

from __future__ import annotations

import json

from ccplugin.hookspecs import hookimpl
from ccplugin.review.outcome import ReviewOutcome


@hookimpl
def ccplugin_report_formats() -> list[str]:
    return ["json"]


@hookimpl
def ccplugin_render(outcome: ReviewOutcome, fmt: str) -> str | None:
    if fmt != "json":
        return None
    return json.dumps(outcome.to_dict(), indent=2, sort_keys=True)
