"""What a CI provider is: the contract :mod:`ccplugin.ci.runner` drives, one module per provider.

A provider is a module with these functions (``ccplugin.ci.github.provider`` is the model, the
registry is :mod:`ccplugin.ci.providers`). The runner does every provider-neutral step itself:
credentials, refusing untrusted code beside secrets, the tracked review, the report files, the
rescue and the exit code. A provider answers three questions (the change under review, making
sure its history is there, publishing the outcome) and a few cheap probes of the environment
the other surfaces ask (``ccplugin review``'s base branch, the pytest plugin's "is this a fork").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ccplugin.errors import CCError
from ccplugin.review.outcome import ReviewError
from ccplugin.review.target import BaseHint

if TYPE_CHECKING:
    from ccplugin.ci.runner import Options, Publish, Report
    from ccplugin.plugins import Plugins
    from ccplugin.review.outcome import ReviewOutcome

FORK_RESCUE_REFUSED = (
    "cc-rescue not run: this is a fork's pull request, and a rescue would run its code beside this "
    "workflow's secrets (the gate is unaffected)"
)


@dataclass(frozen=True)
class Change:
    """The change a CI run reviews, as the runner needs it."""

    base: str | None  # what to compare against: a commit sha or a branch name (None: the run names none)
    head: str | None  # the head commit, when known
    fork: bool  # written outside the repository: its code never runs beside this run's secrets (no rescue)
    unsafe: CCError | None  # why reviewing it here would run its code beside secrets (refused unless opted in)
    no_credentials: ReviewError  # the gate ERROR when the run has no Anthropic credentials
    record: object  # the provider's own record of the change (GitHub: its workflow event)
    workspace: str | None = None  # where the run's own files go by default (GitHub: $GITHUB_WORKSPACE)


class Provider(Protocol):
    """One CI service (a module: its name and these functions).

    Optional: ``last_reviewed(change, opts, env) -> str | None``, the head the last completed review of this
    change saw, from a record only the CI's identity writes; the review then covers only the commits since
    (review.increment). A provider without it gets full reviews.
    """

    NAME: str  # the `ccplugin ci <NAME>` subcommand
    PLUGINS: tuple[object, ...]  # ccplugin plugins its runs register (e.g. its own reporters)

    def detects(self, env: Mapping[str, str]) -> bool:
        """This process runs on the provider's CI."""
        ...

    def base_hint(self, env: Mapping[str, str]) -> BaseHint | None:
        """The base branch the run names, for a branch review given no ``--base``."""
        ...

    def from_fork(self, env: Mapping[str, str]) -> bool:
        """The run is for a change from a fork (when in doubt: yes)."""
        ...

    def change(self, opts: Options, env: Mapping[str, str]) -> Change:
        """The change under review (bad or missing run data: a CCError)."""
        ...

    def ensure_history(self, root: Path, base: str, change: Change, env: Mapping[str, str]) -> str:
        """Make sure the base and the merge base are in the clone; the base ref to review against."""
        ...

    def report(self, outcome: ReviewOutcome, change: Change, opts: Options, env: Mapping[str, str], r: Report) -> None:
        """Tell the change (review comments, a summary comment, annotations); what went wrong goes in ``r``."""
        ...

    def spent(self, change: Change, opts: Options, env: Mapping[str, str]) -> float | None:
        """USD the change's earlier runs cost, every shard and push, from records only this CI's identity
        writes (GitHub: the Action's own summary comments); None when it cannot be known."""
        ...

    def notice(self, level: str, line: str, title: str) -> None:
        """One message the CI shows beside the run (level: notice | warning | error)."""
        ...

    def publish(
        self,
        outcome: ReviewOutcome,
        r: Report,
        files: Publish,
        env: Mapping[str, str],
        change: Change | None,
        hooks: Plugins,
    ) -> None:
        """The run's summary, its outputs and the log, rendered by ``hooks`` (``change``: None for merged shards)."""
        ...
