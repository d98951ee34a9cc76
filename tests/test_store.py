"""The job store under real processes: concurrency, killed workers, recycled pids, bad files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ccplugin import proc
from ccplugin.errors import CCError
from ccplugin.jobs import background, lifecycle
from ccplugin.jobs.ids import JOB_ID_RE, check_job_id, new_job_id
from ccplugin.jobs.store import GRACE, LOG_CAP, LOG_TRUNCATED, TERMINAL, State, Store
from ccplugin.redact import redact
from helpers import new_job as new


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "state"


def python(code: str, *args: str) -> subprocess.Popen[str]:
    """A real worker process in its own session, as start_worker makes them."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def reap_in_background(child: subprocess.Popen[Any]) -> None:
    """Wait for the child as its parent would, so a killed one leaves no zombie behind."""
    threading.Thread(target=child.wait, daemon=True).start()


# -- 32 processes x 200 operations ----------------------------------------------------------------

HAMMER = r"""
import json, os, random, sys, time
from pathlib import Path
from ccplugin import proc
from ccplugin.jobs import lifecycle
from ccplugin.jobs.store import State, Store

root, ws = sys.argv[1], sys.argv[2]
index, count, start_at = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rng = random.Random(index)
store = Store(Path(root), grace=3600.0)
me = proc.identity(os.getpid())
finals, created, ops = [], [], 0
while time.time() < start_at:
    time.sleep(0.002)
candidates = []
for i in range(count):
    if i % 10 == 0:
        candidates = [j.id for j in store.list(ws, limit=40)]
    job_id = rng.choice(candidates)
    token = f"{index}-{i}"
    op = rng.randrange(9)
    if op == 0:
        lifecycle.claim(store, job_id, me)
    elif op in (1, 2):
        end = State.COMPLETED if op == 1 else State.FAILED
        expected = [State.RUNNING] if op == 1 else [State.RUNNING, State.QUEUED]
        done = store.transition(job_id, expected, end, error=token, phase="final-" + token,
                                result={"by": token})
        if done is not None:
            finals.append([job_id, end.value, token])
    elif op == 3:
        live = [State.RUNNING, State.QUEUED]
        store.transition(job_id, live, State.CANCELLING, phase="c-" + token)
    elif op == 4:
        done = store.transition(job_id, [State.CANCELLING], State.CANCELLED, error=token,
                                phase="final-" + token, result={"by": token})
        if done is not None:
            finals.append([job_id, "cancelled", token])
    elif op == 5:
        store.update(job_id, phase="u-" + token, usage={"n": i})
    elif op == 6:
        store.mark_viewed(job_id)
    else:
        job = store.create(kind="review", workspace=ws, owner=str(index), title=token,
                           request={"i": i}, model=None, effort=None)
        created.append(job.id)
    ops += 1
print(json.dumps({"finals": finals, "created": created, "ops": ops}))
"""


def test_32_processes_200_operations_each(root: Path, ws: str) -> None:
    with Store(root) as store:
        seed = [new(store, ws).id for _ in range(40)]
    start_at = time.time() + 1.0
    workers = [python(HAMMER, str(root), ws, str(i), "200", str(start_at)) for i in range(32)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * 32
    reports = [json.loads(out) for out in outputs]
    assert sum(r["ops"] for r in reports) == 32 * 200

    finals: dict[str, list[tuple[str, str]]] = {}
    for report in reports:
        for job_id, state, token in report["finals"]:
            finals.setdefault(job_id, []).append((state, token))
    created = {job_id for r in reports for job_id in r["created"]}
    db = sqlite3.connect(root / "jobs.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with Store(root, grace=3600.0) as store:
        jobs = {j.id: j for j in store.list(ws)}
    assert set(seed) | created == set(jobs), "a created job was lost"
    assert len(finals) > 40, "too little contention to mean anything"
    for job_id, job in jobs.items():
        wins = finals.get(job_id, [])
        if job.state in TERMINAL:
            assert len(wins) == 1, f"{job_id} finished {len(wins)} times"
            state, token = wins[0]
            # the finishing write is intact: nothing after it overwrote state or fields
            assert (job.state.value, job.error, job.phase) == (state, token, "final-" + token)
            assert job.result == {"by": token}
        else:
            assert wins == [], f"{job_id} is {job.state} after finishing"


# -- workers that die -----------------------------------------------------------------------------

CLAIM_AND_SLEEP = r"""
import os, sys, time
from pathlib import Path
from ccplugin import proc
from ccplugin.jobs import lifecycle
from ccplugin.jobs.store import Store
store = Store(Path(sys.argv[1]))
job = lifecycle.claim(store, sys.argv[2], proc.identity(os.getpid()))
if job:
    store.update(job.id, phase="reviewing")
print("claimed" if job else "refused", flush=True)
if job:
    time.sleep(60)
"""


@pytest.mark.parametrize("zombie", [False, True], ids=["reaped", "zombie"])
def test_killed_worker_is_failed_on_next_read(root: Path, ws: str, zombie: bool) -> None:
    with Store(root, grace=0.0) as store:
        job = new(store, ws)
        worker = python(CLAIM_AND_SLEEP, str(root), job.id)
        assert worker.stdout is not None and worker.stdout.readline() == "claimed\n"
        assert store.get(job.id).state is State.RUNNING
        os.kill(worker.pid, signal.SIGKILL)
        if zombie:  # not yet waited for: still in the process table
            while proc.start_time(worker.pid) is not None:
                time.sleep(0.01)
        else:
            worker.wait()
        reaped = store.get(job.id)
        listed = store.list(ws)
    worker.wait()
    assert reaped.state is State.FAILED and listed[0].state is State.FAILED
    assert reaped.error == f"abandoned: worker {worker.pid} exited without finishing"
    assert reaped.phase == "reviewing"  # what it was doing when it died


def test_worker_refuses_a_job_cancelled_while_queued(root: Path, ws: str) -> None:
    with Store(root) as store:
        job = new(store, ws)
        lifecycle.cancel(store, job.id)
        worker = python(CLAIM_AND_SLEEP, str(root), job.id)
        out, _ = worker.communicate(timeout=30)
        assert out == "refused\n"
        assert store.get(job.id).state is State.CANCELLED


def test_cancel_stops_a_running_worker(root: Path, ws: str) -> None:
    with Store(root) as store:
        job = new(store, ws)
        worker = python(CLAIM_AND_SLEEP, str(root), job.id)
        assert worker.stdout is not None and worker.stdout.readline() == "claimed\n"
        reap_in_background(worker)
        began = time.monotonic()
        done = lifecycle.cancel(store, job.id)
        assert time.monotonic() - began < 3
        assert (done.state, done.error) == (State.CANCELLED, "cancelled by user")
        assert worker.wait(timeout=5) == -signal.SIGTERM
        # the worker's own late finish cannot overwrite the cancel
        assert store.transition(job.id, [State.RUNNING], State.COMPLETED) is None


def test_cancel_queued_job_stops_its_waiting_worker(root: Path, ws: str) -> None:
    # launched (pid recorded) but not yet claimed
    waiting = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL, start_new_session=True)
    reap_in_background(waiting)
    ident = proc.identity(waiting.pid)
    assert ident is not None
    with Store(root) as store:
        job = new(store, ws)
        store.update(job.id, pid=ident.pid, pid_start=ident.start)
        done = lifecycle.cancel(store, job.id)
        assert (done.state, done.error) == (State.CANCELLED, "cancelled by user")
        assert lifecycle.claim(store, job.id, ident) is None
    assert waiting.wait(timeout=5) == -signal.SIGTERM


def test_cancel_signals_a_worker_outside_its_own_group_alone(root: Path, ws: str) -> None:
    # a foreground worker shares the shell's process group: signal only that process
    sleeper = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL)
    reap_in_background(sleeper)
    ident = proc.identity(sleeper.pid)
    assert ident is not None and os.getpgid(sleeper.pid) == os.getpgid(0)
    with Store(root) as store:
        job = new(store, ws, state=State.RUNNING)
        store.update(job.id, pid=ident.pid, pid_start=ident.start)
        assert lifecycle.cancel(store, job.id).state is State.CANCELLED
    assert sleeper.wait(timeout=5) == -signal.SIGTERM


@pytest.mark.parametrize("grace", [0.0, 3600.0], ids=["reaped-first", "cancel-path"])
def test_recycled_pid_is_never_signalled(root: Path, ws: str, grace: float) -> None:
    # a live, unrelated process whose pid the store holds with another start time
    bystander = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        real = proc.start_time(bystander.pid)
        assert real is not None
        with Store(root, grace=grace) as store:
            job = new(store, ws, state=State.RUNNING)
            store.update(job.id, pid=bystander.pid, pid_start=real + 1)
            if grace == 0.0:  # any read sees the recorded worker is gone
                with pytest.raises(CCError, match="is already failed"):
                    lifecycle.cancel(store, job.id)
            else:  # inside the grace window cancel itself checks the identity
                assert lifecycle.cancel(store, job.id).state is State.CANCELLED
        time.sleep(0.1)
        assert bystander.poll() is None, "an unrelated process was signalled"
    finally:
        bystander.kill()
        bystander.wait()


NOBODY = 65534
as_root = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(), reason="needs root and setpriv"
)


def as_user(uid: int, argv: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv]


@as_root
def test_cancel_never_signals_another_users_process(root: Path, ws: str) -> None:
    """A record naming a live process of another user (pid and start time match) is cancelled, the process untouched."""
    other = subprocess.Popen(as_user(NOBODY, ["sleep", "30"]), stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.2)  # setpriv has exec'd sleep
        ident = proc.identity(other.pid)
        assert ident is not None and os.stat(f"/proc/{other.pid}").st_uid == NOBODY
        with Store(root) as store:
            job = new(store, ws, state=State.RUNNING)
            store.update(job.id, pid=ident.pid, pid_start=ident.start)
            done = lifecycle.cancel(store, job.id)
        assert done.state is State.CANCELLED and "runs as another user" in (done.error or "")
        time.sleep(0.2)
        assert other.poll() is None, "another user's process was signalled"
    finally:
        other.kill()
        other.wait()


@as_root
def test_cancel_by_a_user_of_a_job_whose_pid_is_someone_elses_is_one_line(tmp_path: Path) -> None:
    """`ccplugin cancel` run as nobody, the record naming root's process: no PermissionError traceback."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="cc-nobody-"))
    try:
        os.chown(home, NOBODY, NOBODY)
        mine = subprocess.Popen(["sleep", "30"], stdin=subprocess.DEVNULL, start_new_session=True)
        reap_in_background(mine)
        ident = proc.identity(mine.pid)
        assert ident is not None
        script = (
            "import sys; from pathlib import Path; from ccplugin.jobs.store import State, Store\n"
            "with Store(Path(sys.argv[1]) / 'state') as s:\n"
            "    j = s.create(kind='review', workspace=sys.argv[1], owner=None, title='t', request={}, model=None,"
            " effort=None, state=State.RUNNING)\n"
            "    s.update(j.id, pid=int(sys.argv[2]), pid_start=int(sys.argv[3]))\n"
            "    print(j.id)\n"
        )
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "CCPLUGIN_HOME": str(home / "state")}
        made = subprocess.run(
            as_user(NOBODY, [sys.executable, "-c", script, str(home), str(ident.pid), str(ident.start)]),
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            check=True,
        )
        job_id = made.stdout.strip()
        cancel = as_user(NOBODY, [sys.executable, "-m", "ccplugin", "cancel", job_id, "--json"])
        done = subprocess.run(cancel, capture_output=True, text=True, env=env, cwd=home, check=False)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert json.loads(done.stdout)["state"] == "cancelled"
        assert mine.poll() is None
        mine.kill()
    finally:
        subprocess.run(["rm", "-rf", str(home)], check=True)


# -- the state folder: ours, private, no links ------------------------------------------------------


def _mode(path: Path) -> int:
    return os.lstat(path).st_mode & 0o777


def test_a_shared_state_folder_is_made_private(root: Path, ws: str) -> None:
    from ccplugin.review.cache import Cache

    for folder in (root, root / "logs", root / "cache"):
        folder.mkdir(parents=True)
        folder.chmod(0o777)
    (root / "jobs.db").touch(mode=0o666)
    (root / "jobs.db").chmod(0o666)
    with Store(root) as store:
        job = new(store, ws)
        log = store.log_path(job.id)
        log.touch()
        log.chmod(0o666)
        store.append_log(job.id, "hello")
        Cache(root).put("k", {"review": {}})
        assert Cache(root).get("k") == {"review": {}}
    assert [_mode(p) for p in (root, root / "logs", root / "cache")] == [0o700] * 3
    assert _mode(root / "jobs.db") == 0o600 and _mode(log) == 0o600


def _outside(tmp_path: Path) -> Path:
    """Files another user (or a careless script) points the state folder's links at."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "victim.txt").write_text("do not touch\n")
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"" for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("link", ["root", "logs", "jobs.db", "jobs.db-wal"])
def test_a_linked_state_folder_or_database_is_refused(tmp_path: Path, link: str) -> None:
    root = tmp_path / "state"
    outside = _outside(tmp_path)
    target = outside if link in ("root", "logs") else outside / "victim.txt"
    if link == "root":
        root.symlink_to(target)
    else:
        root.mkdir(mode=0o700)
        (root / link).symlink_to(target)
    before = _snapshot(outside)
    with pytest.raises(CCError, match="is a symbolic link") as caught:
        Store(root)
    assert "rm " in caught.value.line()
    assert _snapshot(outside) == before


def test_a_linked_job_log_is_never_written_through(root: Path, ws: str, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    before = _snapshot(outside)
    with Store(root) as store:
        job = new(store, ws)
        store.log_path(job.id).symlink_to(outside / "victim.txt")
        with pytest.raises(CCError, match="is a symbolic link"):
            store.append_log(job.id, "planted")
        with pytest.raises(CCError, match="is a symbolic link"):
            background.start_worker(job.id, os.environ, store.log_path(job.id))
    assert _snapshot(outside) == before


def test_a_linked_cache_entry_is_not_read(root: Path, tmp_path: Path) -> None:
    from ccplugin.review.cache import Cache

    (tmp_path / "planted.json").write_text(json.dumps({"review": {"verdict": "approve"}}))
    (root / "cache").mkdir(parents=True, mode=0o700)
    (root / "cache" / "k.json").symlink_to(tmp_path / "planted.json")
    with pytest.raises(CCError, match="is a symbolic link"):
        Cache(root).get("k")


@as_root
@pytest.mark.parametrize("theirs", ["root", "logs", "jobs.db", "job log"])
def test_another_users_state_folder_is_refused(root: Path, ws: str, theirs: str) -> None:
    with Store(root) as store:
        log = store.log_path(new(store, ws).id)
        store.append_log(log.stem, "mine")
    path = {"root": root, "logs": root / "logs", "jobs.db": root / "jobs.db", "job log": log}[theirs]
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(CCError, match=r"belongs to another user \(uid 65534\)") as caught, Store(root) as store:
        store.append_log(log.stem, "more")
    assert "CCPLUGIN_HOME" in caught.value.line()
    assert log.read_bytes() == b"mine\n"


# -- detached workers -----------------------------------------------------------------------------


def test_start_worker_detaches_with_closed_stdin_and_log(root: Path, ws: str) -> None:
    with Store(root) as store:
        job = new(store, ws)
        lifecycle.cancel(store, job.id)  # so the real worker refuses it and exits
        log = store.log_path(job.id)
        hold = sqlite3.connect(root / "jobs.db", isolation_level=None)
        hold.execute("BEGIN IMMEDIATE")  # the worker's claim waits on this lock
        try:
            env = {**os.environ, "CCPLUGIN_HOME": str(root)}
            ident = background.start_worker(job.id, env, log)
            fds = Path(f"/proc/{ident.pid}/fd")
            assert ident.alive() and os.getsid(ident.pid) == ident.pid
            assert os.readlink(fds / "0") == "/dev/null"
            assert os.readlink(fds / "1") == os.readlink(fds / "2") == str(log)
        finally:
            hold.execute("ROLLBACK")
            hold.close()
        deadline = time.monotonic() + 30
        while ident.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not ident.alive()
        assert store.get(job.id).state is State.CANCELLED  # never started


def test_start_worker_rejects_bad_id(tmp_path: Path) -> None:
    with pytest.raises(CCError, match="invalid job id"):
        background.start_worker("../../etc/passwd", os.environ, tmp_path / "x.log")


# -- bad store files and directories --------------------------------------------------------------


def test_garbage_store_file_is_reported_with_a_fix(root: Path) -> None:
    root.mkdir()
    (root / "jobs.db").write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(CCError, match=r"job store .*jobs\.db is corrupt") as e:
        Store(root)
    assert e.value.fix.count("`") == 2 and "`mv " in e.value.fix and e.value.exit_code == 2
    aside = e.value.fix.split("`")[1]
    subprocess.run(aside, shell=True, check=True)  # the fix, as a user would paste it
    with Store(root) as store:  # a fresh store
        assert store.list(None) == []


def test_damaged_pages_are_reported(root: Path, ws: str) -> None:
    with Store(root) as store:
        for _ in range(300):
            new(store, ws, title="x" * 200)
    db = root / "jobs.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 8192
    data[4096:8192] = b"\xff" * 4096  # smash the second page
    db.write_bytes(bytes(data))
    with pytest.raises(CCError, match="is corrupt"), Store(root) as store:
        store.list(ws)


def test_store_path_under_a_file(tmp_path: Path) -> None:
    # chmod does not stop root, so make the path impossible instead: a dir under a file
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    with pytest.raises(CCError, match=r"job store directory .*blocker/state is not usable") as e:
        Store(blocker / "state")
    assert "CCPLUGIN_HOME" in e.value.fix


def test_database_path_taken_by_a_directory(root: Path) -> None:
    (root / "jobs.db").mkdir(parents=True)
    with pytest.raises(CCError, match="is not usable") as e:
        Store(root)
    assert "CCPLUGIN_HOME" in e.value.fix


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(root: Path) -> None:
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(CCError, match="is not usable") as e:
            Store(root)
        assert "CCPLUGIN_HOME" in e.value.fix
    finally:
        root.chmod(0o700)


def test_store_from_a_newer_version(root: Path) -> None:
    Store(root).close()
    with sqlite3.connect(root / "jobs.db") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(CCError, match="newer ccplugin"):
        Store(root)


def test_private_permissions(root: Path) -> None:
    Store(root).close()
    assert (root.stat().st_mode & 0o777, (root / "logs").stat().st_mode & 0o777) == (0o700, 0o700)
    assert (root / "jobs.db").stat().st_mode & 0o777 == 0o600


# -- ids ------------------------------------------------------------------------------------------

BAD_IDS = [
    "../../etc/passwd",
    "review-abcdef1-0a1b2c/../../x",
    "",
    "review",
    "review-abcdef1-0a1b2c\n",
    "REVIEW-abcdef1-0a1b2c",
    "review-abcdef1-0A1B2C",
    "task-abcdef1-0a1b2c",
    "review-abc-0a1b2c",
    "review-abcdef1-0a1b2c7",
    "x" * 500,
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_job_ids_are_rejected_everywhere(root: Path, ws: str, bad: str) -> None:
    with Store(root) as store:
        for use in (check_job_id, store.get, store.log_path, lambda i: store.update(i, phase="x")):
            with pytest.raises(CCError, match="invalid job id") as e:
                use(bad)
            assert e.value.exit_code == 2
        if "/" in bad or "\n" in bad or not bad:
            with pytest.raises(CCError, match="invalid job reference"):
                store.find(bad, ws)
    assert not (root.parent / "etc").exists()


def test_new_ids_are_well_formed_and_distinct() -> None:
    kinds = {"review": "review-", "adversarial-review": "adversarial-", "rescue": "rescue-"}
    kinds |= {"gate": "gate-", "other": "job-"}
    for kind, prefix in kinds.items():
        job_id = new_job_id(kind)
        assert job_id.startswith(prefix) and check_job_id(job_id) == job_id
    ids = {new_job_id("review") for _ in range(2000)}  # most in the same millisecond
    assert len(ids) == 2000 and all(JOB_ID_RE.match(i) for i in ids)
    assert check_job_id("review-mbx3k2q1-4f9a0c") == "review-mbx3k2q1-4f9a0c"  # made by an older version


# -- logs and redaction ---------------------------------------------------------------------------


def test_log_stays_bounded_and_keeps_the_tail(root: Path, ws: str) -> None:
    with Store(root) as store:
        job = new(store, ws)
        line = "x" * 1000
        for i in range(3000):  # ~3 MiB through a 1 MiB cap
            store.append_log(job.id, f"{i:05d} {line}")
        data = store.log_path(job.id).read_bytes()
    assert len(data) <= LOG_CAP
    assert data.startswith(LOG_TRUNCATED)
    lines = data.decode().splitlines()[1:]
    assert lines[-1].startswith("02999 ") and all(len(s) == 1006 for s in lines)
    numbers = [int(s[:5]) for s in lines]
    assert numbers == list(range(numbers[0], 3000))  # no hole, no partial line


def test_log_cap_with_one_huge_write(root: Path, ws: str) -> None:
    with Store(root) as store:
        job = new(store, ws)
        store.append_log(job.id, "a" * (3 * LOG_CAP) + "END")
        data = store.log_path(job.id).read_bytes()
    assert len(data) <= LOG_CAP and data.endswith(b"END\n")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("key sk-ant-api03-AbC_dEf-123456789", "key sk-ant-***"),
        ("ghp_" + "a1" * 18, "ghp_***"),
        ("gho_" + "a1" * 18, "gho_***"),
        ("github_pat_11AAAAAAA0" + "x" * 40, "github_pat_***"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "Authorization: Bearer ***"),
        ("ANTHROPIC_API_KEY=sk-live-whatever", "ANTHROPIC_API_KEY=***"),
        ('{"OPENAI_API_KEY": "abc123"}', '{"OPENAI_API_KEY": "***"}'),
        ("export GITHUB_TOKEN='t0k3n'", "export GITHUB_TOKEN='***'"),
        ("sk-proj-" + "Z" * 30, "sk-***"),
        ("max_tokens: 5, Bearer auth, sk-ant", "max_tokens: 5, Bearer auth, sk-ant"),
    ],
)
def test_redact(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert redact(redact(text)) == shown


# -- readers in another PID namespace (a command in Codex's sandbox) --------------------------------

needs_pid_namespace = pytest.mark.skipif(
    subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], check=False).returncode != 0,
    reason="needs unshare --pid (root, or user namespaces)",
)


def in_other_pid_namespace(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as Codex runs a sandboxed command: in a new PID namespace with its own /proc,
    where this test's processes are invisible (or other pids name other processes)."""
    argv = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


OTHER_NS_READ = (
    "import sys; from pathlib import Path; from ccplugin import proc; from ccplugin.jobs.store import Store\n"
    "s = Store(Path(sys.argv[1]), grace=0.0, lease=float(sys.argv[3]))\n"
    "listed = s.list(None)\n"
    "job = s.get(sys.argv[2])\n"
    "print(proc.pid_namespace(), listed[0].state.value, job.state.value, job.error)\n"
)


@needs_pid_namespace
def test_a_reader_in_another_pid_namespace_leaves_a_live_worker_running(root: Path, tmp_path: Path) -> None:
    """`$cc:status` in the sandbox: the worker's pid means nothing there, its heartbeat is fresh."""
    me = proc.identity(os.getpid())
    assert me is not None
    with Store(root, grace=0.0) as store:
        made = new(store, str(tmp_path), state=State.RUNNING)  # this process is its worker, in its namespace
        claimed = lifecycle.claim(store, new(store, str(tmp_path)).id, me)  # a reserved job's worker
    assert claimed is not None and made.pid_ns == claimed.pid_ns == proc.pid_namespace()
    for job in (made, claimed):
        read = in_other_pid_namespace(OTHER_NS_READ, str(root), job.id, "3600")
        assert read.returncode == 0, read.stderr
        their_ns, listed, got, error = read.stdout.split(maxsplit=3)
        assert int(their_ns) != proc.pid_namespace()
        assert (listed, got, error.strip()) == ("running", "running", "None")
    with Store(root) as store:
        assert {j.state for j in store.list(None)} == {State.RUNNING}


@needs_pid_namespace
def test_a_worker_in_another_pid_namespace_is_abandoned_once_its_heartbeat_stops(root: Path, tmp_path: Path) -> None:
    with Store(root, grace=0.0) as store:
        job = new(store, str(tmp_path), state=State.RUNNING)
    time.sleep(0.2)
    read = in_other_pid_namespace(OTHER_NS_READ, str(root), job.id, "0.1")  # no heartbeat for 0.1 s
    assert read.returncode == 0, read.stderr
    assert read.stdout.split(maxsplit=3)[1:3] == ["failed", "failed"]
    assert f"abandoned: worker {job.pid} sent no heartbeat for 0 s" in read.stdout


def test_a_running_worker_refreshes_its_heartbeat(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccplugin.jobs import runner

    monkeypatch.setattr(runner, "HEARTBEAT", 0.2)
    seen: list[float] = []

    def execute(job: Any, store: Store, cancel: Any, progress: Any, env: Any) -> runner.JobEnd:
        for _ in range(3):
            time.sleep(runner.WATCH + 0.3)
            seen.append(store.get(job.id).updated_at)
        return runner.JobEnd(State.COMPLETED, {})

    with Store(root) as store:
        runner.run(store, new(store, str(tmp_path), state=State.RUNNING), execute, {})
    assert seen == sorted(seen) and len(set(seen)) == 3, seen


WORKER = r"""
import signal, sys, time
from pathlib import Path
from ccplugin.jobs import runner
from ccplugin.jobs.store import State, Store

signalled = Path(sys.argv[3])

def execute(job, store, cancel, progress, env):
    signal.signal(signal.SIGTERM, lambda *_: signalled.write_text("SIGTERM"))
    deadline = time.monotonic() + 60
    while not cancel() and time.monotonic() < deadline:
        time.sleep(0.05)
    return runner.JobEnd(State.CANCELLED if cancel() else State.COMPLETED, None, "stopped by its record")

with Store(Path(sys.argv[1])) as store:
    job = store.create(kind="review", workspace=sys.argv[2], owner=None, title="t", request={},
                       model=None, effort=None, state=State.RUNNING)
    print(job.id, flush=True)
    runner.run(store, job, execute, {})
"""

OTHER_NS_CANCEL = (
    "import sys; from pathlib import Path; from ccplugin.jobs import lifecycle; from ccplugin.jobs.store import Store\n"
    "done = lifecycle.cancel(Store(Path(sys.argv[1])), sys.argv[2])\n"
    "print(done.state.value, done.error)\n"
)


@needs_pid_namespace
def test_cancel_from_another_pid_namespace_asks_the_worker_through_its_record(root: Path, tmp_path: Path) -> None:
    """`$cc:cancel` in the sandbox signals no pid (it could name another process there): it records
    the request, the worker sees ``cancelling``, stops itself, and cancel reports it cancelled."""
    signalled = tmp_path / "signalled"
    worker = python(WORKER, str(root), str(tmp_path), str(signalled))
    reap_in_background(worker)
    assert worker.stdout is not None
    job_id = worker.stdout.readline().strip()
    try:
        started = time.monotonic()
        cancelled = in_other_pid_namespace(OTHER_NS_CANCEL, str(root), job_id)
        assert cancelled.returncode == 0, cancelled.stderr
        assert cancelled.stdout == "cancelled cancelled by user\n"
        assert time.monotonic() - started < 15
        worker.wait(timeout=10)  # it ended itself
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not signalled.exists()
    with Store(root) as store:
        assert store.get(job_id).state is State.CANCELLED
        assert "finished: cancelled (cancelled by user)" in store.log_path(job_id).read_text()  # the worker's word


# -- a store this process may not write (Codex's sandbox: ~/.local/state is not a writable folder) ----

needs_mount_namespace = pytest.mark.skipif(
    subprocess.run(["unshare", "--mount", "true"], check=False).returncode != 0,
    reason="needs unshare --mount (root)",
)


def read_only(folder: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` with ``folder`` mounted read-only, as Codex's sandbox mounts what it does not let a
    command write (bubblewrap ``--ro-bind``): EROFS even for root."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    env = os.environ | {"CCPLUGIN_HOME": str(folder / "state")}
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, str(folder), *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def status_json(folder: Path, cwd: Path) -> dict[str, Any]:
    shown = read_only(folder, sys.executable, "-m", "ccplugin", "status", "--all", "--json", cwd=cwd)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


@needs_mount_namespace
def test_status_reads_a_store_it_may_not_write(tmp_path: Path) -> None:
    """Closed by its last writer (no -wal left): read as checkpointed; a running worker is not reaped."""
    ws = tmp_path / "ws"
    ws.mkdir()
    with Store(tmp_path / "state", grace=0.0) as store:
        done = store.transition(new(store, str(ws)).id, [State.QUEUED], State.FAILED, error="boom")
        running = new(store, str(ws), state=State.RUNNING)
        gone = new(store, str(ws), state=State.RUNNING)
        store.update(gone.id, pid=2**22 + 1, pid_start=1)  # a worker that is gone: no reader here may record it
    assert done is not None and not (tmp_path / "state" / "jobs.db-wal").exists()
    shown = status_json(tmp_path, ws)
    states = {(j["id"], j["state"]) for j in shown["jobs"]}
    assert states == {(done.id, "failed"), (running.id, "running"), (gone.id, "running")}
    time.sleep(GRACE + 0.5)  # past the reader's grace: the gone worker's job is one a writer would reap
    one = read_only(tmp_path, sys.executable, "-m", "ccplugin", "status", gone.id, "--json", cwd=ws)
    assert one.returncode == 0 and json.loads(one.stdout)["state"] == "running", one.stderr


@needs_mount_namespace
def test_status_reads_a_store_it_may_not_write_as_it_is_while_a_worker_writes_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with Store(tmp_path / "state") as store:  # held open, as a running worker holds it
        first = new(store, str(ws))
        assert (tmp_path / "state" / "jobs.db-wal").exists()
        assert [j["id"] for j in status_json(tmp_path, ws)["jobs"]] == [first.id]
        later = new(store, str(ws))  # in the -wal only: the checkpointed file does not have it yet
        assert [j["id"] for j in status_json(tmp_path, ws)["jobs"]] == [later.id, first.id]


@needs_mount_namespace
def test_status_with_no_store_yet_and_no_right_to_make_one_lists_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert status_json(tmp_path, ws)["jobs"] == []
    assert not (tmp_path / "state").exists()


@needs_mount_namespace
def test_a_command_that_writes_a_store_it_may_not_write_fails_in_one_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    Store(tmp_path / "state").close()
    tried = read_only(tmp_path, sys.executable, "-m", "ccplugin", "reserve", "--kind", "review", cwd=ws)
    (line,) = tried.stderr.splitlines()
    assert tried.returncode != 0 and "is not usable (Read-only file system)" in line, tried.stderr
