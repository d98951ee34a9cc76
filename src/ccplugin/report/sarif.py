"""The SARIF 2.1.0 reporter: one run of the ``ccplugin`` tool, one result per finding.

Each finding gets its own rule (id ``cc-review/<fingerprint>``, short description = its title) so
code-scanning alerts read as the finding, not as a generic "review finding". Levels: critical and
high → ``error``, medium → ``warning``, low → ``note``. Locations are repo-relative URIs under
``%SRCROOT%`` with 1-based regions; the fingerprint is a ``partialFingerprints`` entry so alerts
track across pushes; suppressed findings carry an external, accepted suppression with the
waiver's reason. A review that could not run is ``executionSuccessful: false`` with the reason
as an error notification and no results; the gate itself is in the run's properties.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ccplugin import __version__
from ccplugin.hookspecs import hookimpl
from ccplugin.review.gate import GateStatus
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "ccpluginFingerprint/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


@hookimpl
def ccplugin_report_formats() -> list[str]:
    return ["sarif"]


@hookimpl
def ccplugin_render(outcome: ReviewOutcome, fmt: str) -> str | None:
    return render(outcome) if fmt == "sarif" else None


def render(o: ReviewOutcome) -> str:
    return json.dumps(document(o), indent=2) + "\n"


def document(o: ReviewOutcome) -> dict[str, Any]:
    """The SARIF log as a JSON-able dict."""
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(o)]}


def run(o: ReviewOutcome) -> dict[str, Any]:
    gating = {f.fingerprint for f in o.gate.gating}
    rules = _rules(o.findings)
    index = {rid: i for i, rid in enumerate(rules)}
    out: dict[str, Any] = {
        "tool": {"driver": driver(tuple(rules.values()))},
        "invocations": [invocation(o)],
        "results": [result(f, index[rule_id(f)], f.fingerprint in gating) for f in o.findings],
        "columnKind": "unicodeCodePoints",
        "properties": run_properties(o),
    }
    root = o.target.get("repo_root")
    if root:
        out["originalUriBaseIds"] = {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}}
    return out


def driver(findings: tuple[Finding, ...]) -> dict[str, Any]:
    return {
        "name": "ccplugin",
        "semanticVersion": __version__,
        "rules": [rule(f) for f in findings],
    }


def _rules(findings: tuple[Finding, ...]) -> dict[str, Finding]:
    """One rule per fingerprint (the first finding with it describes the rule)."""
    rules: dict[str, Finding] = {}
    for f in findings:
        rules.setdefault(rule_id(f), f)
    return rules


def rule(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule_id(f),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.body or f.title},
        "defaultConfiguration": {"level": level(f)},
        "properties": {"tags": ["cc-review", f.severity]},
    }
    if f.recommendation:
        out["help"] = {"text": f.recommendation}
    return out


def result(f: Finding, index: int, gating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": rule_id(f),
        "ruleIndex": index,
        "level": level(f),
        "message": {"text": message(f)},
        "locations": [location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity,
            "confidence": f.confidence,
            "diffLocation": f.location.value,
            "gating": gating,
        },
    }
    if f.suppressed is not None:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.suppressed}]
    return out


def location(f: Finding) -> dict[str, Any]:
    start = max(1, f.line_start)
    region = {"startLine": start, "endLine": max(start, f.line_end)}
    artifact = {"uri": quote(f.file), "uriBaseId": SRCROOT}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def invocation(o: ReviewOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": o.gate.status is not GateStatus.ERROR}
    if o.gate.status is GateStatus.ERROR:
        kind = o.error.kind if o.error else "error"
        text = o.error.line() if o.error else o.gate.reason
        out["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": text}, "descriptor": {"id": kind}},
        ]
    elif o.gate.status is GateStatus.NOTHING:
        out["toolExecutionNotifications"] = [{"level": "note", "message": {"text": o.gate.reason}}]
    return out


def run_properties(o: ReviewOutcome) -> dict[str, Any]:
    return {
        "mode": o.mode,
        "gate": {"status": o.gate.status.value, "reason": o.gate.reason, **o.gate.policy.to_dict()},
        "target": o.target.get("label"),
        "inputMode": o.input_mode,
        "model": o.model,
        "effort": o.effort,
        "cached": o.cached,
        "costUsd": o.cost_usd,
        "jobId": o.job_id,
        "coverage": o.coverage.to_dict() if o.coverage else None,
    }


def rule_id(f: Finding) -> str:
    return f"cc-review/{f.fingerprint}"


def level(f: Finding) -> str:
    return LEVELS.get(f.severity, "warning")


def message(f: Finding) -> str:
    text = f"[{f.severity}] {f.title}"
    if f.body:
        text += f"\n\n{f.body}"
    if f.recommendation:
        text += f"\n\nRecommendation: {f.recommendation}"
    return text
