"""The review's outcome as one JSON file: written once by the controller, read by every process."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ccplugin.review.outcome import ReviewOutcome

POLL_S = 0.05


@dataclass(frozen=True)
class SharedOutcome:
    path: Path

    def write(self, outcome: ReviewOutcome) -> None:
        """Atomic: a reader sees no file or the whole outcome."""
        from ccplugin import files  # only the controller writes: xdist workers import what they read with

        files.write_atomic(self.path, json.dumps(outcome.to_dict()))

    def read(self) -> ReviewOutcome | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return ReviewOutcome.from_dict(json.loads(text))

    def wait(self, seconds: float) -> ReviewOutcome | None:
        """The outcome once it is written, or ``None`` after ``seconds``."""
        deadline = time.monotonic() + seconds
        while (outcome := self.read()) is None and time.monotonic() < deadline:
            time.sleep(POLL_S)
        return outcome
