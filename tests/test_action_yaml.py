"""The composite action itself: actionlint and shellcheck are clean, and its steps run locally, in
order, with the runner's ``GITHUB_*`` environment, against the fake GitHub and the fake Anthropic API."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccplugin.testing.runner import OfflineClaude
from conftest import git
from support.fake_github import FakeGitHub
from test_ci_github import FINDINGS, PR, PullRequest, github, parse_outputs, pull, structured

__all__ = ["github", "pull"]  # fixtures shared with test_ci_github

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action" / "action.yml"
EXAMPLES = sorted((ROOT / "examples" / "github").glob("*.yml"))
PUBLISHED = "your-org/ccplugin/action@v1"
BIN = Path(sys.executable).parent
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"`{name}` is missing: `pip install -e '.[test]'` installs it")
    return found


def action() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return spec


# --- static checks -----------------------------------------------------------------------------


def lint_repo(tmp_path: Path, workflows: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """actionlint over ``workflows`` in a scratch repository holding a copy of the action at ./action,
    so each `uses:` of the action is checked against action.yml's inputs and outputs."""
    repo = tmp_path / "lint"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copytree(ACTION.parent, repo / "action")
    git(repo, "init", "-q")
    for name, text in workflows.items():
        (repo / ".github" / "workflows" / name).write_text(text.replace(PUBLISHED, "./action"))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # shellcheck for run: steps
    return run([tool("actionlint"), "-color=false", "-shellcheck", tool("shellcheck")], repo, env)


def run(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)


def test_actionlint_passes_on_the_action_and_every_example(tmp_path: Path) -> None:
    assert len(EXAMPLES) >= 6
    done = lint_repo(tmp_path, {p.name: p.read_text() for p in EXAMPLES})
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_has_teeth(tmp_path: Path) -> None:
    bad = EXAMPLES[0].read_text().replace("anthropic-api-key:", "anthropic-key:") + (
        "      - run: echo ${{ steps.nope.outputs.gate }} $UNQUOTED\n"
    )
    done = lint_repo(tmp_path, {"bad.yml": bad})
    assert done.returncode == 1
    assert 'input "anthropic-key" is not defined in action' in done.stdout
    assert "SC2086" in done.stdout  # shellcheck ran on the run: script


def test_the_action_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for i, step in enumerate(s for s in action()["runs"]["steps"] if "run" in s):
        script = tmp_path / f"step{i}.sh"
        script.write_text("#!/usr/bin/env bash\n" + step["run"])
        done = run([tool("shellcheck"), "-s", "bash", str(script)], tmp_path)
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}"


def test_no_expression_is_interpolated_into_a_script() -> None:
    spec = action()
    for step in spec["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
        assert step.get("shell", "bash") == "bash" and ("run" not in step or step["shell"] == "bash")
    review = next(s for s in spec["runs"]["steps"] if s.get("id") == "review")
    passed = " ".join(review["env"].values())
    assert "toJSON(inputs)" in passed  # every input reaches the review step, as one JSON value
    assert set(spec["outputs"]) >= {
        "gate",
        "verdict",
        "findings-count",
        "gating-count",
        "junit-path",
        "sarif-path",
        "cost-usd",
        "job-id",
    }


# --- the steps, run locally --------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    skipped: str = ""  # why it did not run
    code: int = 0
    out: str = ""
    err: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


class Contexts:
    """Enough of the expression language for action.yml: contexts, '' literals, ==, !=, ||."""

    def __init__(self, inputs: dict[str, str], github: dict[str, str], env: Mapping[str, str], runner: dict[str, str]):
        self.inputs, self.github, self.env, self.runner = inputs, github, env, runner
        self.steps: dict[str, dict[str, str]] = {}

    def value(self, expr: str) -> str:
        expr = expr.strip()
        if "&&" in expr:
            return "true" if all(self.value(part) for part in expr.split("&&")) else ""
        if expr == "always()":
            return "true"
        if expr == "toJSON(inputs)":
            return json.dumps(self.inputs, indent=2)
        if "||" in expr:
            return next((v for v in (self.value(part) for part in expr.split("||")) if v), "")
        for op in ("!=", "=="):
            if op in expr:
                left, right = (self.value(x) for x in expr.split(op, 1))
                return "true" if (left != right) == (op == "!=") else ""
        if expr.startswith("'") and expr.endswith("'"):
            return expr[1:-1]
        head, _, rest = expr.partition(".")
        if head == "steps":
            step_id, _, output = rest.partition(".outputs.")
            return self.steps.get(step_id, {}).get(output, "")
        table = {"inputs": self.inputs, "github": self.github, "env": self.env, "runner": self.runner}[head]
        return str(table.get(rest, ""))

    def fill(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)


Uses = Mapping[str, Callable[[dict[str, str]], None]]  # `uses:` action (no version) → runs it with its `with:`


def run_action(
    inputs: Mapping[str, str],
    env: Mapping[str, str],
    workspace: Path,
    temp: Path,
    replace: Mapping[str, str],
    uses: Uses | None = None,
) -> ActionRun:
    """Run action.yml's steps in order the way the runner does: after a failed step only ``always()`` ones;
    a ``uses:`` step runs its stand-in from ``uses``, else is skipped with a note."""
    spec = action()
    unknown = set(inputs) - set(spec["inputs"])
    assert not unknown, f"not inputs of the action: {unknown}"
    github_ctx = {"token": env.get("GITHUB_TOKEN", ""), "action_path": str(ACTION.parent)}
    ctx = Contexts({}, github_ctx, env, {"temp": str(temp)})
    ctx.inputs = {k: ctx.fill(str(v.get("default", ""))) for k, v in spec["inputs"].items()} | dict(inputs)
    steps: list[StepRun] = []
    for step in spec["runs"]["steps"]:
        failed = any(s.code != 0 for s in steps)
        if failed and "always()" not in step.get("if", ""):
            steps.append(StepRun(step["name"], skipped="an earlier step failed"))
            continue
        steps.append(_step(step, ctx, env, workspace, temp, replace, uses or {}))
    outputs = {name: ctx.fill(o["value"]) for name, o in spec["outputs"].items()}
    return ActionRun(steps, outputs)


def _step(
    step: dict[str, Any],
    ctx: Contexts,
    env: Mapping[str, str],
    workspace: Path,
    temp: Path,
    replace: Mapping[str, str],
    uses: Uses,
) -> StepRun:
    name = step["name"]
    if "if" in step and not ctx.value(step["if"].removeprefix("${{").removesuffix("}}")):
        return StepRun(name, skipped="if: false")
    if "uses" in step:
        stand_in = uses.get(step["uses"].partition("@")[0])
        if stand_in is None:
            return StepRun(name, skipped=f"uses: {step['uses']} (not run locally)")
        stand_in({k: ctx.fill(str(v)) for k, v in (step.get("with") or {}).items()})
        return StepRun(name)
    script = replace.get(step.get("id", ""), step["run"])
    out_file = temp / f"output-{step.get('id') or len(ctx.steps)}.txt"
    out_file.touch()
    step_env = {**env, **{k: ctx.fill(str(v)) for k, v in (step.get("env") or {}).items()}}
    step_env |= {"GITHUB_OUTPUT": str(out_file), "GITHUB_ACTION_PATH": str(ACTION.parent), "RUNNER_TEMP": str(temp)}
    done = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], workspace, step_env)
    outputs = parse_outputs(out_file.read_text(encoding="utf-8"))
    if step.get("id"):
        ctx.steps[step["id"]] = outputs
    return StepRun(name, code=done.returncode, out=done.stdout, err=done.stderr, outputs=outputs)


INSTALLED = (
    'set -euo pipefail\n"$HARNESS_PYTHON" -P -c "import ccplugin"\necho "python=$HARNESS_PYTHON" >> "$GITHUB_OUTPUT"\n'
)


@pytest.mark.real_claude
def test_the_composite_steps_run_in_order(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    claude = cc_fake_claude(structured(*FINDINGS))
    env = pull.env(claude, github) | {"HARNESS_PYTHON": sys.executable}
    del env["GITHUB_OUTPUT"]  # each step gets its own, like on the runner
    focus = 'the retry design $(touch pwned) "; exit 7'
    inputs = {
        "mode": "adversarial-review",
        "focus": focus,
        "paths": "calc.py\n util.py",
        "max-comments": "1",
        "junit": str(tmp_path / "cc.xml"),
        "sarif": "",
        "github-token": github.WRITE_TOKEN,
    }
    ran = run_action(inputs, env, pull.work, tmp_path, {"install": INSTALLED})

    assert [(s.name, bool(s.skipped)) for s in ran.steps] == [
        ("Set up Python", True),
        ("Install ccplugin", False),
        ("Install the Claude Code CLI", False),
        ("Prepare the review cache", False),
        ("Restore the review cache", True),
        ("Review", False),
        ("Save the review cache", True),
    ]
    assert ran.step("Install the Claude Code CLI").out.startswith("Using "), ran.step("Install the Claude Code CLI").err
    review = ran.step("Review")
    assert review.code == 1, review.err
    assert ran.outputs["gate"] == "fail" and ran.outputs["gating-count"] == "1"
    assert ran.outputs["junit-path"] == str(tmp_path / "cc.xml") and ran.outputs["sarif-path"] == ""
    assert (tmp_path / "cc.xml").is_file() and not (pull.work / "pwned").exists()
    (request,) = claude.fake.message_requests()
    assert focus in request.summary.prompt_text and "adversarial" in request.summary.prompt_text
    assert len(github.review_comments(PR)) == 1  # max-comments
    assert "Claude Code adversarial review" in pull.summary()
    assert ran.outputs["job-id"].startswith("adversarial-")


@pytest.mark.real_claude
def test_a_pull_request_cannot_shadow_ccplugin_with_its_own_package(
    pull: PullRequest, github: FakeGitHub, cc_fake_claude: type[OfflineClaude], tmp_path: Path
) -> None:
    """The Review step runs in the checkout of the change: a `ccplugin/` folder there must not be what runs
    beside the Claude key (python -P keeps the working directory off sys.path)."""
    planted = pull.work / "ccplugin"
    planted.mkdir()
    marker = tmp_path / "shadowed"
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    (planted / "__main__.py").write_text("raise SystemExit(0)\n", encoding="utf-8")
    claude = cc_fake_claude(structured(*FINDINGS))
    env = pull.env(claude, github) | {"HARNESS_PYTHON": sys.executable}
    del env["GITHUB_OUTPUT"]
    ran = run_action({"github-token": github.WRITE_TOKEN}, env, pull.work, tmp_path, {"install": INSTALLED})

    assert not marker.exists()
    assert ran.step("Review").code == 1, ran.step("Review").err
    assert ran.outputs["gate"] == "fail" and len(claude.fake.message_requests()) == 1
