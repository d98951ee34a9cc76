"""An eval corpus: a folder of cases, each a change with known bug lines or labelled clean.

Layout (see docs/eval.md)::

    corpus/
      <case-id>/
        case.toml      language, kind, subject, and `bugs = [{file, lines = [a, b]}]` or `clean = true`
        base/          the tree before the change (or `[source]` in case.toml: a local clone and commit)
        head/          the files the change adds or rewrites, overlaid on base/ ...
        change.patch   ... or the change as a patch `git apply` takes (exactly one of the two)

Loading validates everything that can be checked without git; a problem is one
:class:`CorpusError` line naming the case and the field.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from ccplugin.errors import CCError, Exit

CASE_FILE = "case.toml"
PATCH_FILE = "change.patch"
DEFAULT_TOLERANCE = 3
_FIX = "see the corpus format in docs/eval.md"
_KEYS = {"language", "kind", "subject", "bugs", "clean", "deleted", "tolerance", "source", "note"}


class Kind(StrEnum):
    """What a case is about: a bug class the prompts target, or a clean change."""

    OFF_BY_ONE = "off-by-one"
    UNIT_MIX_UP = "unit-mix-up"
    MISSING_ERROR_HANDLING = "missing-error-handling"
    INJECTION = "injection"
    RACE = "race"
    RESOURCE_LEAK = "resource-leak"
    WRONG_API_USE = "wrong-api-use"
    DATA_LOSS = "data-loss"
    OTHER_BUG = "other-bug"
    REFACTOR = "refactor"
    RENAME = "rename"
    DOCS = "docs"
    TESTS = "tests"
    OTHER_CLEAN = "other-clean"
    IMPORTED = "imported"  # a case an importer wrote from a public benchmark


CLEAN_KINDS = frozenset({Kind.REFACTOR, Kind.RENAME, Kind.DOCS, Kind.TESTS, Kind.OTHER_CLEAN})


class CorpusError(CCError):
    def __init__(self, message: str, fix: str = _FIX) -> None:
        super().__init__(message, fix, Exit.BAD_CORPUS)


@dataclass(frozen=True)
class Bug:
    """A known bug: a repo-relative file and an inclusive 1-based line range in the changed version."""

    file: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "lines": [self.start, self.end]}


@dataclass(frozen=True)
class Labels:
    """What a case is known to hold: its bugs (none: a clean change) and the line tolerance of a hit."""

    bugs: tuple[Bug, ...]
    tolerance: int

    @property
    def clean(self) -> bool:
        return not self.bugs

    def to_dict(self) -> dict[str, Any]:
        return {"clean": self.clean, "bugs": [b.to_dict() for b in self.bugs], "tolerance": self.tolerance}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Labels:
        bugs = tuple(Bug(str(b["file"]), int(b["lines"][0]), int(b["lines"][1])) for b in d.get("bugs", []))
        return cls(bugs, int(d["tolerance"]))


@dataclass(frozen=True)
class Source:
    """A base tree taken from a local clone at a commit (imported benchmark cases)."""

    repo: str
    commit: str


@dataclass(frozen=True)
class Case:
    id: str
    root: Path
    language: str
    kind: Kind
    subject: str
    bugs: tuple[Bug, ...]
    tolerance: int
    deleted: tuple[str, ...] = ()
    source: Source | None = None

    @property
    def clean(self) -> bool:
        return not self.bugs

    @property
    def patch(self) -> Path | None:
        path = self.root / PATCH_FILE
        return path if path.is_file() else None

    @property
    def labels(self) -> Labels:
        return Labels(self.bugs, self.tolerance)


@dataclass(frozen=True)
class Corpus:
    root: Path
    cases: tuple[Case, ...]

    def digest(self) -> str:
        """A fingerprint of every file of every case: a results file belongs to one corpus state."""
        h = hashlib.sha256()
        for case in self.cases:
            for path in sorted(p for p in case.root.rglob("*") if p.is_file()):
                h.update(str(path.relative_to(self.root)).encode() + b"\0" + path.read_bytes() + b"\0")
        return h.hexdigest()[:16]


def bundled() -> Path:
    """The corpus shipped with ccplugin."""
    return Path(__file__).with_name("corpus")


def load(root: Path) -> Corpus:
    """Every case under ``root`` (sorted by id), validated; a problem is a :class:`CorpusError`."""
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist", "pass a folder of cases with `--corpus DIR`")
    cases = tuple(load_case(d) for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith("."))
    if not cases:
        raise CorpusError(f"corpus folder {root} holds no case folders")
    return Corpus(root, cases)


def load_case(root: Path) -> Case:
    data = _toml(root)
    where = f"case {root.name}"
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {', '.join(unknown)} in {CASE_FILE}")
    kind = _kind(where, data.get("kind"))
    bugs = _bugs(where, data)
    if (kind in CLEAN_KINDS) != (not bugs) and kind is not Kind.IMPORTED:
        raise CorpusError(f"{where}: kind {kind.value} does not match its labels (bugs vs clean = true)")
    case = Case(
        id=root.name,
        root=root,
        language=_text(where, data, "language"),
        kind=kind,
        subject=_text(where, data, "subject"),
        bugs=bugs,
        tolerance=_tolerance(where, data.get("tolerance", DEFAULT_TOLERANCE)),
        deleted=tuple(_rel(where, p) for p in _list(where, data, "deleted")),
        source=_source(where, data.get("source")),
    )
    _check_trees(where, case)
    _check_bug_lines(where, case)
    return case


def _toml(root: Path) -> dict[str, Any]:
    path = root / CASE_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"case {root.name}: no {CASE_FILE}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CorpusError(f"case {root.name}: {CASE_FILE} is not valid TOML ({e})") from None


def _kind(where: str, value: Any) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise CorpusError(f"{where}: kind must be one of {', '.join(k.value for k in Kind)}, not {value!r}") from None


def _text(where: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CorpusError(f"{where}: `{key}` must be a non-empty string")
    return value.strip()


def _list(where: str, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CorpusError(f"{where}: `{key}` must be a list")
    return value


def _bugs(where: str, data: dict[str, Any]) -> tuple[Bug, ...]:
    clean = data.get("clean", False)
    raw = _list(where, data, "bugs")
    if clean is not True and clean is not False:
        raise CorpusError(f"{where}: `clean` must be true or false")
    if clean == bool(raw):
        raise CorpusError(f"{where}: give either `bugs = [...]` (at least one) or `clean = true`, not both or neither")
    return tuple(_bug(where, b) for b in raw)


def _bug(where: str, raw: Any) -> Bug:
    if not isinstance(raw, dict) or set(raw) != {"file", "lines"}:
        raise CorpusError(f'{where}: each bug is {{file = "path", lines = [start, end]}}')
    lines = raw["lines"]
    ok = isinstance(lines, list) and len(lines) == 2 and all(type(n) is int for n in lines)
    if not ok or not 1 <= lines[0] <= lines[1]:
        raise CorpusError(f"{where}: bug lines must be [start, end] with 1 <= start <= end, not {lines!r}")
    return Bug(_rel(where, raw["file"]), lines[0], lines[1])


def _rel(where: str, value: Any) -> str:
    """A repo-relative POSIX path that stays inside the repository."""
    path = PurePosixPath(str(value))
    if not str(value) or path.is_absolute() or ".." in path.parts or str(path) != str(value):
        raise CorpusError(f"{where}: {value!r} is not a plain repo-relative path (a/b.py)")
    return str(path)


def _tolerance(where: str, value: Any) -> int:
    if type(value) is not int or not 0 <= value <= 50:
        raise CorpusError(f"{where}: tolerance must be a whole number of lines from 0 to 50")
    return value


def _source(where: str, raw: Any) -> Source | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"repo", "commit"}:
        raise CorpusError(f'{where}: source is {{repo = "/path/to/local/clone", commit = "sha"}}')
    return Source(str(raw["repo"]), str(raw["commit"]))


def _check_trees(where: str, case: Case) -> None:
    has_base = (case.root / "base").is_dir()
    if has_base == (case.source is not None):
        raise CorpusError(f"{where}: give the base as a base/ folder or as [source], exactly one")
    if (case.root / "head").is_dir() == (case.patch is not None):
        raise CorpusError(f"{where}: give the change as a head/ folder or as {PATCH_FILE}, exactly one")
    if case.patch is not None and case.deleted:
        raise CorpusError(f"{where}: `deleted` goes with head/; a patch deletes files itself")


def _check_bug_lines(where: str, case: Case) -> None:
    """With a head/ overlay the changed files are known: a bug's lines must exist in them."""
    if case.patch is not None:
        text = case.patch.read_text(encoding="utf-8", errors="replace")
        for bug in case.bugs:
            if f"+++ b/{bug.file}" not in text:
                raise CorpusError(f"{where}: bug file {bug.file} is not changed by {PATCH_FILE}")
        return
    for bug in case.bugs:
        path = case.root / "head" / bug.file
        if not path.is_file():
            raise CorpusError(f"{where}: bug file {bug.file} is not in head/ (a bug sits in a changed file)")
        count = len(path.read_text(encoding="utf-8").splitlines())
        if bug.end > count:
            raise CorpusError(f"{where}: bug lines {bug.start}-{bug.end} are past the end of {bug.file} ({count})")
