from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from ccplugin import config, paths
from ccplugin.errors import CCError
from ccplugin.review import findings, prompts
from ccplugin.review.model import Hunk, Location


def test_render_fills_placeholders_once() -> None:
    text = prompts.render(
        "adversarial-review",
        target_label="branch diff",
        review_input="{{USER_FOCUS}} stays literal",
        focus="retries",
    )
    assert "retries" in text
    assert "{{USER_FOCUS}} stays literal" in text
    assert "{{" not in text.replace("{{USER_FOCUS}} stays literal", "")


def test_review_prompt_has_no_focus_section_and_default_focus_is_explicit() -> None:
    assert "retries" not in prompts.render("review", target_label="t", review_input="x", focus="retries")
    assert prompts.NO_FOCUS in prompts.render("adversarial-review", target_label="t", review_input="x")


def test_schema_is_valid_and_rejects_bad_severity() -> None:
    schema = prompts.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    bad = {
        "verdict": "approve",
        "summary": "s",
        "next_steps": [],
        "findings": [
            {
                "severity": "blocker",
                "title": "t",
                "body": "b",
                "file": "f",
                "line_start": 1,
                "line_end": 1,
                "confidence": 0.5,
                "recommendation": "",
            }
        ],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_parse_adds_fingerprint_and_location() -> None:
    hunks = {"calc.py": (Hunk(1, 5, frozenset({2})),)}
    raw = {
        "verdict": "needs-attention",
        "summary": " s ",
        "next_steps": ["x"],
        "findings": [
            {
                "severity": "high",
                "title": "Sign flip",
                "body": "b",
                "file": "./calc.py",
                "line_start": 2,
                "line_end": 1,
                "confidence": 0.8,
                "recommendation": "r",
            }
        ],
    }
    result = findings.parse(raw, hunks)
    (f,) = result.findings
    assert (f.file, f.line_start, f.line_end, f.location) == ("calc.py", 2, 2, Location.ADDED)
    assert f.fingerprint == findings.fingerprint("calc.py", "sign  flip", "high")
    assert result.summary == "s"


def test_settings_from_pyproject_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ccplugin]\nfail_on = "medium"\nexclude = ["*.lock"]\n')
    s = config.load_settings(tmp_path)
    assert (s.fail_on, s.exclude) == ("medium", ("*.lock",))
    assert s.override(fail_on="critical", timeout=None).fail_on == "critical"


def test_dotfile_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ccplugin]\nfail_on = "medium"\n')
    (tmp_path / ".ccplugin.toml").write_text('fail_on = "low"\n')
    assert config.load_settings(tmp_path).fail_on == "low"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[tool.ccplugin]\nfail_on = "severe"\n', "invalid fail_on"),
        ("[tool.ccplugin]\nfrobnicate = 1\n", "unknown setting `frobnicate`"),
        ("[tool.ccplugin\n", "cannot read pyproject.toml"),
    ],
)
def test_bad_settings(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(CCError, match=problem):
        config.load_settings(tmp_path)


def test_state_root_resolution(tmp_path: Path) -> None:
    assert Path(paths.state_root({"CCPLUGIN_HOME": str(tmp_path)})) == tmp_path
    assert Path(paths.state_root({"XDG_STATE_HOME": str(tmp_path)})) == tmp_path / "ccplugin"
    assert Path(paths.state_root({"HOME": str(tmp_path)})) == tmp_path / ".local/state/ccplugin"


def test_owner_session_rejects_malformed_ids() -> None:
    assert paths.owner_session({"CODEX_SESSION_ID": "019a-abc"}) == "019a-abc"
    assert paths.owner_session({"CODEX_SESSION_ID": "../../x"}) is None
    assert paths.owner_session({}) is None


def test_workspace_walks_up_to_the_work_tree(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert paths.workspace(str(tmp_path / "a" / "b")) == str(tmp_path.resolve())
    (tmp_path / "a" / ".git").write_text("gitdir: /elsewhere\n")  # a linked worktree or submodule
    assert paths.workspace(str(tmp_path / "a" / "b")) == str((tmp_path / "a").resolve())


def test_an_empty_git_folder_is_not_a_work_tree(tmp_path: Path) -> None:
    """Codex's sandbox leaves empty ``.git`` mount targets in its writable roots (/tmp)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "a").mkdir()
    assert paths.workspace(str(tmp_path / "a")) == str((tmp_path / "a").resolve())
