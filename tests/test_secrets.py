"""Secrets: every kind of credential a run can see is masked in everything ccplugin writes or posts.

Planted: secrets in the environment (``AWS_SECRET_ACCESS_KEY``, ``OPENAI_API_KEY``, ``GITHUB_TOKEN``,
a ``DATABASE_URL`` with a password), ``actions/checkout``'s extraheader and a remote URL with a token
in ``.git/config``, an ini ``aws_secret_access_key = …`` line in a repository file. The scripted
reviewer reads them and quotes them (in findings, in a tool call's input, in the rescue's answer, in
base64), or the fake API answers with an error that quotes them; then every file and row written,
stdout/stderr, the posted pull-request bodies and what reached the model are searched for each value
in its plain and base64 forms (computed here, independently of ``ccplugin.redact``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccplugin import credentials
from ccplugin.claude.env import claude_env, secretless_env
from ccplugin.claude.types import Mode, RunSpec
from ccplugin.jobs.context import JobContext, run_claude
from ccplugin.redact import redact, secret_values
from ccplugin.testing import fail, reply, structured_output, text, tool_use
from ccplugin.testing.runner import OfflineClaude
from conftest import git
from helpers import CliRun, ccplugin, finding, review_output
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import PR, RESCUE_TASK, PullRequest, ci, make_pr, structured
from test_pytest_plugin import BUGGY, SUB_TEST, run, use_env
from test_pytest_plugin import git as plugin_git

AWS = "Zq8vAwsSecretValue0001xyz"
OPENAI = "opq-OpenAiValue-0002-zzzz"
DB_PASSWORD = "DbPassw0rdValue0003"
DATABASE_URL = f"postgres://app:{DB_PASSWORD}@db.internal:5432/app"
HEADER_TOKEN = "HdrTokenValue0004abcd"  # the token actions/checkout persisted (not $GITHUB_TOKEN here)
HEADER_B64 = base64.b64encode(f"x-access-token:{HEADER_TOKEN}".encode()).decode()
EXTRAHEADER = f"AUTHORIZATION: basic {HEADER_B64}"
REMOTE_TOKEN = "RemoteTok0005value"
REMOTE_URL = f"https://ci-bot:{REMOTE_TOKEN}@git.example/octo/repo.git"
INI_SECRET = "IniSecretValue0006/abc+def"
INI_LINE = f"aws_secret_access_key = {INI_SECRET}"

ENV_SECRETS = {"AWS_SECRET_ACCESS_KEY": AWS, "OPENAI_API_KEY": OPENAI, "DATABASE_URL": DATABASE_URL}
# what must never appear anywhere we write (GITHUB_TOKEN is the fake GitHub's token, added below)
WRITTEN = (AWS, OPENAI, DB_PASSWORD, HEADER_TOKEN, HEADER_B64, REMOTE_TOKEN, INI_SECRET)


def encodings(value: str) -> dict[str, str]:
    """``value`` as is and in base64 (standard, URL-safe, unpadded, and inside a longer base64 text)."""
    raw = value.encode()
    out = {"plain": value}
    for name, encode in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
        whole = encode(raw).decode()
        out[name], out[f"{name}-unpadded"] = whole, whole.rstrip("=")
        for offset in (1, 2):  # the value after 1 or 2 other bytes: its middle characters are fixed
            out[f"{name}+{offset}"] = encode(b"ab"[:offset] + raw).decode()[4:-4]
    return out


def leaks(haystack: str, values: tuple[str, ...]) -> list[str]:
    return [f"{v} ({kind})" for v in values for kind, form in encodings(v).items() if form in haystack]


def tree_text(root: Path, skip: frozenset[Path] = frozenset()) -> str:
    """Every file under ``root`` (SQLite database and WAL included), as text."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in skip):
        parts.append(f"== {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def rows(state: Path) -> str:
    with sqlite3.connect(state / "jobs.db") as db:
        return json.dumps(db.execute("SELECT * FROM jobs").fetchall(), default=str)


def sent_by_us(claude: OfflineClaude) -> str:
    """What ccplugin and Claude sent the model: system prompt, prompts and tool results (not the
    model's own earlier turns, which the conversation repeats)."""
    parts: list[Any] = []
    for request in claude.fake.message_requests():
        body = request.body
        parts.append(body.get("system"))
        parts += [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
    return json.dumps(parts)


# --- the end-to-end search ---------------------------------------------------------------------


@pytest.fixture
def planted(tmp_path: Path) -> PullRequest:
    pull = make_pr(tmp_path / "pr")
    git(pull.work, "config", "http.https://github.example/.extraheader", EXTRAHEADER)
    git(pull.work, "remote", "add", "mirror", REMOTE_URL)
    (pull.work / "deploy").mkdir()
    (pull.work / "deploy" / "creds.ini").write_text(f"[default]\naws_access_key_id = x\n{INI_LINE}\n")
    pull.extra_env.update(ENV_SECRETS)
    return pull


@pytest.fixture
def github(planted: PullRequest) -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, planted.head, planted.base, files_from_git(planted.work, planted.base, planted.head))
        yield gh


def quoting(body: str, *args: Any) -> dict[str, Any]:
    return {**finding(*args), "body": body}


def quoting_findings() -> dict[str, Any]:
    b64 = base64.b64encode(OPENAI.encode()).decode()
    return review_output(
        quoting(
            f"The environment holds {AWS} and {OPENAI} (encoded {b64}); DATABASE_URL={DATABASE_URL}.", "calc.py", 6
        ),
        quoting(f"{EXTRAHEADER}; mirror {REMOTE_URL}", "util.py", 2, "medium", "Credentials in git config"),
        quoting(f"deploy/creds.ini says `{INI_LINE}`; {HEADER_TOKEN}", "calc.py", 1, "low", f"Key {HEADER_TOKEN}"),
    )


def answering_rules() -> list[object]:
    """The reviewer reads every planted credential, greps for one, and quotes them all; the rescue
    quotes them again in its answer."""
    on = {"tool_offered": "StructuredOutput"}
    inside = base64.urlsafe_b64encode(f"a:{AWS}".encode()).decode()  # the value 2 bytes into a base64 text
    rescue_answer = f"Fixed sub(). I saw {AWS}, {HEADER_B64}, {REMOTE_URL}, {DB_PASSWORD} and blob {inside}."
    return [
        reply(text(rescue_answer), prompt_contains=RESCUE_TASK),
        reply(tool_use("Read", {"file_path": "__CWD__/.git/config"}), turn=0, **on),
        reply(tool_use("Read", {"file_path": "__CWD__/deploy/creds.ini"}), turn=1, **on),
        reply(tool_use("Grep", {"pattern": f"{HEADER_TOKEN}|{REMOTE_TOKEN}", "path": "__CWD__"}), turn=2, **on),
        reply(structured_output(quoting_findings()), turn=3, **on),
    ]


def erroring_rules() -> list[object]:
    return [fail(500, f"upstream rejected {OPENAI} for {DATABASE_URL} ({base64.b64encode(AWS.encode()).decode()})")]


@pytest.mark.real_claude
@pytest.mark.parametrize(("rules", "code"), [(answering_rules, 1), (erroring_rules, 3)], ids=["answers", "api-error"])
def test_no_secret_in_anything_written_posted_or_sent(
    planted: PullRequest,
    github: FakeGitHub,
    cc_fake_claude: type[OfflineClaude],
    rules: Any,
    code: int,
) -> None:
    claude = cc_fake_claude(rules())
    env = planted.env(claude, github)
    seen_by_claude = planted.files / "claude-env.txt"
    env["CCPLUGIN_CLAUDE_BIN"] = _env_dumping(env["CCPLUGIN_CLAUDE_BIN"], seen_by_claude)
    out = planted.files / "out"
    reports = ("--junit", str(out / "cc.xml"), "--sarif", str(out / "cc.sarif"), "--result-json", str(out / "r.json"))
    run: CliRun = ci(planted, env, "--fail-on", "high", "--rescue-on-failure", *reports)
    assert run.code == code, run.err
    if code == 1:  # the reviewer did read what it may: the test is not blind
        results = [t for r in claude.fake.message_requests() if r.summary for t in r.summary.tool_results]
        assert INI_SECRET in " ".join(t.content for t in results)
        # .git is private to a review (its config holds the checkout's token); the findings quote
        # the header anyway, so its masking is still what keeps it out of everything written
        assert HEADER_B64 not in " ".join(t.content for t in results)
        assert any(t.is_error and "denied" in t.content for t in results)
        assert (planted.work / "cc-rescue.md").exists()
        assert "Resume: not offered" in run.out  # no session transcript, and the report says so
    state, config_dir = Path(env["CCPLUGIN_HOME"]), Path(env["CLAUDE_CONFIG_DIR"])
    written = {
        "stdout": run.out,
        "stderr": run.err,
        "state folder": tree_text(state),
        "job rows": rows(state),
        "claude config and home": tree_text(config_dir) + tree_text(Path(env["HOME"])),
        # GITHUB_OUTPUT, step summary, JUnit, SARIF, result
        "runner files": tree_text(planted.files, skip=frozenset({seen_by_claude})),
        "rescue files": tree_text(planted.work, skip=frozenset(_planted_files(planted))),
        "pull request": json.dumps([r.body for r in github.requests]),
    }
    found = {where: leaks(text, (*WRITTEN, github.WRITE_TOKEN)) for where, text in written.items()}
    assert {where: hits for where, hits in found.items() if hits} == {}
    # our environment's secrets are not in Claude's and never reach the model (what the reviewer
    # reads in the repository may: reading it is its job)
    assert "ANTHROPIC_BASE_URL=" in seen_by_claude.read_text()
    assert leaks(seen_by_claude.read_text(), (AWS, OPENAI, DB_PASSWORD, github.WRITE_TOKEN)) == []
    assert leaks(sent_by_us(claude), (AWS, OPENAI, DB_PASSWORD, github.WRITE_TOKEN)) == []


def _env_dumping(claude: str, dump: Path) -> str:
    """A `claude` that appends its environment to ``dump``, then runs the real one."""
    wrapper = dump.with_name("claude")
    wrapper.write_text(f"#!/bin/sh\nenv >> '{dump}'\nexec '{claude}' \"$@\"\n")
    wrapper.chmod(0o755)
    return str(wrapper)


def _planted_files(pull: PullRequest) -> list[Path]:
    """The files holding the planted secrets, and the repository's own files."""
    tracked = [pull.work / p for p in git(pull.work, "ls-files").split()]
    return [*tracked, pull.work / "deploy" / "creds.ini", *(pull.work / ".git").rglob("*")]


# --- the pieces --------------------------------------------------------------------------------


def test_git_config_credentials_are_found(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "http.https://github.com/.extraheader", EXTRAHEADER)
    git(tmp_path, "remote", "add", "origin", REMOTE_URL)
    found = credentials.in_git_config(tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert {HEADER_TOKEN, HEADER_B64, REMOTE_TOKEN, f"x-access-token:{HEADER_TOKEN}"} <= found


def test_urls_with_a_password_leave_claudes_environment_but_proxies_stay() -> None:
    env = {
        "DATABASE_URL": DATABASE_URL,
        "PLAIN_URL": "https://example.com/x",
        "HTTPS_PROXY": "http://user:proxypass1@proxy:3128",
        "ANTHROPIC_API_KEY": "sk-ant-keep-for-claude",
        "PATH": "/usr/bin",
    }
    assert set(claude_env(env)) == {"PLAIN_URL", "HTTPS_PROXY", "ANTHROPIC_API_KEY", "PATH"}
    assert set(secretless_env(env)) == {"PLAIN_URL", "PATH"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"url {REMOTE_URL}", "url https://ci-bot:***@git.example/octo/repo.git"),
        (f"header {EXTRAHEADER}", "header AUTHORIZATION: basic ***"),
        (INI_LINE, "aws_secret_access_key = ***"),
        ('{"password": "hunter2hunter2"}', '{"password": "***"}'),
        (
            "max_tokens=4096, tokens = tokenize(text), Token: the word",
            "max_tokens=4096, tokens = tokenize(text), Token: the word",
        ),
    ],
    ids=["url", "extraheader", "ini", "json", "prose"],  # no secret in $PYTEST_CURRENT_TEST
)
def test_shapes_without_a_known_value(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert redact(shown) == shown


def test_a_jobs_claude_run_masks_the_secrets_claude_was_not_given(tmp_path: Path) -> None:
    """Claude's environment is scrubbed, but what it prints is masked with the job's ORIGINAL
    environment: a secret it learnt elsewhere (here: written into it) is masked in its answer,
    its tool-event lines, its stderr and the error line."""
    answer = {"type": "result", "subtype": "success", "is_error": True, "result": f"I found {OPENAI}"}
    tool = {"type": "tool_use", "id": "t1", "name": "Grep", "input": {"pattern": AWS}}
    fake = tmp_path / "claude"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"print(json.dumps({{'type': 'assistant', 'message': {{'content': [{tool!r}]}}}}))\n"
        f"print(json.dumps({answer!r}))\nsys.stderr.write('key {base64.b64encode(AWS.encode()).decode()}\\n')\n"
        "sys.exit(1)\n"
    )
    fake.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CCPLUGIN_CLAUDE_BIN": str(fake), **ENV_SECRETS}
    phases: list[str] = []
    ctx = JobContext(env=env, state_root=tmp_path / "state", on_phase=phases.append)
    spec = RunSpec("review", str(tmp_path), Mode.REVIEW, "fake-model", None, max_turns=2, timeout=30)
    result = run_claude(spec, ctx)
    shown = json.dumps([result.text, result.failure_detail, result.stderr_tail, phases])
    assert "tool: Grep" in shown and "I found" in shown and "key " in shown
    assert leaks(shown, (AWS, OPENAI)) == []


# --- rescue-on-failure: the re-check runs the change's code, with no secret ---------------------

ANTHROPIC_KEY = "sk-ant-RecheckMustNotSee0008"
RECHECK_SECRETS = {**ENV_SECRETS, "GITHUB_TOKEN": "ghs_RecheckMustNotSee0007", "ANTHROPIC_API_KEY": ANTHROPIC_KEY}


@pytest.mark.real_claude
def test_the_recheck_of_a_patch_sees_no_secret(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = tmp_path / "seen-by-conftest.jsonl"
    (project.path / "calc.py").write_text(BUGGY)
    project.makepyfile(test_sub=SUB_TEST)
    project.makeconftest(  # the change's own conftest.py: it records the environment of the re-check
        "import json, os, pathlib\n"
        "if 'cc-rescue-' in str(pathlib.Path(__file__).resolve()):\n"
        f"    with open({str(seen)!r}, 'a') as f:\n"
        "        f.write(json.dumps(dict(os.environ)) + '\\n')\n"
    )
    plugin_git(project.path, "add", ".")
    plugin_git(project.path, "commit", "-q", "-m", "sub, with a bug")
    edit = {"file_path": "__CWD__/calc.py", "old_string": "return b - a", "new_string": "return a - b"}
    read = {"file_path": "__CWD__/calc.py"}
    claude = cc_fake_claude(
        [reply(tool_use("Read", read), turn=0), reply(tool_use("Edit", edit), turn=1), reply(text("Fixed."), turn=2)]
    )
    use_env(monkeypatch, {**claude.env, **RECHECK_SECRETS})

    result = run(project, "--cc-review", "--cc-rescue-on-failure", "--cc-rescue-dir", str(tmp_path / "rescue"))
    result.stdout.fnmatch_lines(["cc-rescue: patch * (calc.py) · re-run: fixed: 1 failed test(s) pass with the patch*"])
    recorded = [json.loads(line) for line in seen.read_text().splitlines()]
    assert recorded and all("PATH" in env for env in recorded)
    values = json.dumps([list(env.values()) for env in recorded])
    assert leaks(values, (*RECHECK_SECRETS.values(), DB_PASSWORD)) == []


@pytest.mark.real_claude
def test_no_rescue_for_a_forks_pull_request_in_the_action(tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    pull = make_pr(tmp_path / "pr")
    pull.fork, pull.event_name = True, "pull_request_target"  # the opt-in that gives a fork's run secrets
    claude = cc_fake_claude([reply(text("patched"), prompt_contains=RESCUE_TASK), *structured(finding("calc.py", 6))])
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
        args = ("--fail-on", "high", "--rescue-on-failure", "--allow-pull-request-target")
        run = ci(pull, pull.env(claude, gh), *args)
    assert run.code == 1, run.err  # the gate's, unaffected
    (notice,) = [line for line in run.out.splitlines() if line.startswith("::notice title=cc-rescue not run::")]
    assert "fork" in notice and "gate is unaffected" in notice
    assert len(claude.fake.message_requests()) == 1  # the review only
    assert not (pull.work / "cc-rescue.md").exists() and pull.outputs()["rescue-notes"] == ""


@pytest.mark.real_claude
def test_no_rescue_for_a_forks_pull_request_in_pytest(
    project: pytest.Pytester, cc_fake_claude: type[OfflineClaude], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project.makepyfile(test_sub=SUB_TEST)
    (project.path / "calc.py").write_text(BUGGY)
    plugin_git(project.path, "add", ".")
    plugin_git(project.path, "commit", "-q", "-m", "sub, with a bug")
    event = tmp_path / "event.json"
    head = {"sha": "b" * 40, "ref": "feature", "repo": {"full_name": "forker/repo"}}
    base = {"sha": "a" * 40, "ref": "main", "repo": {"full_name": "octo/repo"}}
    pull = {"number": 7, "head": head, "base": base}
    event.write_text(json.dumps({"pull_request": pull, "repository": {"full_name": "octo/repo"}}))
    claude = cc_fake_claude([reply(text("patched"))])
    ci_env = {"CI": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    use_env(monkeypatch, {**claude.env, **ci_env, "GITHUB_REPOSITORY": "octo/repo"})
    result = run(project, "--cc-review", "--cc-rescue-on-failure", "--cc-rescue-dir", str(tmp_path / "rescue"))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["cc-rescue not run: this is a fork's pull request*(the gate is unaffected)"])
    assert claude.fake.message_requests() == []


# --- the documented workflows leave no token on disk -------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def checkouts(doc: Any) -> Iterator[dict[str, Any]]:
    """Every ``actions/checkout`` step in a parsed workflow."""
    for job in (doc.get("jobs") or {}).values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                yield step


def test_every_documented_checkout_persists_no_credentials() -> None:
    docs = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))))
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", docs, re.S) if "actions/checkout@" in b]
    workflows = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "github").glob("*.yml"))]
    steps = [step for text in (*workflows, *blocks) for step in checkouts(yaml.safe_load(text))]
    assert len(blocks) >= 2  # the README's workflow and docs/action.md's
    assert len(steps) >= len(workflows)  # the docs' too; fork-safe-request.yml checks nothing out
    assert [s for s in steps if (s.get("with") or {}).get("persist-credentials") is not False] == []


@pytest.mark.real_claude
@pytest.mark.parametrize(("ci_env", "kept"), [({"CI": "true"}, False), ({"CI": ""}, True)], ids=["ci", "local"])
def test_pytest_in_ci_keeps_no_claude_session_transcript(
    project: pytest.Pytester,
    cc_fake_claude: type[OfflineClaude],
    monkeypatch: pytest.MonkeyPatch,
    ci_env: dict[str, str],
    kept: bool,
) -> None:
    claude = cc_fake_claude(structured(finding("calc.py", 6)))
    use_env(monkeypatch, {**claude.env, **ci_env})
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = run(project, "--cc-review", "--cc-fail-on", "none")
    assert len(claude.fake.message_requests()) == 1, result.stdout.str()
    transcripts = list(Path(claude.env["CLAUDE_CONFIG_DIR"]).rglob("*.jsonl"))
    assert bool(transcripts) is kept, transcripts


def test_an_error_line_masks_what_it_quotes(tmp_path: Path) -> None:
    """Text that never went through a job (an error about the user's own input) is masked on its way out."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "empty")
    env = {**os.environ, "CCPLUGIN_HOME": str(tmp_path / "state"), **ENV_SECRETS}
    for base in (OPENAI, REMOTE_URL):
        run = ccplugin("review", "--scope", "branch", "--base", base, cwd=tmp_path, env=env)
        assert run.code == 2 and "not found" in run.err, run.err
        assert leaks(run.out + run.err, (OPENAI, REMOTE_TOKEN)) == []


@pytest.mark.real_claude
def test_claudes_own_test_run_in_a_rescue_sees_no_secret(tmp_path: Path, cc_fake_claude: type[OfflineClaude]) -> None:
    """The rescue's Claude may run the change's tests (``python -m pytest``) while it works: those
    run in Claude's environment, which must not hand them Claude's key."""
    pull = make_pr(tmp_path / "pr")
    seen = tmp_path / "seen-by-conftest.jsonl"
    (pull.work / "conftest.py").write_text(
        "import json, os, pathlib\n"
        "if 'cc-rescue-' in str(pathlib.Path(__file__).resolve()):\n"
        f"    with open({str(seen)!r}, 'a') as f:\n"
        "        f.write(json.dumps(dict(os.environ)) + '\\n')\n"
    )
    (pull.work / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    git(pull.work, "add", ".")
    git(pull.work, "commit", "-qm", "tests")
    pull.head = git(pull.work, "rev-parse", "HEAD").strip()
    pull.extra_env.update({**ENV_SECRETS, "ANTHROPIC_API_KEY": ANTHROPIC_KEY})
    claude = cc_fake_claude(
        [
            reply(tool_use("Bash", {"command": "python -m pytest -q"}), turn=0, prompt_contains=RESCUE_TASK),
            reply(text("Ran the tests."), turn=1, prompt_contains=RESCUE_TASK),
            *structured(finding("calc.py", 6)),
        ]
    )
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, pull.head, pull.base, files_from_git(pull.work, pull.base, pull.head))
        run = ci(pull, pull.env(claude, gh), "--fail-on", "high", "--rescue-on-failure")
    assert run.code == 1, run.err
    results = [t for r in claude.fake.message_requests() if r.summary for t in r.summary.tool_results]
    assert len(results) == 1 and results[0].is_error, results  # Claude may not run them at all
    values = seen.read_text() if seen.exists() else ""
    assert leaks(values, (ANTHROPIC_KEY, AWS, OPENAI, DB_PASSWORD, FakeGitHub.WRITE_TOKEN)) == []


def test_cloud_configuration_leaves_claudes_environment_but_is_not_masked() -> None:
    env = {"AWS_REGION": "eu-central-1", "AWS_SECRET_ACCESS_KEY": AWS, "AWS_SESSION_TOKEN": "SessionTok0009value"}
    assert claude_env(env) == {}
    assert secret_values(env) == {AWS, "SessionTok0009value"}  # a finding may name the region
