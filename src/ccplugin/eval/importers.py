"""Importers: a public benchmark's local download → an eval corpus (nothing is downloaded here).

Each benchmark case is a pull request of a real project, so an imported case takes its base from a
local clone (``[source]`` in case.toml: ``<repos>/<owner>__<name>`` at the PR's base commit) and
its change from the PR's diff (change.patch); its bugs are the file and lines the benchmark's
ground truth points at. What each importer reads is in docs/eval.md: the folder layouts are the
published ones; the record field names are read from a short list of candidates each, and a
record without one of them is one line naming the record and the fields tried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin.eval.corpus import CASE_FILE, PATCH_FILE, Bug, CorpusError, Kind

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Imported:
    id: str
    repo: str  # owner/name
    commit: str
    patch: str
    bugs: tuple[Bug, ...]
    subject: str


def run(kind: str, source: Path, dest: Path, repos: Path | None = None) -> int:
    """Write the cases of the benchmark download ``source`` under ``dest``; returns how many."""
    reader = IMPORTERS.get(kind)
    if reader is None:
        raise CorpusError(f"unknown benchmark {kind!r}", f"use one of: {', '.join(sorted(IMPORTERS))}")
    if not source.exists():
        raise CorpusError(f"{source} does not exist", "pass the folder you downloaded the benchmark to")
    clones = repos or (source if source.is_dir() else source.parent) / "repos"
    count = 0
    for case in reader(source):
        write_case(dest, case, clones)
        count += 1
    if not count:
        raise CorpusError(f"{source} holds no {kind} records", "pass the folder you downloaded the benchmark to")
    return count


def write_case(dest: Path, case: Imported, clones: Path) -> None:
    folder = dest / _SAFE.sub("_", case.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PATCH_FILE).write_text(case.patch if case.patch.endswith("\n") else case.patch + "\n", encoding="utf-8")
    clone = (clones / case.repo.replace("/", "__")).resolve()
    lines = [
        'language = "unknown"',
        f'kind = "{Kind.IMPORTED.value}"',
        f"subject = {json.dumps(case.subject or case.id)}",
    ]
    if case.bugs:
        bugs = ", ".join(f"{{file = {json.dumps(b.file)}, lines = [{b.start}, {b.end}]}}" for b in case.bugs)
        lines.append(f"bugs = [{bugs}]")
    else:
        lines.append("clean = true")
    lines += ["", "[source]", f"repo = {json.dumps(str(clone))}", f"commit = {json.dumps(case.commit)}", ""]
    (folder / CASE_FILE).write_text("\n".join(lines), encoding="utf-8")


# -- reading records ------------------------------------------------------------------------


def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror}", "pass the benchmark's download folder") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise CorpusError(f"{path}:{n} is not a JSON line", "pass the benchmark file unmodified") from None
        if isinstance(row, dict):
            yield row


def field(row: Mapping[str, Any], names: Sequence[str], where: str) -> Any:
    """The first of ``names`` the record has (a non-empty value)."""
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    raise CorpusError(
        f"{where}: none of the fields {', '.join(names)}", "see which fields the importer reads in docs/eval.md"
    )


def optional(row: Mapping[str, Any], names: Sequence[str]) -> Any:
    return next((row[n] for n in names if row.get(n) not in (None, "")), None)


_PATH = ("path", "file", "file_path", "filename")
_START = ("start_line", "line_start", "original_start_line", "line", "original_line")
_END = ("end_line", "line_end", "line", "original_line")


def bugs_of(comments: Any) -> tuple[Bug, ...]:
    """The located comments (a file and a line) of a ground-truth list; others cannot be scored by line."""
    if isinstance(comments, Mapping):
        comments = optional(comments, ("comments", "human_comments", "issues", "change_points")) or []
    out = []
    for c in comments if isinstance(comments, list) else []:
        if not isinstance(c, Mapping):
            continue
        path, start, end = optional(c, _PATH), optional(c, _START), optional(c, _END)
        if isinstance(path, str) and isinstance(start, int) and start >= 1:
            end = end if isinstance(end, int) and end >= start else start
            out.append(Bug(path, start, end))
    return tuple(out)


# -- SWE-PRBench: <root>/prs.jsonl, annotations/{task_id}_human.json, contexts/config_A/{task_id}.json


def swe_prbench(root: Path) -> Iterator[Imported]:
    base = root / "dataset" if (root / "dataset" / "prs.jsonl").is_file() else root
    for row in jsonl(base / "prs.jsonl"):
        task = str(field(row, ("task_id", "id", "instance_id"), "a prs.jsonl record"))
        where = f"SWE-PRBench task {task}"
        context = _json_or_empty(base / "contexts" / "config_A" / f"{task}.json")
        annotations = _json_or_empty(base / "annotations" / f"{task}_human.json")
        yield Imported(
            id=task,
            repo=str(field(row, ("repo", "repo_name", "repository"), where)),
            commit=str(field(row, ("base_sha", "base_commit", "base"), where)),
            patch=str(field({**context, **row}, ("diff", "patch", "diff_patch"), where)),
            bugs=bugs_of(annotations),
            subject=str(optional(row, ("title", "pr_title")) or task),
        )


# -- SWRBench: a JSON Lines file of PR instances; clean PRs carry no located change point


def swrbench(root: Path) -> Iterator[Imported]:
    files = [root] if root.is_file() else sorted(root.glob("*.jsonl"))
    for path in files:
        for row in jsonl(path):
            case = str(field(row, ("instance_id", "id", "task_id"), f"a record of {path.name}"))
            where = f"SWRBench instance {case}"
            yield Imported(
                id=case,
                repo=str(field(row, ("repo", "repo_name"), where)),
                commit=str(field(row, ("base_commit", "base_sha"), where)),
                patch=str(field(row, ("patch", "diff", "pr_diff"), where)),
                bugs=bugs_of(optional(row, ("change_points", "changes", "comments", "labels")) or []),
                subject=str(optional(row, ("title", "pr_title")) or case),
            )


def _json_or_empty(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise CorpusError(f"{path} is not JSON", "pass the benchmark download unmodified") from None
    return data if isinstance(data, dict) else {"comments": data}


IMPORTERS: dict[str, Callable[[Path], Iterator[Imported]]] = {"swe-prbench": swe_prbench, "swrbench": swrbench}
