"""The eval corpus format: the shipped corpus validates, bad cases are one line and exit 6, importers."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from ccplugin.errors import Exit
from ccplugin.eval import corpus, importers
from ccplugin.eval.corpus import CLEAN_KINDS, CorpusError, Kind
from ccplugin.eval.materialise import materialise
from helpers import ccplugin


def write_case(root: Path, name: str, toml: str, base: dict[str, str] | None, head: dict[str, str] | None) -> Path:
    case = root / name
    case.mkdir(parents=True)
    (case / "case.toml").write_text(toml)
    for folder, files in (("base", base), ("head", head)):
        for rel, text in (files or {}).items():
            path = case / folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return case


GOOD = 'language = "python"\nkind = "off-by-one"\nsubject = "Add f"\nbugs = [{file = "a.py", lines = [2, 2]}]\n'


def test_the_shipped_corpus_validates_and_every_case_builds(tmp_path: Path) -> None:
    shipped = corpus.load(corpus.bundled())
    kinds = Counter(c.kind for c in shipped.cases)
    bug_cases = [c for c in shipped.cases if not c.clean]
    assert len(bug_cases) == 20 and len(shipped.cases) - len(bug_cases) == 20
    assert {k for k in Kind if k not in CLEAN_KINDS and k not in (Kind.OTHER_BUG, Kind.IMPORTED)} <= set(kinds)
    assert {c.language for c in shipped.cases} == {"python", "javascript", "go"}
    for case in shipped.cases:
        repo = materialise(case, tmp_path / case.id)
        changed = subprocess.run(
            ["git", "diff", "--name-only", "main...change"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.split()
        assert changed, f"{case.id}: the change changes nothing"
        assert {b.file for b in case.bugs} <= set(changed), case.id
        for bug in case.bugs:  # the labelled lines are the change's lines, as the reviewer sees them
            lines = (repo / bug.file).read_text().splitlines()
            assert bug.end <= len(lines), case.id
        assert not (repo / "case.toml").exists()


def test_validate_command_on_the_shipped_corpus(tmp_path: Path) -> None:
    run = ccplugin("eval", "--validate", "--json", cwd=tmp_path, env=_env())
    assert run.code == 0, run.err
    assert run.json()["cases"] == 40 and run.json()["bug_cases"] == 20


@pytest.mark.parametrize(
    ("toml", "base", "head", "message"),
    [
        ("not toml [", {"a.py": "x\n"}, {"a.py": "y\n"}, "not valid TOML"),
        (GOOD.replace("off-by-one", "typo"), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "kind must be one of"),
        (GOOD + "clean = true\n", {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "either `bugs"),
        (GOOD.replace("[2, 2]", "[3, 2]"), {"a.py": "x\n"}, {"a.py": "y\ny\ny\n"}, "1 <= start <= end"),
        (GOOD.replace("[2, 2]", "[2, 9]"), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "past the end of a.py"),
        (GOOD.replace('"a.py"', '"../a.py"'), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "plain repo-relative"),
        (GOOD.replace('"a.py"', '"b.py"'), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "not in head/"),
        (GOOD, {"a.py": "x\n"}, None, "head/ folder or as change.patch"),
        (GOOD, None, {"a.py": "y\ny\n"}, "base/ folder or as [source]"),
        (GOOD.replace("off-by-one", "refactor"), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "does not match its labels"),
        (GOOD + "extra = 1\n", {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "unknown key(s) extra"),
        (GOOD.replace('subject = "Add f"\n', ""), {"a.py": "x\n"}, {"a.py": "y\ny\n"}, "`subject` must be"),
    ],
)
def test_a_bad_case_is_one_line_naming_the_case(
    tmp_path: Path, toml: str, base: dict[str, str] | None, head: dict[str, str] | None, message: str
) -> None:
    write_case(tmp_path / "c", "bad-case", toml, base, head)
    with pytest.raises(CorpusError, match="bad-case") as e:
        corpus.load(tmp_path / "c")
    assert message in e.value.message
    run = ccplugin("eval", "--validate", "--corpus", str(tmp_path / "c"), cwd=tmp_path, env=_env())
    assert run.code == Exit.BAD_CORPUS == 6
    assert run.err.count("\n") == 1 and "Traceback" not in run.err and message in run.err


def test_a_patch_that_does_not_apply_is_found_by_validate(tmp_path: Path) -> None:
    case = write_case(tmp_path / "c", "patched", GOOD, {"a.py": "one\n"}, None)
    (case / "change.patch").write_text("--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n-other\n+two\n+three\n")
    run = ccplugin("eval", "--validate", "--corpus", str(tmp_path / "c"), cwd=tmp_path, env=_env())
    assert run.code == 6 and "change.patch does not apply to its base" in run.err, run.err
    (case / "change.patch").write_text("--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n-one\n+two\n+three\n")
    assert ccplugin("eval", "--validate", "--corpus", str(tmp_path / "c"), cwd=tmp_path, env=_env()).code == 0


def test_a_missing_corpus_and_bad_flags(tmp_path: Path) -> None:
    run = ccplugin("eval", "--validate", "--corpus", str(tmp_path / "nope"), cwd=tmp_path, env=_env())
    assert run.code == 6 and "does not exist" in run.err
    run = ccplugin("eval", "--jobs", "0", "--corpus", str(corpus.bundled()), cwd=tmp_path, env=_env())
    assert run.code == Exit.USAGE and "--jobs must be at least 1" in run.err
    run = ccplugin("eval", "--only", "zzz*", cwd=tmp_path, env=_env())
    assert run.code == Exit.USAGE and "no case" in run.err


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _clone(repos: Path) -> str:
    """A local 'upstream' clone at repos/acme__shop with one commit; returns the commit."""
    clone = repos / "acme__shop"
    clone.mkdir(parents=True)
    _git(clone, "init", "-q", "-b", "main")
    (clone / "cart.py").write_text("def total(xs):\n    return sum(xs)\n")
    _git(clone, "add", ".")
    _git(clone, "commit", "-q", "-m", "init")
    return _git(clone, "rev-parse", "HEAD")


PATCH = (
    "--- a/cart.py\n+++ b/cart.py\n@@ -1,2 +1,3 @@\n"
    " def total(xs):\n-    return sum(xs)\n+    t = sum(xs)\n+    return t - 1\n"
)


def test_swe_prbench_import_builds_cases_from_a_local_download(tmp_path: Path) -> None:
    data = tmp_path / "swe-prbench-data"
    commit = _clone(data / "repos")
    (data / "annotations").mkdir(parents=True)
    (data / "contexts" / "config_A").mkdir(parents=True)
    row = {"task_id": "acme__shop-7", "repo": "acme/shop", "base_commit": commit, "title": "Tidy total"}
    (data / "prs.jsonl").write_text(json.dumps(row) + "\n")
    (data / "contexts" / "config_A" / "acme__shop-7.json").write_text(json.dumps({"diff": PATCH}))
    comments = [{"path": "cart.py", "line": 3, "body": "off by one"}, {"body": "no location: not scorable by line"}]
    (data / "annotations" / "acme__shop-7_human.json").write_text(json.dumps({"comments": comments}))
    out = tmp_path / "imported"
    run = ccplugin("eval", "--import", "swe-prbench", str(data), "--to", str(out), cwd=tmp_path, env=_env())
    assert run.code == 0, run.err
    (case,) = corpus.load(out).cases
    assert case.kind is Kind.IMPORTED and [b.to_dict() for b in case.bugs] == [{"file": "cart.py", "lines": [3, 3]}]
    repo = materialise(case, tmp_path / "built")
    assert (repo / "cart.py").read_text().endswith("return t - 1\n")
    assert _git(repo, "log", "--format=%s", "-1") == "Tidy total"


def test_swrbench_import_marks_prs_without_change_points_clean(tmp_path: Path) -> None:
    data = tmp_path / "swrbench"
    commit = _clone(data / "repos")
    rows = [
        {"instance_id": "shop-1", "repo": "acme/shop", "base_commit": commit, "patch": PATCH, "change_points": []},
        {"instance_id": "shop-2", "repo": "acme/shop", "base_commit": commit, "patch": PATCH},
    ]
    (data / "swrbench.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "imported"
    assert importers.run("swrbench", data, out) == 2
    assert all(c.clean for c in corpus.load(out).cases)


def test_an_import_record_without_a_needed_field_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "swrbench.jsonl"
    data.write_text(json.dumps({"instance_id": "x-1", "repo": "acme/shop"}) + "\n")
    run = ccplugin("eval", "--import", "swrbench", str(data), "--to", str(tmp_path / "o"), cwd=tmp_path, env=_env())
    assert run.code == 6 and "SWRBench instance x-1: none of the fields base_commit" in run.err, run.err
    run = ccplugin("eval", "--import", "nope", str(data), "--to", str(tmp_path / "o"), cwd=tmp_path, env=_env())
    assert run.code == 6 and "unknown benchmark" in run.err


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
