"""Parser memory and speed on a 200 MB stream-json run, side by side with a bare json.loads loop.

The stream is generated on the fly (never held whole) from lines shaped like claude 2.1.197's:
assistant text, Read/Edit/Bash tool_use, big user tool_result lines, api_retry, and a final
result. It is fed to ``StreamParser`` in 64 KiB chunks, as the runner reads a pipe. Prints the
peak RSS (target <= 100 MB) and MB/s of the parser against a bare split-and-``json.loads`` loop
over the same bytes (the floor any parser pays). ``--runner`` also pipes the same stream from
a fake `claude` process through ``runner.run`` (the whole read path: select, parse, classify).

Run: ``.venv/bin/python bench/bench_parser.py [--mb 200] [--runner] [--check]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ccplugin.claude.runner import run
from ccplugin.claude.stream import StreamParser
from ccplugin.claude.types import Mode, RunSpec

CHUNK = 64 * 1024
SID = "4cbc59cc-0000-4000-8000-000000000001"
RSS_TARGET_MB = 100.0


def _line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def _assistant(*content: dict[str, object]) -> bytes:
    message = {"id": "msg_1", "role": "assistant", "content": list(content)}
    return _line({"type": "assistant", "message": message, "session_id": SID})


def _turn(i: int) -> bytes:
    """One tool round trip, about 14 KB."""
    path = f"/work/repo/src/module_{i % 500}.py"
    body = "".join(f"{n}\tdef f_{i}_{n}(x):  # line of code\n" for n in range(250))
    result_block = {"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": body}
    return b"".join(
        (
            _assistant({"type": "text", "text": f"Step {i}: reading {path}. " + "why " * 400}),
            _assistant(
                {
                    "type": "tool_use",
                    "id": f"toolu_{i}",
                    "name": "Read",
                    "input": {"file_path": path},
                }
            ),
            _line({"type": "user", "message": {"role": "user", "content": [result_block]}}),
            _assistant(
                {
                    "type": "tool_use",
                    "id": f"toolu_e{i}",
                    "name": "Edit",
                    "input": {"file_path": path, "old_string": "x", "new_string": "y" * 200},
                }
            ),
            _line(
                {
                    "type": "system",
                    "subtype": "api_retry",
                    "attempt": 1,
                    "max_retries": 10,
                    "retry_delay_ms": 500.0,
                    "error_status": 529,
                    "error": "overloaded",
                }
            )
            if i % 100 == 99
            else b"",
        )
    )


POOL_TURNS = 256  # distinct turns, about 3.5 MB, cycled so generating costs next to nothing


def stream(total_bytes: int) -> Iterator[bytes]:
    """The stream in CHUNK-sized pieces, generated lazily."""
    pool = [_turn(i) for i in range(POOL_TURNS)]
    init = {"type": "system", "subtype": "init", "session_id": SID, "model": "claude-opus-4-7"}
    pending = bytearray(_line(init))
    sent, i = 0, 0
    while sent < total_bytes:
        while len(pending) < CHUNK:
            pending += pool[i % POOL_TURNS]
            i += 1
        chunk = bytes(pending[:CHUNK])
        del pending[:CHUNK]
        sent += len(chunk)
        yield chunk
    end = {"type": "result", "subtype": "success", "is_error": False, "num_turns": i}
    pending += _line({**end, "result": "done", "session_id": SID, "total_cost_usd": 1.5})
    yield bytes(pending)


def generate_only(total: int) -> float:
    started = time.perf_counter()
    for _ in stream(total):
        pass
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_loop(total: int) -> tuple[float, int]:
    """Split lines and json.loads each: what any parser must at least do."""
    started = time.perf_counter()
    buf, size, objects = b"", 0, 0
    for chunk in stream(total):
        size += len(chunk)
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            json.loads(line)
            objects += 1
    return time.perf_counter() - started, size


def parser_run(total: int) -> tuple[float, int, StreamParser]:
    started = time.perf_counter()
    parser = StreamParser("/work/repo")
    size = 0
    for chunk in stream(total):
        size += len(chunk)
        parser.feed(chunk)
    parser.close()
    return time.perf_counter() - started, size, parser


def runner_run(total: int) -> tuple[float, float]:
    """The same stream from a fake claude process through runner.run; (seconds, MB/s)."""
    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp, "claude")
        fake.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "from bench_parser import stream\n"
            f"for c in stream({total}):\n"
            "    sys.stdout.buffer.write(c)\n"
        )
        fake.chmod(0o755)
        spec = RunSpec("bench", tmp, Mode.REVIEW, "m", None, 1, timeout=600)
        started = time.perf_counter()
        result = run(spec, env={"PATH": os.environ["PATH"], "HOME": tmp}, binary=str(fake))
        elapsed = time.perf_counter() - started
    assert result.ok, result.failure_detail
    return elapsed, total / elapsed / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200, help="stream size in MB (default 200)")
    ap.add_argument("--runner", action="store_true", help="also measure runner.run end to end")
    ap.add_argument("--check", action="store_true", help="exit 1 if peak RSS exceeds the target")
    args = ap.parse_args(argv)
    total = args.mb * 1_000_000

    rss_start = peak_rss_mb()
    p_secs, size, parser = parser_run(total)
    rss_parser = peak_rss_mb()
    out = parser.outcome()
    assert out.saw_result and out.garbage_lines == 0, out.garbage_samples
    b_secs, _ = bare_loop(total)
    g_secs = generate_only(total)
    p_secs, b_secs = p_secs - g_secs, b_secs - g_secs

    mb = size / 1e6
    print(f"stream: {mb:.0f} MB, {out.lines:,} lines, {out.tools_total:,} tool uses")
    print(f"peak RSS: {rss_parser:.1f} MB (before parsing {rss_start:.1f} MB; target <= {RSS_TARGET_MB:.0f} MB)")
    print(f"kept: text {len(out.text):,} chars, {len(out.tools_used)} tools, {len(out.files_touched)} files")
    print(f"(generating the stream: {g_secs:.2f} s, subtracted below)")
    print(f"parser: {p_secs:.2f} s = {mb / p_secs:.0f} MB/s")
    print(f"bare json.loads loop: {b_secs:.2f} s = {mb / b_secs:.0f} MB/s")
    print(f"ratio parser / bare loop: {p_secs / b_secs:.2f}x")
    if args.runner:
        r_secs, r_rate = runner_run(total)
        print(
            f"runner.run end to end (fake claude process): {r_secs:.2f} s = {r_rate:.0f} MB/s; "
            f"peak RSS now {peak_rss_mb():.1f} MB"
        )
    if args.check and rss_parser > RSS_TARGET_MB:
        print(f"FAIL: peak RSS {rss_parser:.1f} MB > {RSS_TARGET_MB:.0f} MB")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
