"""GitHub's renderings that are report formats, registered like any reporter plugin.

``github-summary`` is the step summary's markdown (as ``ccplugin ci github`` writes it to
``$GITHUB_STEP_SUMMARY``, without the run's notes), for a workflow that writes it elsewhere.
The GitHub provider adds this module to its host's plugin manager (``provider.PLUGINS``).
"""

from __future__ import annotations

from ccplugin.ci.github import summary, workflow
from ccplugin.hookspecs import hookimpl
from ccplugin.report import Builtin
from ccplugin.review.outcome import ReviewOutcome


def step_summary(o: ReviewOutcome) -> str:
    text, _ = workflow.fit(summary.blocks(o), workflow.SUMMARY_LIMIT, "_Shortened to fit GitHub's 1 MiB._")
    return text


@hookimpl
def ccplugin_reporters() -> list[Builtin]:
    return [Builtin("github-summary", ".md", step_summary)]
