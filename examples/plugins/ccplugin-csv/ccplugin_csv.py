"""A ccplugin plugin: one reporter (``csv``) and one findings filter. See docs/plugins.md."""

from __future__ import annotations

import csv
import io

from ccplugin.hookspecs import hookimpl
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome


class CsvReporter:
    name = "csv"
    suffix = ".csv"

    def render(self, outcome: ReviewOutcome) -> str:
        out = io.StringIO()
        rows = csv.writer(out, lineterminator="\n")
        rows.writerow(["severity", "file", "line", "title", "gating"])
        gating = {f.fingerprint for f in outcome.gate.gating}
        for f in outcome.findings:
            rows.writerow([f.severity, f.file, f.line_start, f.title, f.fingerprint in gating])
        return out.getvalue()


@hookimpl
def ccplugin_reporters() -> list[CsvReporter]:
    return [CsvReporter()]


@hookimpl
def ccplugin_filter_findings(findings: list[Finding]) -> list[Finding] | None:
    kept = [f for f in findings if not f.file.startswith("vendor/")]
    return kept if len(kept) != len(findings) else None  # None: pass the list on unchanged
