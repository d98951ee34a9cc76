"""The pull request's cost cap in `ccplugin ci github` (issue 13 item 6): summed over pushes and shards from the
ledgers in the Action's own sticky comments; the real claude CLI against the fake API, the fake GitHub."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccplugin.ci.github.spend import Ledger
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from helpers import CliRun, finding, review_output
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import PR, UTIL, PullRequest, ci, make_pr

pytestmark = pytest.mark.real_claude

DEAR = {"input_tokens": 100_000, "output_tokens": 100_000}  # $3.00 at Opus 4.7's price


@pytest.fixture
def pull(tmp_path: Path) -> PullRequest:
    return make_pr(tmp_path / "pr")


@pytest.fixture
def github(pull: PullRequest) -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
        yield gh
    assert gh.violations == []


def outcome(run: CliRun) -> dict[str, Any]:
    """The ``--json`` document (the annotations come first)."""
    return dict(json.loads(run.out[run.out.index("\n{") :]))


def answer() -> list[object]:
    out = review_output(finding("calc.py", 6, "low", "Naming"))
    return [reply(structured_output(out), tool_offered="StructuredOutput", usage=DEAR)]


def new_push(pull: PullRequest, github: FakeGitHub, value: int) -> None:
    pull.push("util.py", UTIL.replace("VALUE_18 = 18", f"VALUE_18 = {value}"))
    github.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))


def ledgers(github: FakeGitHub) -> list[Ledger]:
    return [Ledger.of(c["body"]) for c in github.issue_comments(PR) if c["user"]["login"] == "github-actions[bot]"]


def test_the_pull_request_cap_holds_across_pushes(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(answer())
    flags = ("--fail-on", "high", "--max-pr-cost-usd", "4", "--json")
    first = ci(pull, pull.env(claude, github), *flags)
    assert first.code == 0, first.err
    assert "Spend: this push $3.0000 · this pull request $3.0000 (cap $4.00)" in pull.summary()
    (ledger,) = ledgers(github)
    assert ledger.usd == pytest.approx(3.0) and ledger.pushes[0][0] == pull.head[:12]

    new_push(pull, github, 181)  # $1.00 left: the run is capped at it, and goes over
    second = ci(pull, pull.env(claude, github), *flags)
    assert second.code == 3, second.err
    out = outcome(second)
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", "over-budget")
    assert "$1.00" in out["error"]["message"]
    assert out["cost_cap"]["max_cost_usd"] == pytest.approx(1.0)
    assert "this push $3.0000 · this pull request $6.0000 (cap $4.00)" in pull.summary()
    assert ledgers(github)[0].usd == pytest.approx(6.0)

    new_push(pull, github, 182)  # nothing left: no model call at all
    calls = len(claude.fake.message_requests())
    third = ci(pull, pull.env(claude, github), *flags, "--on-error", "pass")
    assert third.code == 0, third.err  # --on-error pass: exit 0, but the gate still says ERROR
    out = outcome(third)
    assert (out["gate"]["status"], out["error"]["kind"]) == ("error", "over-budget")
    assert out["error"]["message"] == "over-budget: this pull request's reviews have cost $6.0000, its cap is $4.00"
    assert len(claude.fake.message_requests()) == calls


def test_shards_add_up_and_a_humans_ledger_counts_for_nothing(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    forged = {"usd": 999, "pushes": [["abc", 999]]}
    github.add_issue_comment(PR, f"<!-- ccplugin:summary:review --> <!-- ccplugin:spent={json.dumps(forged)} -->")
    claude = cc_fake_claude(answer())
    flags = ("--fail-on", "high", "--max-pr-cost-usd", "5", "--no-cache")
    assert ci(pull, pull.env(claude, github), *flags, "--label", "api").code == 0  # the human's 999 is not ours
    other = ci(pull, pull.env(claude, github), *flags, "--label", "web", "--json")
    assert other.code == 3, other.err  # shard api spent $3.00: shard web may spend $2.00, and goes over
    assert outcome(other)["cost_cap"]["max_cost_usd"] == pytest.approx(2.0)
    assert re.search(r"this push \$3\.0000 · this pull request \$6\.0000 \(cap \$5\.00\)", pull.summary())


def test_a_subscription_is_not_held_to_the_pull_request_cap(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(answer())
    env = {k: v for k, v in pull.env(claude, github).items() if k != "ANTHROPIC_API_KEY"}
    env["CLAUDE_CODE_OAUTH_TOKEN"] = "sk-ant-oat01-fake"
    for value in (181, 182):
        run = ci(pull, env, "--fail-on", "high", "--max-pr-cost-usd", "1", "--max-cost-usd", "1")
        assert run.code == 0, run.err
        assert "Cost cap: cost cap of $1.00 not enforced: claude runs on a subscription login" in pull.summary()
        new_push(pull, github, value)
