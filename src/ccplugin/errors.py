"""The one expected-error type, and the exit codes every surface shares."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    GATE_FAIL = 1
    USAGE = 2
    NOT_REVIEWED = 3
    NOTHING = 4  # nothing to review: distinct, never a pass
    NEEDS_CONSENT = 5  # a change only the user may allow (e.g. turning on Codex hooks they turned off)
    BAD_CORPUS = 6  # `ccplugin eval`: a corpus, case or results file that does not validate
    UNKNOWN_FORMAT = 7  # `--report` names a format no installed reporter renders
    STALE = 8  # `review --apply`: the finding's lines changed since the review, so its suggestion is not applied
    INTERRUPTED = 130


class CCError(Exception):
    """An expected failure: one line that names the problem and how to fix it.

    ``fix`` is the exact action to take (a command in backticks where there is one);
    ``exit_code`` is what the command line exits with.
    """

    def __init__(self, message: str, fix: str = "", exit_code: int = Exit.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.exit_code = int(exit_code)

    def line(self) -> str:
        """The one line a user sees."""
        return f"{self.message}: {self.fix}" if self.fix else self.message
