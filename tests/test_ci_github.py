"""`ccplugin ci github` / `ci merge` end to end: real git, the real claude CLI against the fake
Anthropic API, and the loopback fake GitHub REST API (which answers 422 for a comment outside
the diff and 403 for a read-only token, like GitHub)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from ccplugin.ci.github import pr, summary, workflow
from ccplugin.review.model import Finding
from ccplugin.testing import fail, reply, structured_output, text, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import (
    CliRun,
    ccplugin,
    controls_in,
    finding,
    hostile_finding,
    install_reporter,
    review_output,
    strings,
    tree_snapshot,
)
from support.fake_github import FakeGitHub, files_from_git
from test_junit_sarif import junit_schema, sarif_schema

__all__ = ["junit_schema", "sarif_schema"]  # fixtures shared with the reporter tests


@dataclass(frozen=True)
class Schemas:
    junit: xmlschema.XMLSchema
    sarif: dict[str, Any]

    def check(self, junit: Path, sarif: Path) -> dict[str, Any]:
        """Validate both files; the SARIF document."""
        self.junit.validate(str(junit))
        doc: dict[str, Any] = json.loads(sarif.read_text())
        jsonschema.Draft4Validator(self.sarif).validate(doc)
        return doc


@pytest.fixture
def schemas(junit_schema: xmlschema.XMLSchema, sarif_schema: dict[str, Any]) -> Schemas:
    return Schemas(junit_schema, sarif_schema)


PR = 7
CALC_BASE = "def add(a, b):\n    return a + b\n"
CALC_HEAD = CALC_BASE + "\n\ndef sub(a, b):\n    return b - a\n"
UTIL = "".join(f"VALUE_{i} = {i}\n" for i in range(1, 21))


@dataclass
class PullRequest:
    """A work tree checked out at a pull request's head, its bare origin, and the runner's files."""

    work: Path
    origin: Path
    base: str
    head: str
    files: Path
    fork: bool = False
    event_name: str = "pull_request"
    extra_env: dict[str, str] = field(default_factory=dict)

    def event(self, **pull: Any) -> Path:
        head_repo = "forker/repo" if self.fork else "octo/repo"
        payload = {
            "action": "synchronize",
            "number": PR,
            "repository": {"full_name": "octo/repo", "default_branch": "main"},
            "pull_request": {
                "number": PR,
                "draft": False,
                "base": {"sha": self.base, "ref": "main", "repo": {"full_name": "octo/repo"}},
                "head": {"sha": self.head, "ref": "feature", "repo": {"full_name": head_repo}},
                **pull,
            },
        }
        path = self.files / "event.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def env(self, claude: OfflineClaude | None, gh: FakeGitHub | None, token: str | None = None) -> dict[str, str]:
        base = dict(claude.env) if claude else _plain_env(self.files)
        runner = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(self.event()),
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_OUTPUT": str(self.files / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(self.files / "summary.md"),
            "GITHUB_WORKSPACE": str(self.work),
        }
        if gh is not None:
            runner |= {"GITHUB_API_URL": gh.url, "GITHUB_TOKEN": token or gh.WRITE_TOKEN}
        return base | runner | self.extra_env

    def outputs(self) -> dict[str, str]:
        return parse_outputs((self.files / "output.txt").read_text(encoding="utf-8"))

    def summary(self) -> str:
        return (self.files / "summary.md").read_text(encoding="utf-8")

    def push(self, path: str, text: str) -> None:
        """A new commit on the pull request's branch."""
        (self.work / path).write_text(text)
        git(self.work, "commit", "-qam", f"edit {path}")
        git(self.work, "push", "-q", "origin", "HEAD:feature")
        self.head = git(self.work, "rev-parse", "HEAD").strip()


def _plain_env(files: Path) -> dict[str, str]:
    import os

    home = files / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "CCPLUGIN_HOME": str(files / "state")}


def parse_outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as GitHub reads it (``name<<DELIM`` … ``DELIM`` and ``name=value``)."""
    out: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value_ = line.split("=", 1)
            out[name] = value_
    return out


def make_pr(root: Path) -> PullRequest:
    """main: calc.py and util.py; the feature branch adds a buggy ``sub`` and edits util.py line 18."""
    origin, work, files = root / "origin.git", root / "work", root / "runner"
    for d in (work, files):
        d.mkdir(parents=True)
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "init", "-q", "-b", "main")
    (work / "calc.py").write_text(CALC_BASE)
    (work / "util.py").write_text(UTIL)
    git(work, "add", ".")
    git(work, "commit", "-qm", "base")
    base = git(work, "rev-parse", "HEAD").strip()
    git(work, "checkout", "-qb", "feature")
    (work / "calc.py").write_text(CALC_HEAD)
    (work / "util.py").write_text(UTIL.replace("VALUE_18 = 18", "VALUE_18 = 180"))
    git(work, "commit", "-qam", "add sub")
    head = git(work, "rev-parse", "HEAD").strip()
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main", "feature")
    return PullRequest(work, origin, base, head, files)


@pytest.fixture
def pull(tmp_path: Path) -> PullRequest:
    return make_pr(tmp_path / "pr")


@pytest.fixture
def github(pull: PullRequest) -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
        yield gh
    assert gh.violations == []  # every request body was one GitHub's published description allows


FINDINGS = (
    finding("calc.py", 6),  # an added line: in-line
    finding("calc.py", 1, "low", "Old naming"),  # a context line of the same hunk: in-line
    finding("util.py", 2, "medium", "Magic numbers"),  # a changed file, outside its hunk: body
    finding("docs/guide.md", 3, "low", "Stale docs"),  # a file the change did not touch: body
)


def structured(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def ci(pull: PullRequest, env: dict[str, str], *args: str) -> CliRun:
    return ccplugin("ci", "github", *args, cwd=pull.work, env=env)


def annotations(out: str) -> list[str]:
    return [line for line in out.splitlines() if re.match(r"::(error|warning|notice) ", line)]


# --- a full run --------------------------------------------------------------------------------


@pytest.mark.real_claude
def test_full_run_reports_every_way(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], schemas: Schemas
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    junit, sarif = pull.files / "out" / "cc.xml", pull.files / "out" / "cc.sarif"
    run = ci(pull, pull.env(claude, github), "--fail-on", "high", "--junit", str(junit), "--sarif", str(sarif))
    assert run.code == 1, run.err

    shown = annotations(run.out)
    assert shown[0] == "::error file=calc.py,line=6,title=[high] Sign flipped::Sign flipped at calc.py:6.%0A%0A" + (
        "Recommendation: Restore the original operator."
    )
    assert [a.split(" ", 1)[0] for a in shown] == ["::error", "::warning", "::notice", "::notice"]

    out = pull.outputs()
    assert out["gate"] == "fail" and out["verdict"] == "needs-attention"
    assert (out["findings-count"], out["gating-count"]) == ("4", "1")
    assert out["junit-path"] == str(junit) and out["job-id"].startswith("review-")
    assert float(out["cost-usd"]) > 0

    text = pull.summary()
    assert "**Gate: ❌ FAIL**" in text and "| high | [`calc.py:6`](https://github.example/octo/repo/blob/" in text
    assert "#### What the reviewer saw" in text

    (review,) = github.reviews(PR)
    assert review["commit_id"] == pull.head
    comments = github.review_comments(PR)
    assert sorted((c["path"], c["line"]) for c in comments) == [("calc.py", 1), ("calc.py", 6)]
    assert all("<!-- ccplugin:fp=" in c["body"] for c in comments)
    assert "`util.py:2` Magic numbers" in review["body"] and "`docs/guide.md:3` Stale docs" in review["body"]
    assert not [r for r in github.requests if r.status == 422]
    (sticky,) = github.issue_comments(PR)
    assert sticky["body"].startswith("<!-- ccplugin:summary:review -->") and "Sign flipped" in sticky["body"]

    doc = schemas.check(junit, sarif)
    assert len(doc["runs"][0]["results"]) == 4


ESCAPING_PATHS = ("../../../other-org/repo/blob/main/x.py", "/etc/passwd", "calc.py/../../elsewhere.py")


@pytest.mark.real_claude
def test_hostile_output_is_rendered_safely_everywhere(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], schemas: Schemas
) -> None:
    """Control sequences in every text field and paths that leave the repository: no surface carries either."""
    hostile = [
        hostile_finding("calc.py", 6),
        hostile_finding(str(pull.work / "calc.py"), 1, "low", "Absolute inside"),
        hostile_finding("b/util.py", 2, "medium", "Diff prefix"),
        *(hostile_finding(p, 3, "medium", f"Escapes {i}") for i, p in enumerate(ESCAPING_PATHS)),
    ]
    output = review_output(*hostile, summary="All good \x1b[2J\x1b[3J\x1b]0;owned\x07")
    claude = cc_fake_claude([reply(structured_output(output), tool_offered="StructuredOutput")])
    junit, sarif, result = (pull.files / "out" / name for name in ("cc.xml", "cc.sarif", "result.json"))
    args = ("--fail-on", "high", "--junit", str(junit), "--sarif", str(sarif), "--result-json", str(result))
    run = ci(pull, pull.env(claude, github), *args)
    assert run.code == 1, run.err

    posted = [b["body"] for b in (*github.reviews(PR), *github.review_comments(PR), *github.issue_comments(PR))]
    doc = schemas.check(junit, sarif)
    texts = {
        "stdout": run.out,
        "stderr": run.err,
        "step summary": pull.summary(),
        "outputs": (pull.files / "output.txt").read_text(),
        "junit": junit.read_text(),
        "sarif": "\n".join(strings(doc)),
        "result": "\n".join(strings(json.loads(result.read_text()))),
        "pull request": "\n".join(posted),
    }
    for surface, value in texts.items():
        assert controls_in(value) == [], surface
        assert "other-org" not in value and "/etc/passwd" not in value and "elsewhere" not in value, surface
        assert str(pull.work / "calc.py") not in value, surface

    files = [f["file"] for f in json.loads(result.read_text())["review"]["findings"]]
    outside = "(outside the repository)"
    assert sorted(files) == sorted(["calc.py", "calc.py", "util.py", outside, outside, outside])
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
        for loc in r["locations"]
        if "physicalLocation" in loc
    ]
    assert sorted(uris) == ["calc.py", "calc.py", "util.py"]
    shown = annotations(run.out)
    assert len(shown) == 6
    assert {m.group(1) for a in shown if (m := re.search(r"file=([^,]*),", a))} == {"calc.py", "util.py"}
    links = re.findall(r"\]\((https?://[^)]*)\)", pull.summary())
    assert {link.split("/blob/", 1)[1].split("#")[0] for link in links if "/blob/" in link} == {
        f"{pull.head}/calc.py",
        f"{pull.head}/util.py",
    }
    assert all(link.startswith("https://github.example/octo/repo/") for link in links)
    assert {c["path"] for c in github.review_comments(PR)} <= {"calc.py", "util.py"}
    assert set(re.findall(r' file="([^"]*)"', junit.read_text())) == {"calc.py", "util.py"}


@pytest.mark.real_claude
def test_a_new_push_repeats_nothing(pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    assert ci(pull, pull.env(claude, github), "--fail-on", "high").code == 1
    pull.push("util.py", UTIL.replace("VALUE_18 = 18", "VALUE_18 = 181"))
    github.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
    github.outdate_comments(PR)  # GitHub marks the first push's comments outdated
    second = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert second.code == 1, second.err
    assert len(claude.fake.message_requests()) == 2  # a new diff: reviewed again
    assert len(github.review_comments(PR)) == 2 and len(github.reviews(PR)) == 1
    (sticky,) = github.issue_comments(PR)
    assert "Sign flipped" in sticky["body"]
    # each run first reads the summary comment for the last reviewed head (issue 13 item 2), then upserts it
    assert [r.method for r in github.requests if "issues" in r.path] == ["GET", "GET", "POST", "GET", "GET", "PATCH"]
    assert "4 already reported on an earlier push" in pull.summary()


@pytest.mark.real_claude
@pytest.mark.parametrize(
    ("rules", "flags", "code", "gate"),
    [
        (structured(finding("calc.py", 1, "low", "Old naming")), (), 0, "pass"),
        ([fail(500)], (), 3, "error"),
        ([fail(500)], ("--on-error", "pass"), 0, "error"),
        (structured(), ("--paths", "docs/**"), 0, "nothing"),
    ],
    ids=["pass", "error", "error-on-error-pass", "nothing-to-review"],
)
def test_exit_codes_follow_the_gate(
    pull: PullRequest,
    github: FakeGitHub,
    cc_fake_claude: type[OfflineClaude],
    rules: list[object],
    flags: tuple[str, ...],
    code: int,
    gate: str,
) -> None:
    claude = cc_fake_claude(rules)
    run = ci(pull, pull.env(claude, github), "--fail-on", "high", *flags)
    assert run.code == code, run.err
    assert pull.outputs()["gate"] == gate
    assert f"cc-review gate: {gate}" in run.out
    if gate == "error":
        assert annotations(run.out)[0].startswith("::error title=cc-review not reviewed::Claude API error")
        assert "ERROR (not reviewed)" in pull.summary()
        assert github.reviews(PR) == [] and len(github.issue_comments(PR)) == 1
    if gate == "nothing":  # the check stays green, but nothing anywhere reads as a pass
        assert annotations(run.out)[0].startswith("::notice title=cc-review nothing to review::")
        assert "(not a pass)" in annotations(run.out)[0]
        assert "NOTHING TO REVIEW" in pull.summary() or "nothing to review" in pull.summary().lower()
        assert claude.fake.message_requests() == []


# --- rescue on failure ------------------------------------------------------------------------

RESCUE_TASK = "blocking finding(s), listed below worst first"


def rescue_rules() -> list[object]:
    """The rescue run (told apart from the review by its task): read calc.py, fix ``sub``, say so."""
    calc = "__CWD__/calc.py"
    edit = {"file_path": calc, "old_string": "return b - a", "new_string": "return a - b"}
    return [
        reply(tool_use("Read", {"file_path": calc}), turn=0, prompt_contains=RESCUE_TASK),
        reply(tool_use("Edit", edit), turn=1, prompt_contains=RESCUE_TASK),
        reply(text("sub() returned b - a; it now returns a - b."), turn=2, prompt_contains=RESCUE_TASK),
    ]


@pytest.mark.real_claude
def test_rescue_on_failure_proposes_a_patch_and_keeps_the_gate(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([*rescue_rules(), *structured(*FINDINGS)])
    before = tree_snapshot(pull.work)
    run = ci(pull, pull.env(claude, github), "--fail-on", "high", "--rescue-on-failure")
    assert run.code == 1, run.err  # the gate's exit code, whatever the rescue did

    patch, notes = pull.work / "cc-rescue.patch", pull.work / "cc-rescue.md"
    out = pull.outputs()
    assert out["gate"] == "fail"
    assert (out["rescue-patch"], out["rescue-notes"]) == (str(patch), str(notes))
    assert "-    return b - a\n+    return a - b" in patch.read_text()
    git(pull.work, "apply", "--check", str(patch))
    assert "sub() returned b - a; it now returns a - b." in notes.read_text()
    assert "uncommitted changes" not in notes.read_text()  # its own files in the workspace do not count
    after = tree_snapshot(pull.work)
    assert set(after) - set(before) == {"cc-rescue.patch", "cc-rescue.md"}  # into the workspace, nothing else
    assert {k: v for k, v in after.items() if k in before} == before  # the checkout, .git included
    assert len(git(pull.work, "worktree", "list").splitlines()) == 1

    review, *rescue = claude.fake.message_requests()
    assert RESCUE_TASK not in review.summary.prompt_text
    task = rescue[0].summary.prompt_text
    assert "[high] calc.py:6 — Sign flipped" in task and "Recommendation: Restore the original operator." in task
    assert "Magic numbers" not in task  # only the gating findings
    assert re.search(r"- cc-rescue: patch \S+cc-rescue\.patch \(calc\.py\) · cost \$\d", pull.summary())
    assert "cc-rescue: patch" in run.out


@pytest.mark.real_claude
def test_no_rescue_when_the_gate_passes(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude([*rescue_rules(), *structured(finding("calc.py", 1, "low", "Old naming"))])
    run = ci(pull, pull.env(claude, github), "--fail-on", "high", "--rescue-on-failure")
    assert run.code == 0, run.err
    out = pull.outputs()
    assert (out["gate"], out["rescue-patch"], out["rescue-notes"]) == ("pass", "", "")
    assert len(claude.fake.message_requests()) == 1 and not (pull.work / "cc-rescue.md").exists()


# --- forks and tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("on_error", ["fail", "pass"])
def test_fork_without_a_key_is_not_reviewed(pull: PullRequest, github: FakeGitHub, on_error: str) -> None:
    pull.fork = True
    env = pull.env(None, github, github.READ_TOKEN)
    run = ci(pull, env, "--fail-on", "high", "--on-error", on_error)
    assert run.code == (3 if on_error == "fail" else 0), run.err
    notice, warning = annotations(run.out)
    assert notice.startswith("::notice title=cc-review not reviewed::not reviewed: no credentials on fork PRs")
    assert warning.startswith("::warning title=cc-review pull-request review not posted::could not update")
    assert "read-only token" in warning
    assert pull.outputs()["gate"] == "error"
    assert "not reviewed: no credentials on fork PRs" in pull.summary()
    assert [r.status for r in github.requests if r.method != "GET"] == [403]


@pytest.mark.real_claude
def test_read_only_token_falls_back_to_annotations(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    pull.fork = True  # a fork whose workflow was given the key, but still a read-only token
    claude = cc_fake_claude(structured(*FINDINGS))
    run = ci(pull, pull.env(claude, github, github.READ_TOKEN), "--fail-on", "high")
    assert run.code == 1, run.err
    shown = annotations(run.out)
    # issue 11 item 12: why nothing was posted comes first (it used to come last, past the display limit)
    assert len(shown) == 5 and shown[0].startswith("::warning title=cc-review pull-request review not posted")
    assert github.reviews(PR) == [] and github.issue_comments(PR) == []
    assert [r.status for r in github.requests if r.method == "POST"] == [403]
    assert "the findings are in the annotations" in pull.summary()


def test_pull_request_target_refuses_fork_code(pull: PullRequest, github: FakeGitHub) -> None:
    pull.fork, pull.event_name = True, "pull_request_target"
    run = ci(pull, pull.env(None, github), "--fail-on", "high")
    assert run.code == 2
    assert run.err.count("\n") == 1 and "refusing to review a fork's pull request" in run.err
    assert "--allow-pull-request-target" in run.err and github.requests == []


# --- a shallow clone ---------------------------------------------------------------------------


@pytest.mark.real_claude
def test_shallow_clone_fetches_the_base(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    shallow = pull.work.parent / "shallow"
    git(pull.work.parent, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{pull.origin}", str(shallow))
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    pull.work = shallow
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    assert "fetching the review base" in run.err and "deepening" in run.err
    (request,) = claude.fake.message_requests()
    assert "return b - a" in request.summary.prompt_text
    assert f"(merge-base {pull.base[:7]})" in pull.summary()


# --- bad input: one line, exit 2 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "args", "words"),
    [
        ("missing-event", (), "event file"),
        ("no-pull-request", (), "has no pull request"),
        ("push-event", (), "not the `push` event"),
        ("bad-mode", ("--mode", "rubber-stamp"), "invalid choice: 'rubber-stamp'"),
        ("bad-fail-on", ("--fail-on", "severe"), "invalid choice: 'severe'"),
        ("bad-max-comments", ("--max-comments", "-1"), "whole number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(pull: PullRequest, case: str, args: tuple[str, ...], words: str) -> None:
    env = pull.env(None, None)
    if case == "missing-event":
        env["GITHUB_EVENT_PATH"] = str(pull.files / "nope.json")
    elif case == "no-pull-request":
        Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"action": "opened", "pull_request": None}))
    elif case == "push-event":
        env["GITHUB_EVENT_NAME"] = "push"
    run = ci(pull, env, *args)
    assert run.code == 2, run.err
    assert run.err.startswith("ccplugin: error: ") and run.err.count("\n") == 1, run.err
    assert words in run.err
    assert run.out == ""


# --- shards ------------------------------------------------------------------------------------


@pytest.mark.real_claude
def test_shards_merge_into_one_gate(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], schemas: Schemas
) -> None:
    calc_rule = reply(
        structured_output(review_output(finding("calc.py", 6))),
        tool_offered="StructuredOutput",
        prompt_contains="return b - a",
    )
    claude = cc_fake_claude([calc_rule, *structured()])
    results = pull.files / "results"
    for label, glob in (("calc", "calc.py"), ("util", "util.py")):
        args = ("--fail-on", "high", "--paths", glob, "--label", label, "--result-json", str(results / f"{label}.json"))
        ci(pull, pull.env(claude, github), *args)
    (calc_prompt, util_prompt) = [r.summary.prompt_text for r in claude.fake.message_requests()]
    assert "return b - a" in calc_prompt and "return b - a" not in util_prompt
    assert {c["body"].split("\n", 1)[0] for c in github.issue_comments(PR)} == {
        "<!-- ccplugin:summary:review:calc -->",
        "<!-- ccplugin:summary:review:util -->",
    }
    env = pull.env(None, None)
    junit, sarif = pull.files / "merged.xml", pull.files / "merged.sarif"
    merged = ccplugin(
        "ci", "merge", str(results), "--junit", str(junit), "--sarif", str(sarif), "--json", cwd=pull.work, env=env
    )
    assert merged.code == 1, merged.err
    out = json.loads(merged.out)
    assert out["gate"]["status"] == "fail" and len(out["review"]["findings"]) == 1
    assert "calc: fail" in out["gate"]["reason"] and "util: pass" in out["gate"]["reason"]
    schemas.check(junit, sarif)
    assert "shard **calc**: fail" in pull.summary()
    missing = ccplugin("ci", "merge", str(results / "util.json"), "--expect", "2", cwd=pull.work, env=env)
    assert missing.code == 3 and "1 expected shard result(s) missing" in missing.out


@pytest.mark.real_claude
def test_merge_counts_a_repeated_shard_once(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    """One passing shard given three times (and as a copy) is one shard: `--expect 3` is ERROR, not PASS."""
    claude = cc_fake_claude(structured())
    util = pull.files / "results" / "util.json"
    args = ("--fail-on", "high", "--paths", "util.py", "--label", "util", "--result-json", str(util))
    ran = ci(pull, pull.env(claude, github), *args)
    assert ran.code == 0, ran.err
    copy = util.with_name("copy.json")
    copy.write_bytes(util.read_bytes())
    env = pull.env(None, None)
    alone = ccplugin("ci", "merge", str(util), "--expect", "1", "--json", cwd=pull.work, env=env)
    assert alone.code == 0 and json.loads(alone.out)["gate"]["status"] == "pass", alone.err
    for given in ((str(util),) * 3, (str(util), str(copy), str(util.parent))):
        merged = ccplugin("ci", "merge", *given, "--expect", "3", "--json", cwd=pull.work, env=env)
        assert merged.code == 3, merged.out
        out = json.loads(merged.out)
        assert out["gate"]["status"] == "error" and out["target"]["label"] == "1 shard(s): util"
        assert "2 expected shard result(s) missing" in out["gate"]["reason"]
        assert any("repeat a shard already given" in note for note in out["ci"]["notes"])


def test_merge_refuses_a_shard_with_a_nan_confidence(tmp_path: Path) -> None:
    """Python's json reads NaN; SARIF written from it would not be JSON: the shard is bad input, nothing is written."""
    from ccplugin.review import findings, gate
    from ccplugin.review.outcome import InputSummary, ReviewOutcome, TargetSummary

    review = findings.parse(review_output(finding("calc.py", 6)), {}, tmp_path)
    decided = gate.decide(review, gate.GatePolicy("high"))
    outcome = ReviewOutcome("review", decided, TargetSummary(label="x"), InputSummary(), "m", None, review)
    shard = tmp_path / "shard.json"
    shard.write_text(json.dumps(outcome.to_dict()).replace('"confidence": 0.9', '"confidence": NaN'))
    assert "NaN" in shard.read_text()
    sarif = tmp_path / "merged.sarif"
    run = ccplugin("ci", "merge", str(shard), "--sarif", str(sarif), cwd=tmp_path, env=_plain_env(tmp_path))
    assert run.code == 2 and run.err.count("\n") == 1, run.err
    assert "is not a shard result" in run.err and "confidence must be a number from 0 to 1" in run.err
    assert not sarif.exists()


def test_merge_writes_reports_and_refuses_an_unknown_format(tmp_path: Path) -> None:
    """`ci merge --report`: the merged outcome through any reporter (GitHub's included); an unknown one: exit 7."""
    from ccplugin.jobs.kinds import ReviewMode
    from ccplugin.review import findings, gate
    from ccplugin.review.outcome import InputSummary, ReviewOutcome, TargetSummary

    review = findings.parse(review_output(finding("calc.py", 6)), {}, tmp_path)
    decided = gate.decide(review, gate.GatePolicy("high"))
    outcome = ReviewOutcome(ReviewMode.REVIEW, decided, TargetSummary(label="x"), InputSummary(), "m", None, review)
    shard = tmp_path / "shard.json"
    shard.write_text(json.dumps({**outcome.to_dict(), "label": "calc"}))
    env, out = _plain_env(tmp_path), tmp_path / "out"
    reports = ("--report", f"json={out / 'merged.json'}", "--report", f"github-summary={out / 'merged.md'}")
    run = ccplugin("ci", "merge", str(shard), *reports, cwd=tmp_path, env=env)
    assert run.code == 1, run.err
    assert json.loads((out / "merged.json").read_text())["gate"]["status"] == "fail"
    assert "**Gate: ❌ FAIL**" in (out / "merged.md").read_text()
    unknown = ccplugin("ci", "merge", str(shard), "--report", f"nope={out / 'x'}", cwd=tmp_path, env=env)
    assert unknown.code == 7 and "unknown report format 'nope': use one of: github-summary, json, " in unknown.err


# --- the runner protocol and placement, without a review ---------------------------------------


def _finding(severity: str, line: int, end: int | None = None, file: str = "a.py", **extra: Any) -> Finding:
    fp = f"{['critical', 'high', 'medium', 'low'].index(severity)}{line:015x}"
    return Finding(severity, f"t{line}", "body", file, line, end or line, 0.5, "", fp, **extra)


def test_workflow_commands_escape_data_and_properties() -> None:
    line = workflow.command("error", "100% bad\r\nnext", file="a,b:c.py", line=3, title="x: y, z")
    assert line == "::error file=a%2Cb%3Ac.py,line=3,title=x%3A y%2C z::100%25 bad%0D%0Anext"


def test_annotations_worst_first_and_capped_per_type() -> None:
    findings = [_finding("low", n) for n in range(1, 13)] + [_finding("critical", 99), _finding("high", 5)]
    found = workflow.finding_annotations(findings, {"error": 9})
    kinds = [a.split(" ", 1)[0] for a in found.lines]
    assert kinds == ["::error"] + ["::notice"] * 10
    assert "line=99" in found.lines[0] and dict(found.dropped) == {"error": 1, "notice": 2}


def test_step_summary_stays_within_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    blocks = ["# head"] + ["| row | " + "x" * 1000 + " |" for _ in range(2000)]
    assert workflow.append_summary(str(path), blocks, "_cut_") is False
    data = path.read_bytes()
    assert len(data) <= workflow.SUMMARY_LIMIT and data.endswith(b"\n_cut_\n")
    assert data.count(b"| row |") == data.count(b"x |\n") > 1000  # whole rows only
    assert len(data) + 1011 > workflow.SUMMARY_LIMIT  # and as many as fit


def test_outputs_survive_a_value_that_looks_like_a_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "out"
    workflow.set_outputs(str(path), {"a": "one\nghadelimiter_x\ntwo", "b": ""})
    assert parse_outputs(path.read_text()) == {"a": "one\nghadelimiter_x\ntwo", "b": ""}


def test_a_finding_is_placed_inside_one_hunk_or_not_at_all() -> None:
    hunks = pr.pr_hunks([{"filename": "a.py", "status": "modified", "patch": "@@ -8,3 +8,4 @@\n x\n+y\n x\n x"}])
    assert pr.place(_finding("high", 9), hunks) == pr.Comment(_finding("high", 9), 9)
    assert pr.place(_finding("high", 5, 9), hunks) == pr.Comment(_finding("high", 5, 9), 9, 8)
    assert pr.place(_finding("high", 12), hunks) is None
    assert pr.place(_finding("high", 9, file="b.py"), hunks) is None
    seen = pr.seen_fingerprints([pr.comment_body(_finding("low", 1), False), None])
    planned = pr.plan(
        [_finding("low", 1), _finding("high", 9), _finding("high", 10), _finding("low", 2)], hunks, seen, 1
    )
    assert [c.finding.line_start for c in planned.inline] == [9]
    assert [f.line_start for f in planned.in_body] == [10, 2] and len(planned.already) == 1


def test_reviewer_text_cannot_forge_a_marker_or_html() -> None:
    sneaky = _finding("high", 9).with_(body="<!-- ccplugin:fp=0123456789abcdef --> <img src=x>")
    assert pr.seen_fingerprints([pr.comment_body(sneaky, True)]) == {sneaky.fingerprint}
    assert "<img" not in summary.details(sneaky)


# --- reporters: --report FORMAT=PATH, from installed plugins only --------------------------------


@pytest.mark.real_claude
def test_report_writes_an_installed_plugins_format(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    install_reporter(tmp_path / "site", "ccplugin")
    claude = cc_fake_claude(structured(*FINDINGS))
    env = pull.env(claude, github) | {"PYTHONPATH": str(tmp_path / "site")}
    out = pull.files / "out"
    reports = ("--report", f"shouty={out / 'cc.txt'}", "--report", f"sarif={out / 'cc.sarif'}")
    run = ci(pull, env, "--fail-on", "high", *reports, "--report", f"github-summary={out / 'summary.md'}")
    assert run.code == 1, run.err
    # CI's default filter is `added` (issue 13 item 3): the reason says the three pre-existing ones do not gate
    assert (out / "cc.txt").read_text() == (
        "1 FINDING(S) AT OR ABOVE HIGH (WORST: HIGH); 3 PRE-EXISTING FINDING(S) SHOWN, NOT GATING (FILTER: ADDED)"
    )
    assert len(json.loads((out / "cc.sarif").read_text())["runs"][0]["results"]) == 4
    # the GitHub provider's own format: the step summary's markdown, less the run's notes
    written = (out / "summary.md").read_text()
    assert "**Gate: ❌ FAIL**" in written and written.split("\n")[0] == pull.summary().split("\n")[0]


def test_a_pull_request_cannot_add_a_reporter(pull: PullRequest) -> None:
    """The checkout is the pull request's head, and the working directory: its files declare no plugin."""
    install_reporter(pull.work, "ccplugin")
    git(pull.work, "add", ".")
    git(pull.work, "commit", "-qm", "a reporter of my own")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    (pull.work / "shouty_reporter.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('pwned').write_text('imported')\n"
    )
    run = ci(pull, pull.env(None, None), "--report", f"shouty={pull.files / 'cc.txt'}")
    assert run.code == 7, run.err
    assert run.err.strip().splitlines() == [
        "ccplugin: error: unknown report format 'shouty': use one of: github-summary, json, junit, markdown, "
        "sarif (a plugin adds more: see docs/plugins.md)"
    ]
    assert not (pull.work / "pwned").exists() and not (pull.files / "cc.txt").exists()


# --- pre-existing is not new: CI's default filter is `added` (issue 13 item 3) ----------------------


@pytest.mark.real_claude
def test_ci_defaults_to_added_and_labels_pre_existing_findings_everywhere(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    run = ci(pull, pull.env(claude, github), "--fail-on", "low")
    assert run.code == 1, run.err
    out = pull.outputs()
    assert (out["findings-count"], out["gating-count"]) == ("4", "1")  # only the added line's finding gates
    note = "3 pre-existing finding(s) shown, not gating (filter: added)"
    text = pull.summary()
    assert note in text
    assert "| context | pre-existing |" in text and "| added | new | gating |" in text
    (review,) = github.reviews(PR)
    assert note in review["body"] and "Magic numbers (pre-existing)" in review["body"]
    bodies = {c["line"]: c["body"] for c in github.review_comments(PR)}
    assert "cc-review · pre-existing · confidence" in bodies[1]
    assert "cc-review · new · gating · confidence" in bodies[6]
    (sticky,) = github.issue_comments(PR)
    assert note in sticky["body"]


@pytest.mark.real_claude
def test_ci_filter_flag_and_the_base_settings_file_beat_the_ci_default(
    pull: PullRequest, cc_fake_claude: type[OfflineClaude]
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    run = ci(pull, pull.env(claude, None), "--fail-on", "low", "--filter-mode", "nofilter", "--no-post-review")
    assert run.code == 1, run.err
    assert pull.outputs()["gating-count"] == "4"
    # the base commit's settings name a filter: CI's own default no longer applies
    git(pull.work, "checkout", "-q", "main")
    (pull.work / ".ccplugin.toml").write_text('filter_mode = "file"\n')
    git(pull.work, "add", ".ccplugin.toml")
    git(pull.work, "commit", "-qm", "settings")
    pull.base = git(pull.work, "rev-parse", "HEAD").strip()
    git(pull.work, "checkout", "-q", "feature")
    git(pull.work, "merge", "-q", "--no-edit", "main")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    git(pull.work, "push", "-q", "origin", "main", "feature")
    claude = cc_fake_claude(structured(*FINDINGS))
    run = ci(pull, pull.env(claude, None), "--fail-on", "low", "--no-post-review", "--no-cache")
    assert run.code == 1, run.err
    assert pull.outputs()["gating-count"] == "3"  # added, context and in-file: not the untouched file's
    assert "1 pre-existing finding(s) shown, not gating (filter: file)" in pull.summary()


# --- fixes you can commit: suggestion blocks, else a patch (issue 13 item 5) -------------------------


def _fenced(body: str, info: str) -> str:
    """The text of the one ``info`` fence in ``body``."""
    (found,) = re.findall(rf"(?ms)^(`{{3,}}){info}\n(.*?)^\1$", body)
    return str(found[1])


@pytest.mark.real_claude
def test_a_suggestion_in_one_hunk_is_a_committable_block_that_applies(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    findings = [
        finding("calc.py", 6) | {"replacement": "    return a - b"},  # inside calc.py's hunk, applies
        finding("util.py", 14, "medium", "Magic numbers", end=16) | {"replacement": "A = 14\nB = 15\nC = 16"},
    ]  # util.py 14-16: line 14 is outside the hunk (15-21), so the comment cannot carry a block
    claude = cc_fake_claude(structured(*findings))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    bodies = {c["path"]: c for c in github.review_comments(PR)}
    block = _fenced(bodies["calc.py"]["body"], "suggestion")
    assert (bodies["calc.py"].get("start_line"), bodies["calc.py"]["line"]) == (None, 6)
    # GitHub replaces the comment's lines with the block: do the same and compare with the intended fix
    lines = CALC_HEAD.splitlines(keepends=True)
    fixed = "".join(lines[:5]) + block + "".join(lines[6:])
    assert fixed == CALC_HEAD.replace("return b - a", "return a - b")
    assert "```diff" not in bodies["calc.py"]["body"]
    # the other is a patch in the comment body, and `git apply` takes it at the commit
    util = bodies["util.py"]["body"]
    assert "```suggestion" not in util and "as a patch: it is not a committable suggestion here" in util
    (pull.work / "fix.patch").write_text(_fenced(util, "diff"))
    git(pull.work, "apply", "--unidiff-zero", "fix.patch")
    assert (pull.work / "util.py").read_text().splitlines()[13:16] == ["A = 14", "B = 15", "C = 16"]


@pytest.mark.real_claude
def test_a_suggestion_that_does_not_apply_at_the_commit_is_only_a_patch(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude]
) -> None:
    """The checkout's line 6 is not the commit's (an uncommitted edit): no committable block for it."""
    (pull.work / "calc.py").write_text(CALC_HEAD.replace("return b - a", "return b - a  # edited"))
    claude = cc_fake_claude(structured(finding("calc.py", 6) | {"replacement": "    return a - b"}))
    run = ci(pull, pull.env(claude, github), "--fail-on", "high")
    assert run.code == 1, run.err
    (comment,) = github.review_comments(PR)
    assert "```suggestion" not in comment["body"]
    assert "-    return b - a  # edited\n+    return a - b\n" in _fenced(comment["body"], "diff")


def test_a_suggestion_fence_is_longer_than_any_backtick_run_in_it() -> None:
    from ccplugin.review.model import Suggestion

    sneaky = _finding("high", 9).with_(suggestion=Suggestion("x = '```'\n````\n", "x = 1\n"))
    body = pr.comment_body(sneaky, True, block=True)
    assert "`````suggestion\nx = '```'\n````\n`````\n" in body


def test_a_suggestion_holding_a_secret_is_never_a_committable_block() -> None:
    """Masking would change the code GitHub commits: the masked patch is shown instead."""
    from ccplugin.review.model import Suggestion

    leaky = _finding("high", 9).with_(suggestion=Suggestion('KEY = "sk-ant-abcdefghijkl"\n', "KEY = 1\n"))
    body = pr.comment_body(leaky, True, block=True)
    assert "```suggestion" not in body and "sk-ant-abcdefghijkl" not in body
    assert '+KEY = "sk-ant-' in _fenced(body, "diff")
