"""The Action's review cache between runs: the composite steps run locally twice, the cache folder
carried over the way actions/cache carries it; an entry the change's own code plants earlier in the
job never counts."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ccplugin.testing.runner import OfflineClaude
from support.fake_github import FakeGitHub
from test_action_yaml import INSTALLED, ActionRun, run_action
from test_ci_github import FINDINGS, PullRequest, github, pull, structured

__all__ = ["github", "pull"]

pytestmark = pytest.mark.real_claude
FOLDER = "ccplugin-review-cache"


@dataclass
class PlatformCache:
    """actions/cache/restore and /save as the platform keeps them: immutable entries under a key; a
    restore takes the exact key, else the newest entry starting with a restore key, in order."""

    store: Path
    entries: dict[str, Path] = field(default_factory=dict)  # oldest first
    restored: list[str] = field(default_factory=list)

    def restore(self, given: dict[str, str]) -> None:
        for wanted in [given["key"], *given.get("restore-keys", "").splitlines()]:
            found = self._find(wanted.strip(), exact=wanted == given["key"])
            if found:
                shutil.copytree(self.entries[found], given["path"], dirs_exist_ok=True)
                self.restored.append(found)
                return

    def save(self, given: dict[str, str]) -> None:
        if given["key"] in self.entries:  # entries are immutable
            return
        target = self.store / str(len(self.entries))
        shutil.copytree(given["path"], target)
        self.entries[given["key"]] = target

    def _find(self, wanted: str, *, exact: bool) -> str | None:
        if not wanted:
            return None
        if exact:
            return wanted if wanted in self.entries else None
        return next((k for k in reversed(self.entries) if k.startswith(wanted)), None)

    def uses(self) -> dict[str, object]:
        return {"actions/cache/restore": self.restore, "actions/cache/save": self.save}


@dataclass
class Runner:
    """One job on a fresh runner: its own temp folder and empty state folder."""

    pull: PullRequest
    claude: OfflineClaude
    github: FakeGitHub
    root: Path
    run_id: str

    @property
    def temp(self) -> Path:
        return self.root / "temp"

    def env(self) -> dict[str, str]:
        env = self.pull.env(self.claude, self.github) | {"HARNESS_PYTHON": sys.executable}
        del env["GITHUB_OUTPUT"]
        env |= {
            "CCPLUGIN_HOME": str(self.root / "state"),
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_BASE_REF": "main",
            "GITHUB_RUN_ID": self.run_id,
        }
        return env

    def run(self, platform: PlatformCache) -> ActionRun:
        self.temp.mkdir(parents=True, exist_ok=True)
        inputs = {"sarif": "", "junit": "", "github-token": self.github.WRITE_TOKEN}
        return run_action(inputs, self.env(), self.pull.work, self.temp, {"install": INSTALLED}, platform.uses())


def runner(pull: PullRequest, claude: OfflineClaude, gh: FakeGitHub, root: Path, run_id: str) -> Runner:
    return Runner(pull, claude, gh, root, run_id)


def test_the_second_run_with_the_cache_carried_over_makes_no_model_call(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    platform = PlatformCache(tmp_path / "platform")
    first = runner(pull, claude, github, tmp_path / "job1", "100").run(platform)
    assert first.outputs["gate"] == "fail", first.step("Review").err
    assert len(claude.fake.message_requests()) == 1
    assert "Cached: reuses" not in pull.summary()
    assert list(platform.entries) == ["ccplugin-review-v1-Linux-refs/pull/7/merge-100-1"]
    second = runner(pull, claude, github, tmp_path / "job2", "101").run(platform)
    assert second.outputs["gate"] == "fail", second.step("Review").err
    assert len(claude.fake.message_requests()) == 1  # the hit came from the first run's saved folder
    assert platform.restored == ["ccplugin-review-v1-Linux-refs/pull/7/merge-100-1"]
    assert f"Cached: reuses the review of {first.outputs['job-id']} (" in pull.summary()
    assert second.step("Save the review cache").skipped == ""  # saved although the gate failed


def test_a_pull_request_reads_its_base_branchs_cache(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    platform = PlatformCache(tmp_path / "platform")
    job = runner(pull, claude, github, tmp_path / "job1", "100")
    job.run(platform)
    (key,) = platform.entries
    platform.entries = {
        "ccplugin-review-v1-Linux-refs/heads/main-50-1": platform.entries[key],  # the base branch wrote it
        "ccplugin-review-v1-Linux-refs/heads/other-60-1": tmp_path / "nothing",  # a branch it does not target
    }
    again = runner(pull, claude, github, tmp_path / "job2", "101").run(platform)
    assert again.outputs["gate"] == "fail"
    assert platform.restored == ["ccplugin-review-v1-Linux-refs/heads/main-50-1"]
    assert len(claude.fake.message_requests()) == 1


def test_an_entry_planted_earlier_in_the_job_does_not_make_the_gate_pass(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    # a genuine, approving entry for exactly this change and these inputs: what the change's code
    # could compute and write (ccplugin is importable in the job, the key is no secret)
    approving = cc_fake_claude(structured())
    scout = runner(pull, approving, github, tmp_path / "scout", "99")
    assert scout.run(PlatformCache(tmp_path / "scout-platform")).outputs["gate"] == "pass"
    planted = list((scout.temp / FOLDER).glob("*.json"))  # the review's entry and its reviewed-head record
    assert planted

    claude = cc_fake_claude(structured(*FINDINGS))
    job = runner(pull, claude, github, tmp_path / "job", "100")
    for folder in (job.temp / FOLDER, job.root / "state" / "cache"):  # "its tests ran earlier in the job"
        folder.mkdir(parents=True)
        for entry in planted:
            shutil.copy(entry, folder / entry.name)
    ran = job.run(PlatformCache(tmp_path / "platform"))
    assert ran.outputs["gate"] == "fail", ran.step("Review").err
    assert len(claude.fake.message_requests()) == 1  # reviewed for real


def test_the_cache_is_emptied_restored_and_saved_only_around_the_review() -> None:
    """No post-job save (plain actions/cache saves after the job's later steps, the change's code
    among them), and the folder is emptied before anything is restored into it."""
    from test_action_yaml import action

    steps = action()["runs"]["steps"]
    names = [s["name"] for s in steps]
    assert names[-4:] == ["Prepare the review cache", "Restore the review cache", "Review", "Save the review cache"]
    assert {s["uses"].partition("@")[0] for s in steps if "cache" in s.get("uses", "")} == {
        "actions/cache/restore",
        "actions/cache/save",
    }
    prepare = steps[names.index("Prepare the review cache")]["run"]
    assert prepare.index('rm -rf -- "$folder"') < prepare.index('mkdir -m 700 -- "$folder"')
