"""The job store: one SQLite database (WAL) under the state root, plus ``logs/<job>.log``.

Every mutation is one compare-and-set inside ``BEGIN IMMEDIATE``; nothing reads a row,
changes it in Python and writes it back. A finished job (completed, failed, cancelled)
never changes state again, and only its ``viewed_at``/``notified_at`` marks may still be
set. Readers reap live jobs whose worker is gone (see :meth:`Store.reap`).

A pid means something only in the PID namespace it was read in, and Codex runs each sandboxed
command in a namespace of its own: the worker's namespace is recorded with its pid, a reader in
another namespace never judges that pid, and relies on the worker's heartbeat (``updated_at``,
refreshed by the job runner) instead.

Schema (``PRAGMA user_version`` = 2)::

    jobs(id TEXT PRIMARY KEY, kind, workspace, owner, state CHECK(...), phase,
         created_at, started_at, updated_at, finished_at,      -- REAL epoch seconds
         pid, pid_start, pid_ns,                               -- worker identity
         claude_session, model, effort, title,
         request, result, usage,                               -- JSON text
         error, cost_usd, viewed_at, notified_at)
    indexes: (workspace, created_at), (workspace, owner, created_at), (created_at),
             (workspace) WHERE state is live
    trigger: a finished job's state cannot change
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import shlex
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from ccplugin import proc
from ccplugin.errors import CCError, Exit
from ccplugin.jobs import kinds, private
from ccplugin.jobs.ids import JOB_ID_RE, check_job_id, check_job_ref, new_job_id
from ccplugin.redact import redact, redact_json


class State(StrEnum):
    """Where a job is in its life: ``queued → running → completed | failed | cancelled``."""

    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({State.COMPLETED, State.FAILED, State.CANCELLED})
LIVE = frozenset({State.QUEUED, State.RUNNING, State.CANCELLING})

# The edges a compare-and-set may take; a self-edge updates fields while the state holds.
_NEXT: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.RUNNING, State.CANCELLING, State.CANCELLED, State.FAILED}),
    State.RUNNING: frozenset({State.RUNNING, State.CANCELLING, State.COMPLETED, State.FAILED, State.CANCELLED}),
    State.CANCELLING: frozenset({State.CANCELLING, State.CANCELLED, State.FAILED}),
}

GRACE = 2.0  # seconds after creation/claim before a dead worker counts as abandoned
HEARTBEAT = 10.0  # seconds between a running worker's refreshes of ``updated_at``
LEASE = 90.0  # seconds without a heartbeat before a reader in another PID namespace calls a worker gone
UNCLAIMED = 1800.0  # seconds a queued job may wait for a worker that never recorded a pid
BUSY_TIMEOUT = 30.0
LOG_CAP = 1024 * 1024
LOG_TRUNCATED = b"[... earlier log output truncated ...]\n"
CANCELLED_BY_USER = "cancelled by user"
SCHEMA_VERSION = 2

_LIVE_SQL = "state IN ('queued', 'running', 'cancelling')"
_TERMINAL_SQL = "state IN ('completed', 'failed', 'cancelled')"
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        workspace TEXT NOT NULL,
        owner TEXT,
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'running', 'cancelling', 'completed', 'failed', 'cancelled')),
        phase TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        started_at REAL,
        updated_at REAL NOT NULL,
        finished_at REAL,
        pid INTEGER,
        pid_start INTEGER,
        pid_ns INTEGER,
        claude_session TEXT,
        model TEXT,
        effort TEXT,
        title TEXT NOT NULL DEFAULT '',
        request TEXT NOT NULL DEFAULT '{}',
        result TEXT,
        error TEXT,
        usage TEXT NOT NULL DEFAULT '{}',
        cost_usd REAL,
        viewed_at REAL,
        notified_at REAL)""",
    "CREATE INDEX IF NOT EXISTS jobs_by_workspace ON jobs (workspace, created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (workspace, owner, created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (created_at)",
    f"CREATE INDEX IF NOT EXISTS jobs_live ON jobs (workspace) WHERE {_LIVE_SQL}",
    f"""CREATE TRIGGER IF NOT EXISTS jobs_finished_state_is_final
        BEFORE UPDATE OF state ON jobs
        WHEN OLD.{_TERMINAL_SQL} AND NEW.state IS NOT OLD.state
        BEGIN SELECT RAISE(ABORT, 'a finished job keeps its state'); END""",
)


@dataclass(frozen=True)
class Job:
    """One row of the store. Times are epoch seconds; ``pid``/``pid_start`` name the worker in the PID
    namespace ``pid_ns`` (None: recorded before namespaces were, taken as the reader's own)."""

    id: str
    kind: str
    workspace: str
    owner: str | None
    state: State
    phase: str
    created_at: float
    started_at: float | None
    updated_at: float
    finished_at: float | None
    pid: int | None
    pid_start: int | None
    pid_ns: int | None
    claude_session: str | None
    model: str | None
    effort: str | None
    title: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    usage: dict[str, Any]
    cost_usd: float | None
    viewed_at: float | None
    notified_at: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        values: dict[str, Any] = {name: data.get(name) for name in COLUMNS}
        values["state"] = State(values["state"])
        values["request"] = values["request"] or {}
        values["usage"] = values["usage"] or {}
        values["phase"] = values["phase"] or ""
        values["title"] = values["title"] or ""
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (``state`` as its string)."""
        out = {name: getattr(self, name) for name in COLUMNS}
        out["state"] = self.state.value
        return out

    @property
    def unread(self) -> bool:
        """Finished with an outcome to read, and neither shown nor announced yet."""
        done = self.state in (State.COMPLETED, State.FAILED)
        return done and self.viewed_at is None and self.notified_at is None

    @property
    def elapsed(self) -> float:
        """Seconds from start (or creation) to finish (or now)."""
        start = self.started_at if self.started_at is not None else self.created_at
        end = self.finished_at if self.finished_at is not None else time.time()
        return max(0.0, end - start)


COLUMNS = tuple(f.name for f in fields(Job))
_COLS = ", ".join(COLUMNS)
_FIXED = frozenset({"id", "kind", "workspace", "owner", "state", "created_at", "updated_at"})
MUTABLE = frozenset(COLUMNS) - _FIXED
MARKS = frozenset({"viewed_at", "notified_at"})
_JSON = frozenset({"request", "result", "usage"})
_REDACTED = frozenset({"error", "title", "phase"})


class Store:
    """Jobs of every workspace, under one state root.

    ``grace``, ``unclaimed`` and ``lease`` tune abandonment (see :meth:`reap`); tests shorten them.
    ``readonly`` opens it for reading only, where this process may not write it (a command in
    Codex's sandbox, the state root outside its writable folders): nothing is reaped or marked
    there, and a store not made yet reads as empty. One instance per process: do not share it
    across ``fork``.
    """

    def __init__(
        self,
        root: Path,
        *,
        grace: float = GRACE,
        unclaimed: float = UNCLAIMED,
        lease: float = LEASE,
        readonly: bool = False,
    ) -> None:
        self.root = Path(root)
        self.path = self.root / "jobs.db"
        self.logs = self.root / "logs"
        self.grace = grace
        self.unclaimed = unclaimed
        self.lease = lease
        self.readonly = readonly
        # one connection, shared by this process's threads one transaction at a time
        self._lock = threading.RLock()
        if readonly:
            self._db = self._connect_readonly()
            return
        for directory in (self.root, self.logs):
            _make_private_dir(directory, self.root)
        self._db = self._connect()

    @property
    def _limits(self) -> _Limits:
        return _Limits(self.grace, self.unclaimed, self.lease)

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job ``job_id`` (any workspace), reaped first if its worker is gone."""
        check_job_id(job_id)
        job = self._read(job_id)
        if job is None:
            raise CCError(f"no job {job_id}", "run `ccplugin status --all` to list jobs")
        return self.reap(job)

    def find(self, ref: str, workspace: str) -> Job:
        """The job named by ``ref``: an exact id (any workspace) or a unique id prefix
        among ``workspace``'s jobs."""
        check_job_ref(ref)
        if JOB_ID_RE.match(ref) and (exact := self._read(ref)) is not None:
            return self.reap(exact)
        ws = _realpath(workspace)
        # ``+workspace`` keeps the planner on the primary key's range, not a workspace scan
        sql = f"SELECT {_COLS} FROM jobs WHERE id >= ? AND id < ? AND +workspace = ? ORDER BY created_at DESC LIMIT 6"
        found = self._query(sql, (ref, ref + "~", ws))
        if len(found) == 1:
            return self.reap(found[0])
        if found:
            shown = ", ".join(j.id for j in found[:5]) + (", …" if len(found) > 5 else "")
            raise CCError(
                f"job reference {ref!r} is ambiguous: it matches {shown}",
                "pass more characters of the id, or the whole id from `ccplugin status`",
            )
        raise CCError(f"no job matching {ref!r} in {ws}", "run `ccplugin status --all` to list jobs")

    def list(
        self,
        workspace: str | None,
        owner: str | None = None,
        limit: int | None = None,
        *,
        states: Iterable[State] | None = None,
    ) -> builtins.list[Job]:
        """Jobs newest-created first, after reaping abandoned live jobs in scope.

        ``workspace``/``owner`` None means any; ``states`` keeps only those states.
        """
        ws = _realpath(workspace) if workspace is not None else None
        self._reap_live(ws)
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if ws is not None:
            where.append("workspace = ?")
            params.append(ws)
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if states is not None:
            wanted = [State(s).value for s in states]
            where.append(f"state IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
        sql = f"SELECT {_COLS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        return self._query(sql, params)

    # -- writes -----------------------------------------------------------------------

    def create(
        self,
        *,
        kind: str,
        workspace: str,
        owner: str | None,
        title: str,
        request: Mapping[str, Any],
        model: str | None,
        effort: str | None,
        state: State = State.QUEUED,
        job_id: str | None = None,
    ) -> Job:
        """Record a new job. ``state=RUNNING`` means the calling process is its worker:
        its pid and start time are recorded and ``started_at`` is now."""
        kinds.info(kind)  # a ValueError for a kind the registry does not hold
        if state not in (State.QUEUED, State.RUNNING):
            raise ValueError(f"a job is created queued or running, not {state}")
        now = time.time()
        values: dict[str, Any] = {
            "kind": kind,
            "workspace": _realpath(workspace),
            "owner": owner,
            "state": state.value,
            "phase": "queued" if state is State.QUEUED else "starting",
            "created_at": now,
            "updated_at": now,
            "model": model,
            "effort": effort,
            "title": redact(title),
            "request": _dump(request),
            "usage": "{}",
        }
        if state is State.RUNNING:
            values |= {"started_at": now, "pid": os.getpid(), "pid_start": _own_start(), "pid_ns": proc.pid_namespace()}
        return self._insert(values, job_id)

    def transition(self, job_id: str, expected: Iterable[State], new: State, **fields: Any) -> Job | None:
        """Compare-and-set: move to ``new`` (setting ``fields``) only if the state is one
        of ``expected``. Returns the updated job, or None when the state did not match.

        Only the edges of the state machine are taken: an expected state that cannot go
        to ``new`` (a finished one, or ``cancelling → completed``) never matches, and a
        call where no expected state can is a bug (ValueError). Finishing sets
        ``finished_at``; entering ``running`` sets ``started_at`` once.
        """
        check_job_id(job_id)
        states = _check_edges(expected, new)
        return self._cas(job_id, states, new, _with_namespace(fields))

    def update(self, job_id: str, **fields: Any) -> Job | None:
        """Set non-state fields of a live job. On a finished job only ``viewed_at`` and
        ``notified_at`` may be set. Returns the updated job, or None if nothing matched."""
        check_job_id(job_id)
        _check_fields(fields)
        if not fields:
            raise ValueError("update() needs at least one field")
        fields = _with_namespace(fields)
        marks_only = set(fields) <= MARKS
        assignments = _assignments(fields)
        if not marks_only:
            assignments.append(("updated_at", "?", time.time()))
        guard = "" if marks_only else f" AND {_LIVE_SQL}"
        return self._apply(job_id, assignments, guard, ())

    def beat(self, job_id: str) -> Job | None:
        """The worker's heartbeat: refresh a live job's ``updated_at`` (see ``LEASE``)."""
        check_job_id(job_id)
        return self._apply(job_id, [("updated_at", "?", time.time())], f" AND {_LIVE_SQL}", ())

    def mark_viewed(self, job_id: str) -> Job | None:
        """Record that a finished job's result was shown (first time wins)."""
        return self._mark(job_id, "viewed_at")

    def mark_notified(self, job_id: str) -> Job | None:
        """Record that a finished job was announced to its owner (first time wins)."""
        return self._mark(job_id, "notified_at")

    def prune(self, workspace: str, keep: int) -> int:
        """Delete ``workspace``'s finished jobs beyond the newest ``keep``, and their logs."""
        if keep < 0:
            raise ValueError("keep must be >= 0")
        sql = (
            f"SELECT id FROM jobs WHERE workspace = ? AND {_TERMINAL_SQL}"
            " ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?"
        )
        with self._write() as db:
            doomed = [row[0] for row in db.execute(sql, (_realpath(workspace), keep))]
            db.executemany(f"DELETE FROM jobs WHERE id = ? AND {_TERMINAL_SQL}", [(i,) for i in doomed])
        for job_id in doomed:
            if JOB_ID_RE.match(job_id):
                (self.logs / f"{job_id}.log").unlink(missing_ok=True)
        return len(doomed)

    # -- abandonment --------------------------------------------------------------------

    def reap(self, job: Job) -> Job:
        """``job``, or its finished successor if its worker is gone.

        A running job whose worker (pid + start time) no longer exists becomes failed
        ("abandoned: …"); a cancelling one becomes cancelled (the user asked for it); a
        queued job whose recorded worker died, or that no worker took within
        ``unclaimed`` seconds, becomes failed. Nothing happens within ``grace`` seconds
        of creation or claim. A worker in another PID namespace counts as gone only once its
        heartbeat is ``lease`` seconds old.
        """
        verdict = None if self.readonly else _abandoned(job, time.time(), self._limits)
        if verdict is None:
            return job
        new, reason = verdict
        guard = " AND state = ? AND pid IS ? AND pid_start IS ? AND updated_at IS ?"  # a heartbeat since wins
        assignments = _assignments({"error": reason, "finished_at": time.time()})
        assignments += [("state", "?", new.value), ("updated_at", "?", time.time())]
        done = self._apply(job.id, assignments, guard, (job.state.value, job.pid, job.pid_start, job.updated_at))
        if done is None:  # someone else moved it first
            return self._read(job.id) or job
        self.append_log(job.id, reason)
        return done

    # -- logs -------------------------------------------------------------------------

    def log_path(self, job_id: str) -> Path:
        return self.logs / f"{check_job_id(job_id)}.log"

    def append_log(self, job_id: str, text: str) -> None:
        """Append ``text`` (redacted, newline-terminated) to the job's log.

        The log is capped at ``LOG_CAP`` bytes: once over, it is cut in place to its last
        half on a line boundary, so each byte is rewritten O(1) times.
        """
        path = self.log_path(job_id)
        data = redact(text if text.endswith("\n") else text + "\n").encode("utf-8", "replace")
        data = data[-LOG_CAP // 2 :]
        fd = private.open_file(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            size = os.fstat(fd).st_size
            if size > LOG_CAP:
                _keep_tail(fd, size, LOG_CAP // 2)
        finally:
            os.close(fd)

    # -- internals --------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            os.close(private.open_file(self.path, os.O_RDWR | os.O_CREAT))
            for companion in ("-wal", "-shm"):  # SQLite opens these by name: no planted ones
                private.check_existing(self.path.with_name(self.path.name + companion))
        except OSError as e:
            raise _unwritable(self.root, e) from e
        with self._guard():
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(db)
            except BaseException:
                db.close()
                raise
        return db

    def _connect_readonly(self) -> sqlite3.Connection:
        """The store opened for reading: as it is now (``mode=ro``, which needs the ``-wal`` and
        ``-shm`` a writer leaves while it has the store open), else, with no ``-wal`` left, the
        checkpointed file as it is (``immutable``). No store yet: an empty one, in memory."""
        try:
            for name in ("", "-wal", "-shm"):
                private.check_existing(self.path.with_name(self.path.name + name))
        except OSError as e:
            raise _unwritable(self.root, e) from e
        if not self.path.exists():
            db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._migrate(db)
            return db
        modes = ["mode=ro"] + ([] if self.path.with_name(self.path.name + "-wal").exists() else ["immutable=1"])
        failure: sqlite3.Error | None = None
        for mode in modes:
            uri = f"{self.path.absolute().as_uri()}?{mode}"
            db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
            try:
                self._check_version(db)
                return db
            except sqlite3.OperationalError as e:  # mode=ro without a -wal to share: try the next
                db.close()
                failure = e
            except BaseException:
                db.close()
                raise
        assert failure is not None
        raise _unwritable(self.root, failure) from failure

    def _check_version(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _newer(self.path, version)
        if version < SCHEMA_VERSION:
            raise CCError(
                f"job store {self.path} needs an upgrade that this read-only run cannot make (schema {version})",
                "run any ccplugin command outside the sandbox once (e.g. `ccplugin setup`)",
            )

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise _newer(self.path, version)
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            if version == 1:  # the table is there without the worker's PID namespace
                db.execute("ALTER TABLE jobs ADD COLUMN pid_ns INTEGER")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            failure = _failure(e, self.path)
            if failure is None:
                raise
            raise failure from e

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is held from the start."""
        with self._lock, self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any]) -> builtins.list[Job]:
        with self._lock, self._guard():
            rows = self._db.execute(sql, tuple(params)).fetchall()
        return [_decode(row, self.path) for row in rows]

    def _read(self, job_id: str) -> Job | None:
        found = self._query(f"SELECT {_COLS} FROM jobs WHERE id = ?", (job_id,))
        return found[0] if found else None

    def _insert(self, values: dict[str, Any], job_id: str | None) -> Job:
        for _attempt in range(3):
            values["id"] = check_job_id(job_id) if job_id else new_job_id(values["kind"])
            sql = f"INSERT INTO jobs ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})"
            try:
                with self._write() as db:
                    db.execute(sql, tuple(values.values()))
                    return _select(db, values["id"], self.path)
            except sqlite3.IntegrityError as e:
                if job_id:
                    raise CCError(f"job {job_id} already exists", "omit the job id to get a fresh one") from e
        raise CCError("could not allocate a unique job id", "retry the command")

    def _cas(self, job_id: str, expected: frozenset[State], new: State, fields: dict[str, Any]) -> Job | None:
        _check_fields(fields)
        now = time.time()
        assignments = _assignments(fields)
        assignments += [("state", "?", new.value), ("updated_at", "?", now)]
        if new in TERMINAL and "finished_at" not in fields:
            assignments.append(("finished_at", "?", now))
        if new is State.RUNNING and "started_at" not in fields:
            assignments.append(("started_at", "COALESCE(started_at, ?)", now))
        wanted = sorted(s.value for s in expected)
        guard = f" AND state IN ({', '.join('?' * len(wanted))})"
        return self._apply(job_id, assignments, guard, wanted)

    def _apply(
        self,
        job_id: str,
        assignments: builtins.list[tuple[str, str, Any]],
        guard: str,
        guard_params: Iterable[Any],
    ) -> Job | None:
        """``UPDATE … WHERE id = ?<guard>`` and the row after it, in one transaction."""
        sets = ", ".join(f"{column} = {expr}" for column, expr, _ in assignments)
        params = [value for _, _, value in assignments] + [job_id, *guard_params]
        with self._write() as db:
            if db.execute(f"UPDATE jobs SET {sets} WHERE id = ?{guard}", params).rowcount != 1:
                return None
            return _select(db, job_id, self.path)

    def _mark(self, job_id: str, column: str) -> Job | None:
        check_job_id(job_id)
        if self.readonly:  # shown, but not recorded: the next writer's view still counts it unread
            return None
        assignment = [(column, f"COALESCE({column}, ?)", time.time())]
        return self._apply(job_id, assignment, f" AND {_TERMINAL_SQL}", ())

    def _reap_live(self, workspace: str | None) -> None:
        if self.readonly:
            return
        # only the liveness columns: decoding whole records would make listing O(live jobs)
        sql = f"SELECT {', '.join(_Worker._fields)} FROM jobs WHERE {_LIVE_SQL}"
        params: tuple[str, ...] = ()
        if workspace is not None:
            sql += " AND workspace = ?"
            params = (workspace,)
        with self._lock, self._guard():
            rows = self._db.execute(sql, params).fetchall()
        now = time.time()
        for row in rows:
            worker = _Worker(*row)
            if _abandoned(worker, now, self._limits) is not None:
                job = self._read(worker.id)
                if job is not None:
                    self.reap(job)


# -- helpers (pure or filesystem) ------------------------------------------------------


class _Worker(NamedTuple):
    """The columns that decide whether a live job was abandoned."""

    id: str
    state: str
    created_at: float
    started_at: float | None
    updated_at: float
    pid: int | None
    pid_start: int | None
    pid_ns: int | None


class _Limits(NamedTuple):
    """Seconds that decide abandonment (see :meth:`Store.reap`)."""

    grace: float
    unclaimed: float
    lease: float


def _abandoned(job: Job | _Worker, now: float, limits: _Limits) -> tuple[State, str] | None:
    """The state and reason a live job should end with because its worker is gone."""
    if job.state not in LIVE:
        return None
    if job.pid is None:
        if job.state == State.QUEUED and now - job.created_at > limits.unclaimed:
            return State.FAILED, f"abandoned: no worker took it within {limits.unclaimed:.0f} s"
        return None
    if now - max(job.created_at, job.started_at or 0.0) < limits.grace:
        return None
    if not _worker_gone(job, now, limits.lease):
        return None
    if job.state == State.CANCELLING:
        return State.CANCELLED, CANCELLED_BY_USER
    if not worker_visible(job):
        return State.FAILED, f"abandoned: worker {job.pid} sent no heartbeat for {limits.lease:.0f} s"
    return State.FAILED, f"abandoned: worker {job.pid} exited without finishing"


def worker_visible(job: Job | _Worker) -> bool:
    """Whether the job's recorded pid names a process in this process's PID namespace."""
    return job.pid_ns is None or job.pid_ns == proc.pid_namespace()


def _worker_gone(job: Job | _Worker, now: float, lease: float) -> bool:
    """By its pid where that means something here, else by its heartbeat."""
    if not worker_visible(job):
        return now - job.updated_at > lease
    assert job.pid is not None
    seen = proc.start_time(job.pid)
    # without a recorded start time all we can tell is whether the pid exists
    return seen is None or (job.pid_start is not None and seen != job.pid_start)


def _with_namespace(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded pid comes with the PID namespace it was read in (this process's)."""
    if "pid" in fields and "pid_ns" not in fields:
        return {**fields, "pid_ns": proc.pid_namespace() if fields["pid"] is not None else None}
    return dict(fields)


def _own_start() -> int | None:
    return proc.start_time(os.getpid())


def _check_edges(expected: Iterable[State], new: State) -> frozenset[State]:
    """The expected states that may move to ``new``; none at all is a bug."""
    given = frozenset(State(s) for s in expected)
    states = frozenset(s for s in given if new in _NEXT.get(s, frozenset()))
    if not states:
        shown = ", ".join(sorted(given)) or "nothing"
        raise ValueError(f"a job cannot go from {shown} to {new}")
    return states


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - MUTABLE
    if unknown:
        raise ValueError(f"not settable job fields: {', '.join(sorted(unknown))}")


def _assignments(fields: Mapping[str, Any]) -> builtins.list[tuple[str, str, Any]]:
    return [(name, "?", _encode(name, value)) for name, value in fields.items()]


def _encode(name: str, value: Any) -> Any:
    if name in _JSON:
        if value is None:
            return None if name == "result" else "{}"
        return _dump(value)
    if name in _REDACTED and isinstance(value, str):
        return redact(value)
    if isinstance(value, State):
        return value.value
    return value


def _dump(value: Any) -> str:
    return json.dumps(redact_json(value), separators=(",", ":"), default=str)


def _select(db: sqlite3.Connection, job_id: str, path: Path) -> Job:
    row = db.execute(f"SELECT {_COLS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _decode(row, path)


def _decode(row: tuple[Any, ...], path: Path) -> Job:
    data = dict(zip(COLUMNS, row, strict=True))
    try:
        for name in _JSON:
            if data[name] is not None:
                data[name] = json.loads(data[name])
        return Job.from_dict(data)
    except (ValueError, TypeError) as e:
        raise _corrupt(path, f"bad record {data.get('id')!r}: {e}") from e


def _realpath(workspace: str) -> str:
    return os.path.realpath(workspace)


def _keep_tail(fd: int, size: int, keep: int) -> None:
    """Cut the file to its last ``keep`` bytes, starting at a line (caller holds the lock)."""
    tail = os.pread(fd, keep, size - keep)
    newline = tail.find(b"\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    os.ftruncate(fd, 0)
    os.write(fd, LOG_TRUNCATED + tail)  # O_APPEND: lands at the new end, offset 0


def _make_private_dir(path: Path, root: Path) -> None:
    try:
        private.directory(path)
    except OSError as e:
        raise _unwritable(root, e) from e


class Unwritable(CCError):
    """The state root cannot be written from here (a read-only mount such as Codex's sandbox)."""


def _unwritable(root: Path, e: OSError | sqlite3.Error) -> Unwritable:
    reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    return Unwritable(
        f"job store directory {root} is not usable ({reason})",
        f"make {root} a writable directory, or point `CCPLUGIN_HOME` at one"
        " (`export CCPLUGIN_HOME=~/.local/state/ccplugin`)",
    )


def _newer(path: Path, version: int) -> CCError:
    return CCError(
        f"job store {path} was written by a newer ccplugin (schema {version})",
        "upgrade ccplugin (`pip install -U ccplugin`) or set `CCPLUGIN_HOME` elsewhere",
    )


def _corrupt(path: Path, detail: str) -> CCError:
    aside = f"{path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
    return CCError(
        f"job store {path} is corrupt ({detail})",
        f"move it aside and a fresh store is made on the next run: `mv {shlex.quote(str(path))} {shlex.quote(aside)}`",
    )


def _failure(e: sqlite3.Error, path: Path) -> CCError | None:
    """The CCError for a storage failure, or None for a bug (let it propagate)."""
    text = str(e).lower()
    if isinstance(e, sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return CCError(
                f"job store {path} is busy",
                "retry in a moment; another ccplugin process is holding it",
                Exit.USAGE,
            )
        if any(s in text for s in ("readonly", "read-only", "unable to open", "disk i/o", "full")):
            return _unwritable(path.parent, e)
        return None
    if type(e) is sqlite3.DatabaseError or "malformed" in text or "not a database" in text:
        return _corrupt(path, str(e))
    return None
