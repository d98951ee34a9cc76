"""Bad input at the command line: one line naming the problem and the fix, a distinct exit code, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git
from helpers import CliRun, ccplugin


def one_line_error(run: CliRun, code: int, *words: str) -> None:
    assert run.code == code, (run.code, run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("ccplugin: error: ")
    assert "Traceback" not in run.err
    for word in words:
        assert word in lines[0]


def env() -> dict[str, str]:
    return dict(os.environ)


def test_not_a_git_repository(tmp_path: Path) -> None:
    one_line_error(ccplugin("review", cwd=tmp_path, env=env()), 2, "not inside a git repository", "git init")


def test_repo_without_commits_cannot_do_a_branch_review(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    one_line_error(ccplugin("review", "--scope", "branch", cwd=tmp_path, env=env()), 2, "no commits", "working-tree")


def test_unknown_base(repo: Path) -> None:
    one_line_error(ccplugin("review", "--base", "nope", cwd=repo, env=env()), 2, "`nope` not found", "git fetch")


def test_shallow_clone_without_the_merge_base(tmp_path: Path, repo: Path) -> None:
    for i in range(3):
        (repo / f"f{i}.txt").write_text(f"{i}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{i}")
    git(repo, "checkout", "-q", "-b", "feature", "HEAD~2")
    (repo / "feature.txt").write_text("x\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "feature")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone))
    git(clone, "checkout", "-q", "feature")
    run = ccplugin("review", "--scope", "branch", "--base", "origin/main", cwd=clone, env=env())
    one_line_error(run, 2, "shallow clone", "fetch-depth: 0")


def test_detached_head_still_reviews_its_branch_target(repo: Path) -> None:
    (repo / "x.py").write_text("x = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "x")
    git(repo, "checkout", "-q", "--detach")
    run = ccplugin(
        "review", "--scope", "branch", "--base", "HEAD~1", "--json", cwd=repo, env={**env(), "PATH": "/usr/bin:/bin"}
    )
    assert run.code == 3, run.err  # claude is not on this PATH: the target resolved, the review could not run
    assert "detached HEAD" in run.json()["target"]["label"]


def test_unknown_flag_and_bad_choices(repo: Path) -> None:
    one_line_error(
        ccplugin("review", "--frobnicate", cwd=repo, env=env()), 2, "--frobnicate", "`ccplugin review --help`"
    )
    one_line_error(ccplugin("review", "--fail-on", "severe", cwd=repo, env=env()), 2, "severe")
    one_line_error(ccplugin("review", "--effort", "huge", cwd=repo, env=env()), 2, "huge", "low, medium")
    one_line_error(ccplugin("review", "--model", "two words", cwd=repo, env=env()), 2, "model")
    one_line_error(ccplugin("launch", cwd=repo, env=env()), 2, "launch")


@pytest.mark.parametrize("ref", ["../../etc/passwd", "review-zz", "x" * 300])
def test_invalid_job_ids(repo: Path, ref: str) -> None:
    for command in ("status", "result", "cancel"):
        run = ccplugin(command, ref, cwd=repo, env=env())
        one_line_error(run, 2)


def test_unknown_job(repo: Path) -> None:
    one_line_error(ccplugin("result", "review-abcdefg-abcdef", cwd=repo, env=env()), 2, "review-abcdefg-abcdef")


def test_corrupt_store(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "jobs.db").write_bytes(b"this is not sqlite" * 100)
    run = ccplugin("status", cwd=repo, env={**env(), "CCPLUGIN_HOME": str(state)})
    one_line_error(run, 2, "corrupt", "mv ")
    assert (state / "jobs.db").read_bytes() == b"this is not sqlite" * 100  # nothing lost


def test_unusable_state_directory(repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = ccplugin("status", cwd=repo, env={**env(), "CCPLUGIN_HOME": str(blocker / "state")})
    one_line_error(run, 2, "CCPLUGIN_HOME")


def test_status_with_no_jobs(repo: Path) -> None:
    run = ccplugin("status", cwd=repo, env=env())
    assert run.code == 0 and "No Claude Code jobs" in run.out
    assert ccplugin("status", "--json", cwd=repo, env=env()).json()["jobs"] == []
    one_line_error(ccplugin("result", cwd=repo, env=env()), 2, "no finished")


def test_odd_file_names_reach_the_review_input(repo: Path) -> None:
    for name in ("with space.py", "ünïcode.py", "-dash.py", "new\nline.py"):
        (repo / name).write_text("x = 1\n")
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    git(repo, "mv", "calc.py", "calc2.py")
    run = ccplugin("review", "--json", cwd=repo, env={**env(), "PATH": "/usr/bin:/bin"})
    assert run.code == 3, run.err
    files = {f["path"]: f for f in run.json()["input"]["files"]}
    assert {"with space.py", "ünïcode.py", "-dash.py", "new\nline.py"} <= set(files)
    assert files["blob.bin"]["binary"] is True
    assert files["calc2.py"]["old_path"] == "calc.py"


def _finished_review(root: Path, workspace: Path, result: object) -> str:
    """A completed review job whose stored result is ``result`` (as a newer or a damaged version left it)."""
    from ccplugin.jobs.store import State, Store

    with Store(root) as store:
        job = store.create(
            kind="review",
            workspace=str(workspace),
            owner=None,
            title="t",
            request={},
            model=None,
            effort=None,
            state=State.RUNNING,
        )
        assert store.transition(job.id, [State.RUNNING], State.COMPLETED, result=result) is not None
        return job.id


def _finding(confidence: float) -> dict[str, object]:
    from ccplugin.review.model import Finding

    return {**Finding("low", "t", "b", "a.py", 1, 1, 0.5, "").to_dict(), "confidence": confidence}


def _passing_outcome() -> dict[str, object]:
    from ccplugin.review import gate
    from ccplugin.review.model import ReviewResult
    from ccplugin.review.outcome import InputSummary, ReviewOutcome, TargetSummary

    review = ReviewResult("approve", "fine", ())
    policy = gate.GatePolicy("high")
    outcome = ReviewOutcome(
        "review", gate.decide(review, policy), TargetSummary(label="t"), InputSummary(), "m", None, review
    )
    return outcome.to_dict()


@pytest.mark.parametrize("case", ["unknown-gate-status", "list", "string", "no-gate", "nan-confidence"])
def test_result_of_a_record_it_cannot_read(repo: Path, case: str) -> None:
    good = _passing_outcome()
    result: object = {
        "unknown-gate-status": {**good, "gate": {**good["gate"], "status": "maybe"}},  # type: ignore[dict-item]
        "list": [good],
        "string": "pass",
        "no-gate": {k: v for k, v in good.items() if k != "gate"},
        "nan-confidence": {**good, "review": {**good["review"], "findings": [_finding(float("nan"))]}},  # type: ignore[dict-item]
    }[case]
    root = Path(env()["CCPLUGIN_HOME"])
    ok = _finished_review(root, repo, good)
    assert ccplugin("result", ok, cwd=repo, env=env()).code == 0
    job = _finished_review(root, repo, result)
    for args in ((job,), (job, "--json")):
        one_line_error(ccplugin("result", *args, cwd=repo, env=env()), 3, job, "cannot read", "ccplugin status")


@pytest.mark.parametrize("link", ["root", "logs"])
def test_linked_state_folder(repo: Path, tmp_path: Path, link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    state = tmp_path / "state"
    if link == "root":
        state.symlink_to(elsewhere)
    else:
        state.mkdir()
        (state / "logs").symlink_to(elsewhere)
    run = ccplugin("status", cwd=repo, env={**env(), "CCPLUGIN_HOME": str(state)})
    one_line_error(run, 2, "is a symbolic link", "rm ")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder away")
def test_another_users_state_folder(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    run = ccplugin("status", cwd=repo, env={**env(), "CCPLUGIN_HOME": str(state)})
    one_line_error(run, 2, "belongs to another user", "CCPLUGIN_HOME")
    assert list(state.iterdir()) == []
