"""The JUnit XML reporter: one ``cc-review`` testsuite, a testcase per finding, one for the gate.

Built with the ``junit-xml`` package. Each finding is a testcase (classname = its file, name =
its short title and fingerprint, 1-based ``file``/``line`` attributes, severity and confidence
as ``<properties>``): gating findings are ``<failure>``, suppressed ones ``<skipped>``, the rest
pass. The gate testcase (classname ``cc-review``, name ``gate``) fails on FAIL, is an
``<error>`` when the review could not run (whatever ``on_error`` says: the file reports what
happened, the exit code carries the policy) and is ``<skipped>`` when there was nothing to
review (not a pass, not a failure); its properties say how much of the change the review saw.

``junit-xml`` writes suite properties but not testcase ones, so those are added to its output
with ElementTree; its illegal-character cleaning has already run by then.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ccplugin.hookspecs import hookimpl
from ccplugin.report import Builtin
from ccplugin.review.coverage import Coverage
from ccplugin.review.gate import GateStatus
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    from junit_xml import TestCase

SUITE = "cc-review"
GATE_CLASSNAME = "cc-review"
GATE_NAME = "gate"
_TITLE_CHARS = 80
# characters XML 1.0 cannot hold; compiled on first use (by re's cache): compiling it takes ~10 ms
_NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


@hookimpl
def ccplugin_reporters() -> list[Builtin]:
    return [Builtin("junit", ".xml", render)]


def render(o: ReviewOutcome) -> str:
    """The outcome as a JUnit XML document (``<testsuites>`` with one ``<testsuite>``)."""
    # imported when used: the plugin manager loads this module on every review
    import xml.etree.ElementTree as ET

    from junit_xml import TestSuite, to_xml_report_string

    gating = {f.fingerprint for f in o.gate.gating}
    cases = [finding_case(f, f.fingerprint in gating) for f in o.findings]
    _unique_names(cases)
    suite = TestSuite(SUITE, [*cases, gate_case(o)], properties=suite_properties(o))
    root = ET.fromstring(to_xml_report_string([suite], prettyprint=False))
    elements = list(root.iter("testcase"))
    for element, finding in zip(elements, o.findings, strict=False):
        _add_properties(element, case_properties(finding))
    if o.coverage:
        _add_properties(elements[-1], gate_properties(o.coverage))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def case_name(f: Finding) -> str:
    """``<short title> [<fingerprint>]``: stable across runs, unique within one review."""
    title = f.title if len(f.title) <= _TITLE_CHARS else f.title[: _TITLE_CHARS - 1] + "…"
    return f"{title} [{f.fingerprint}]"


def finding_case(f: Finding, gating: bool) -> TestCase:
    from junit_xml import TestCase

    place = {"file": f.file, "line": str(max(1, f.line_start))} if f.in_repo else {}
    case = TestCase(case_name(f), classname=f.file, **place)
    detail = _detail(f)
    if gating:
        case.add_failure_info(message=f"[{f.severity}] {f.title}", output=detail, failure_type=f.severity)
    elif f.suppressed is not None:
        case.add_skipped_info(message=f"suppressed: {f.suppressed}", output=detail)
    else:
        case.stdout = detail
    return case


def gate_case(o: ReviewOutcome) -> TestCase:
    from junit_xml import TestCase

    case = TestCase(GATE_NAME, classname=GATE_CLASSNAME)
    status, reason = o.gate.status, o.gate.reason
    if status is GateStatus.FAIL:
        lines = [f"[{f.severity}] {f.title} ({f.where})" for f in o.gate.gating]
        case.add_failure_info(message=reason, output="\n".join(lines), failure_type="gate")
    elif status is GateStatus.ERROR:
        kind = o.error.kind if o.error else "error"
        message = o.error.line() if o.error else reason
        case.add_error_info(message=message, output=reason, error_type=kind)
    elif status is GateStatus.NOTHING:
        case.add_skipped_info(message=reason)
    else:
        case.stdout = reason
    return case


def suite_properties(o: ReviewOutcome) -> dict[str, str]:
    values: dict[str, Any] = {
        "mode": o.mode,
        "gate": o.gate.status.value,
        "gate_reason": o.gate.reason,
        "fail_on": o.gate.policy.fail_on,
        "filter_mode": o.gate.policy.filter_mode,
        "policy": o.policy_source or None,
        "target": o.target.label,
        "base_ref": o.target.base_ref,
        "merge_base": o.target.merge_base,
        "head": o.target.head,
        "input_mode": o.input_mode,
        "model": o.model,
        "effort": o.effort,
        "focus": o.focus or None,
        "cached": str(o.cached).lower(),
        "cost_usd": None if o.cost_usd is None else f"{o.cost_usd:.6f}",
        "job_id": o.job_id,
        "prompt_version": o.prompt_version or None,
    }
    return {k: str(v) for k, v in values.items() if v is not None}


def gate_properties(c: Coverage) -> dict[str, str]:
    """The gate testcase's properties: how much of the change the review saw."""
    return {
        "coverage": c.line(),
        "coverage_basis": c.basis.value,
        "covered_files": str(c.count),
        "changed_files": str(c.total),
    }


def case_properties(f: Finding) -> dict[str, str]:
    props = {
        "severity": f.severity,
        "confidence": f"{f.confidence:g}",
        "fingerprint": f.fingerprint,
        "location": f.location.value,
        "baseline": f.baseline.value,
        "line_end": str(max(1, f.line_end)),
    }
    if f.suppressed is not None:
        props["suppressed"] = f.suppressed
    return props


def _unique_names(cases: list[TestCase]) -> None:
    """Same title, file and severity (so the same fingerprint) at two places: number the repeats,
    since GitLab keeps only the first testcase of a classname + name."""
    seen: dict[tuple[str, str], int] = {}
    for case in cases:
        key = (case.classname, case.name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            case.name = f"{case.name} #{seen[key]}"


def _add_properties(case: ET.Element, props: dict[str, str]) -> None:
    import xml.etree.ElementTree as ET

    element = ET.Element("properties")
    for name, value in props.items():
        ET.SubElement(element, "property", {"name": name, "value": re.sub(_NOT_XML, "", value)})
    case.insert(0, element)


def _detail(f: Finding) -> str:
    lines = [f"{f.where} [{f.severity}, confidence {f.confidence:g}] {f.title}", "", f.body]
    if f.recommendation:
        lines += ["", f"Recommendation: {f.recommendation}"]
    return "\n".join(lines)
