"""The eval scorer on hand-made cases: overlap edges, tolerance, multi-line findings, several findings, wrong file."""

from __future__ import annotations

import io

import pytest

from ccplugin.eval.corpus import Bug, Labels
from ccplugin.eval.progress import Progress
from ccplugin.eval.scoring import CaseResult, CaseStatus, Outcome, hits, score_case, totals
from ccplugin.review.model import Finding, Location

BUG = Bug("app/calc.py", 10, 12)


def finding(
    file: str = "app/calc.py",
    start: int = 10,
    end: int | None = None,
    severity: str = "high",
    location: Location = Location.ADDED,
    suppressed: str | None = None,
) -> Finding:
    return Finding(
        severity=severity,
        title="t",
        body="b",
        file=file,
        line_start=start,
        line_end=end or start,
        confidence=0.9,
        recommendation="",
        location=location,
        suppressed=suppressed,
    )


def result(case_id: str, *findings: Finding, bugs: tuple[Bug, ...] = (BUG,), error: bool = False) -> CaseResult:
    return CaseResult(
        id=case_id,
        kind="off-by-one" if bugs else "refactor",
        language="python",
        labels=Labels(bugs, 2),
        status=CaseStatus.ERROR if error else CaseStatus.REVIEWED,
        findings=findings,
        error="claude failed" if error else None,
    )


@pytest.mark.parametrize(
    ("start", "end", "hit"),
    [
        (10, 10, True),  # on the first line
        (12, 12, True),  # on the last line
        (7, 7, False),  # one line before the tolerance
        (8, 8, True),  # at the tolerance's first line
        (14, 14, True),  # at the tolerance's last line
        (15, 15, False),  # one line after it
        (1, 30, True),  # a multi-line finding around the bug
        (1, 7, False),  # a multi-line finding that ends just before the tolerance
        (14, 20, True),  # a multi-line finding that starts at the tolerance's edge
    ],
)
def test_a_hit_overlaps_the_bug_lines_within_the_tolerance(start: int, end: int, hit: bool) -> None:
    assert hits(finding(start=start, end=end), BUG, tolerance=2) is hit


def test_zero_tolerance_means_the_exact_lines() -> None:
    assert hits(finding(start=12), BUG, tolerance=0)
    assert not hits(finding(start=13), BUG, tolerance=0)
    assert not hits(finding(start=9), BUG, tolerance=0)


def test_the_right_line_of_the_wrong_file_is_a_miss() -> None:
    scored = score_case(result("c", finding(file="app/other.py", start=11)), "high", "nofilter")
    assert (scored.outcome, scored.bugs_hit, scored.findings, scored.true_findings) == (Outcome.MISS, 0, 1, 0)
    assert not hits(finding(file="calc.py", start=11), BUG, tolerance=2)  # same name, another folder


def test_several_findings_on_one_bug_find_it_once_and_all_count_as_true() -> None:
    scored = score_case(result("c", finding(start=10), finding(start=11, end=13)), "high", "nofilter")
    assert (scored.outcome, scored.bugs_hit, scored.findings, scored.true_findings) == (Outcome.HIT, 1, 2, 2)


def test_a_case_with_two_bugs_counts_each_bug() -> None:
    bugs = (BUG, Bug("app/io.py", 3, 3))
    scored = score_case(result("c", finding(start=11), bugs=bugs), "high", "nofilter")
    assert (scored.outcome, scored.bugs_hit) == (Outcome.HIT, 1)
    t = totals([result("c", finding(start=11), bugs=bugs)], "high", "nofilter")
    assert (t.bugs, t.bugs_hit, t.recall) == (2, 1, 0.5)


def test_only_findings_at_or_above_the_threshold_count() -> None:
    low = result("c", finding(start=11, severity="low"))
    assert score_case(low, "high", "nofilter").outcome is Outcome.MISS
    assert score_case(low, "low", "nofilter").outcome is Outcome.HIT


def test_a_suppressed_finding_or_one_outside_the_filter_does_not_count() -> None:
    waived = result("c", finding(start=11, suppressed="accepted risk"))
    assert score_case(waived, "low", "nofilter").outcome is Outcome.MISS
    context = result("c", finding(start=11, location=Location.CONTEXT))
    assert score_case(context, "high", "added").outcome is Outcome.MISS
    assert score_case(context, "high", "diff_context").outcome is Outcome.HIT


def test_clean_cases_pass_or_are_falsely_blocked_at_the_threshold() -> None:
    clean = result("c", finding(start=3, severity="medium"), bugs=())
    assert score_case(clean, "high", "nofilter").outcome is Outcome.PASS
    assert score_case(clean, "medium", "nofilter").outcome is Outcome.FALSE_BLOCK
    assert score_case(result("d", bugs=()), "low", "nofilter").outcome is Outcome.PASS


def test_a_failed_review_is_an_error_never_a_pass_and_its_bugs_count_as_missed() -> None:
    failed_clean = result("a", bugs=(), error=True)
    failed_bug = result("b", finding(start=11), error=True)
    assert score_case(failed_clean, "high", "nofilter").outcome is Outcome.ERROR
    assert score_case(failed_bug, "high", "nofilter").outcome is Outcome.ERROR
    t = totals([failed_clean, failed_bug], "high", "nofilter")
    assert (t.bugs, t.bugs_hit, t.recall) == (1, 0, 0.0)
    assert (t.clean_reviewed, t.false_block_rate) == (0, None)  # an unreviewed clean case is not "passed"


def test_totals_over_a_run() -> None:
    run = [
        result("hit", finding(start=12), finding(file="app/x.py", start=1)),
        result("miss"),
        result("blocked", finding(start=1), bugs=()),
        result("passed", finding(start=1, severity="low"), bugs=()),
    ]
    high = totals(run, "high", "nofilter")
    assert (high.recall, high.precision, high.false_block_rate) == (0.5, 1 / 3, 0.5)
    low = totals(run, "low", "nofilter")
    assert (low.recall, low.precision, low.false_block_rate) == (0.5, 0.25, 1.0)
    assert totals(run, "critical", "nofilter").precision is None  # no finding at all: no precision


def test_a_case_result_survives_its_json_record() -> None:
    original = result("c", finding(start=11, end=14, location=Location.CONTEXT))
    assert CaseResult.from_dict(original.to_dict()) == original


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_redrawn_in_place_on_a_terminal() -> None:
    stream = _Terminal()
    bar = Progress(total=4, already=1, fail_on="high", filter_mode="nofilter", stream=stream)
    bar.start()
    bar.done(result("py-\x1b]52;evil", finding(start=11)))
    bar.close()
    frames = stream.getvalue().split("\r\x1b[K")
    assert frames[1].startswith("[" + "#" * 6 + "." * 18 + "] 1/4")
    assert frames[2].startswith("[" + "#" * 12 + "." * 12 + "] 2/4") and frames[2].endswith("py-]52;evil: hit\n")


def test_progress_is_one_line_per_case_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    plain = io.StringIO()
    bar = Progress(total=2, already=0, fail_on="high", filter_mode="nofilter", stream=plain)
    bar.start()
    bar.done(result("c1", bugs=()))
    bar.close()
    assert plain.getvalue() == ""
    assert capsys.readouterr().err == "[cc] eval 1/2: c1 pass ($0.0000, 0.0s)\n"
