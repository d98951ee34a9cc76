"""Progress of an eval run on stderr: a bar redrawn in place on a terminal, one line per case otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ccplugin import controls, output
from ccplugin.eval.scoring import CaseResult, score_case

_WIDTH = 24


class Progress:
    def __init__(self, total: int, already: int, fail_on: str, filter_mode: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.count = already
        self.cost = 0.0
        self.fail_on = fail_on
        self.filter_mode = filter_mode
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()

    def start(self) -> None:
        if self.tty:
            self._bar("")

    def done(self, result: CaseResult) -> None:
        self.count += 1
        self.cost += result.cost_usd
        outcome = score_case(result, self.fail_on, self.filter_mode).outcome.value
        if self.tty:
            self._bar(f"{result.id}: {outcome}")
        else:
            output.progress(
                f"eval {self.count}/{self.total}: {result.id} {outcome} (${result.cost_usd:.4f}, {result.seconds:.1f}s)"
            )

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _bar(self, last: str) -> None:
        filled = _WIDTH * self.count // max(1, self.total)
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (_WIDTH - filled)
        text = f"[{bar}] {self.count}/{self.total}  ${self.cost:.4f}  {elapsed:.0f}s  {last}"
        self.stream.write("\r\x1b[K" + controls.clean(text)[:160])
        self.stream.flush()
