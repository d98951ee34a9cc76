"""The results file of an eval run: its configuration, then one record per case as each finishes.

It is rewritten atomically after every case, so an interrupted run leaves every finished case on
disk; a rerun with the same file and the same configuration skips them (a case whose review
failed is not finished: it runs again).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ccplugin import __version__
from ccplugin.eval.corpus import CorpusError
from ccplugin.eval.scoring import THRESHOLDS, CaseResult, CaseStatus, totals

FORMAT = "ccplugin-eval/1"


@dataclass(frozen=True)
class RunConfig:
    """What makes two runs comparable; a results file resumes only a run with the same one."""

    corpus: str
    corpus_digest: str
    prompt_version: str
    mode: str
    model: str
    effort: str | None
    fail_on: str
    filter_mode: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        values: dict[str, Any] = {k: d.get(k) for k in cls.__dataclass_fields__}
        return cls(**values)

    def differences(self, other: RunConfig) -> list[str]:
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{k} {theirs[k]!r} → {mine[k]!r}" for k in mine if mine[k] != theirs[k]]


class Results:
    """The results of one run, safe to record into from the worker threads."""

    def __init__(self, path: Path | None, config: RunConfig, cases: dict[str, CaseResult] | None = None) -> None:
        self.path = path
        self.config = config
        self.cases: dict[str, CaseResult] = dict(cases or {})
        self._lock = threading.Lock()

    def done(self) -> set[str]:
        return {k for k, r in self.cases.items() if r.status is CaseStatus.REVIEWED}

    def spent(self) -> float:
        return sum(r.cost_usd for r in self.cases.values())

    def record(self, result: CaseResult) -> None:
        with self._lock:
            self.cases[result.id] = result
            if self.path is not None:
                write_atomic(self.path, json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    def ordered(self) -> list[CaseResult]:
        return [self.cases[k] for k in sorted(self.cases)]

    def to_dict(self) -> dict[str, Any]:
        ordered = self.ordered()
        return {
            "format": FORMAT,
            "ccplugin": __version__,
            "config": self.config.to_dict(),
            "totals": [totals(ordered, t, self.config.filter_mode).to_dict() for t in THRESHOLDS],
            "cost_usd": self.spent(),
            "seconds": sum(r.seconds for r in ordered),
            "errors": sum(1 for r in ordered if r.status is CaseStatus.ERROR),
            "cases": [r.to_dict() for r in ordered],
        }


def load(path: Path) -> Results:
    """A results file written by :class:`Results`; anything else is one :class:`CorpusError` line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(
            f"results file {path} does not exist", "pass a file a `ccplugin eval --out` run wrote"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorpusError(f"results file {path} is not JSON ({e})", "pass a file `ccplugin eval --out` wrote") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CorpusError(f"{path} is not a ccplugin eval results file ({FORMAT})", "pass a file `ccplugin eval` wrote")
    try:
        cases = {c["id"]: CaseResult.from_dict(c) for c in data["cases"]}
        return Results(path, RunConfig.from_dict(data["config"]), cases)
    except (KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"results file {path} is damaged ({e!r})", "delete it, or rerun with `--fresh`") from None


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
