"""The SARIF 2.1.0 reporter: one run of the ``ccplugin`` tool, one result per finding.

Each finding gets its own rule (id ``cc-review/<fingerprint>``, short description = its title) so
code-scanning alerts read as the finding, not as a generic "review finding". Levels: critical and
high → ``error``, medium → ``warning``, low → ``note``. Locations are repo-relative URIs under
``%SRCROOT%`` with 1-based regions (a finding outside the repository has a location that only
says so: no URI that could leave ``%SRCROOT%``); the fingerprint is a ``partialFingerprints`` entry so alerts
track across pushes; suppressed findings carry an external, accepted suppression with the
waiver's reason. ``baselineState`` (SARIF 2.1.0 §3.27.24) says whether the change brought the
finding: ``new`` on a line it added or changed, ``unchanged`` for a pre-existing one. A review
that could not run is ``executionSuccessful: false`` with the reason as an error notification and no results;
the gate itself is in the run's properties.

Within what GitHub code scanning documents (docs.github.com, "SARIF support for code scanning"
and "SARIF results exceed limit"): ``shortDescription`` and ``fullDescription`` at most 1,024
characters, ``help.text`` always present, at most 25,000 results and rules per run, and a
``runAutomationDetails.id`` whose category (the part before its last ``/``) names the mode and
the shard label, so several uploads for one commit do not replace each other.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ccplugin import __version__
from ccplugin.hookspecs import hookimpl
from ccplugin.report import Builtin
from ccplugin.review.gate import GateStatus
from ccplugin.review.model import SEVERITY_RANK, Finding
from ccplugin.review.outcome import ReviewOutcome
from ccplugin.review.values import Baseline

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "ccpluginFingerprint/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
DESCRIPTION_MAX = 1024  # characters of a rule's shortDescription / fullDescription
RESULTS_MAX = 25_000  # results (and rules) per run GitHub accepts
NO_HELP = "No recommendation was given; the result's message says what was found."
FILE_MAX = 10_000_000  # bytes: code scanning refuses an upload over 10 MB gzip-compressed; this is uncompressed
BASELINE_STATE = {Baseline.NEW: "new", Baseline.PRE_EXISTING: "unchanged"}  # SARIF 2.1.0 §3.27.24
MESSAGE_MAX = 4_000  # characters a result's message keeps when the file would be too large


@hookimpl
def ccplugin_reporters() -> list[Builtin]:
    return [Builtin("sarif", ".sarif", render)]


def render(o: ReviewOutcome, label: str = "") -> str:
    doc = document(o, label)
    return _text(doc) if _size(doc) <= FILE_MAX else _text(fitted(doc))


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _size(doc: dict[str, Any]) -> int:
    return len(_text(doc).encode())


def fitted(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` within ``FILE_MAX``: long messages cut, then the least severe results left out (and said)."""
    out = copy.deepcopy(doc)
    run = out["runs"][0]
    for r in run["results"]:
        if len(r["message"]["text"]) > MESSAGE_MAX:
            r["message"]["text"] = r["message"]["text"][: MESSAGE_MAX - 1] + "…"
    ranked = sorted(run["results"], key=lambda r: SEVERITY_RANK.get(r["properties"]["severity"], len(SEVERITY_RANK)))
    lo, hi = 0, len(ranked)  # the most results that fit: lo fits (none always does), hi + 1 does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        run["results"] = ranked[:mid]
        lo, hi = (mid, hi) if _size(out) <= FILE_MAX - 1_000 else (lo, mid - 1)  # room for the note
    run["results"] = ranked[:lo]
    if lo < len(ranked):
        note = f"{len(ranked) - lo} result(s) left out to fit code scanning's 10 MB upload limit (least severe first)"
        run["invocations"][0].setdefault("toolExecutionNotifications", []).append(
            {"level": "warning", "message": {"text": note + "; every finding is in the JUnit file"}}
        )
    return out


def document(o: ReviewOutcome, label: str = "") -> dict[str, Any]:
    """The SARIF log as a JSON-able dict; ``label`` names a shard in the code-scanning category."""
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(o, label)]}


def category(mode: str, label: str = "") -> str:
    """``runAutomationDetails.id``: ``cc-review/<mode>[/<label>]/`` (the category is all but the last part)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", label)
    return f"cc-review/{mode}/" + (f"{safe}/" if safe else "")


def run(o: ReviewOutcome, label: str = "") -> dict[str, Any]:
    gating = {f.fingerprint for f in o.gate.gating}
    findings = o.findings[:RESULTS_MAX]
    rules = _rules(findings)
    index = {rid: i for i, rid in enumerate(rules)}
    out: dict[str, Any] = {
        "tool": {"driver": driver(tuple(rules.values()))},
        "invocations": [invocation(o)],
        "automationDetails": {"id": category(o.mode, label)},
        "results": [result(f, index[rule_id(f)], f.fingerprint in gating) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": run_properties(o),
    }
    root = o.target.repo_root
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
        "shortDescription": {"text": described(f.title)},
        "fullDescription": {"text": described(f.body or f.title)},
        "help": {"text": f.recommendation or NO_HELP},
        "defaultConfiguration": {"level": level(f)},
        "properties": {"tags": ["cc-review", f.severity]},
    }
    return out


def described(text: str) -> str:
    """``text`` within GitHub's 1,024 characters for a rule description (a cut one ends with an ellipsis)."""
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def result(f: Finding, index: int, gating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": rule_id(f),
        "ruleIndex": index,
        "level": level(f),
        "message": {"text": message(f)},
        "locations": [location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "baselineState": BASELINE_STATE[f.baseline],
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
    if not f.in_repo:
        return {"message": {"text": f.file}}
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
        "policy": o.policy_source or None,
        "target": o.target.label,
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
