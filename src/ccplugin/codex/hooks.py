"""What each Codex hook does, after :mod:`ccplugin.codex.fasthook` read its input.

- SessionStart: write the session's marker (``sessions/<id>.json``). A nested session (Codex
  started from a command another Codex session ran: ``CODEX_SESSION_ID`` in the hook's
  environment names a different session) and a subagent (``agent_id`` in the input) take
  nothing over.
- UserPromptSubmit: when the review gate is on, record the turn's baseline fingerprint; then
  announce this session's finished jobs nobody has seen (completed or failed, neither viewed nor
  announced) in one short note naming ``$cc:result <id>`` — each job once (``notified_at``). The
  note is plain text on stdout, which Codex adds to the model's context.
- Stop: the review gate (:mod:`ccplugin.codex.stopgate`).
- SessionEnd: cancel the session's live jobs (each signal identity-checked by
  :func:`ccplugin.jobs.lifecycle.cancel`) and remove the session's files, inside the 3 s Codex
  grants this hook (it clamps any longer timeout): a worker gets SIGTERM, and SIGKILL — with the
  claude it started — about a second later if it is still there.

Jobs belong to a session through ``CODEX_SESSION_ID``, which Codex exports to every command its
model runs (the root session's id, also inside subagents) and which equals the hooks'
``session_id``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin import paths
from ccplugin.codex import state
from ccplugin.codex.hookpaths import db_stamp
from ccplugin.errors import CCError
from ccplugin.jobs import lifecycle
from ccplugin.jobs.store import LIVE, State, Store

SHOWN = 3  # jobs listed in one nudge
SESSION_END_TIMEOUT = 3.0  # what Codex grants SessionEnd (hooks.json declares it; Codex clamps more)
SESSION_END_KILL_AT = 1.0  # SIGTERM → SIGKILL for the first job
SESSION_END_DEADLINE = 2.0  # seconds after the hook started by which every job is signalled to die
_STARTED = time.monotonic()


@dataclass(frozen=True)
class HookContext:
    event: str
    session: str | None
    agent: str | None
    nested: bool
    cwd: str
    root: Path
    env: Mapping[str, str]

    @classmethod
    def of(cls, event: str, data: Mapping[str, Any], env: Mapping[str, str]) -> HookContext:
        session = paths.valid_session(data.get("session_id"))
        outer = env.get("CODEX_SESSION_ID", "").strip()
        cwd = data.get("cwd")
        return cls(
            event=event,
            session=session,
            agent=str(data["agent_id"]) if data.get("agent_id") else None,
            nested=bool(session and outer and outer != session),
            cwd=cwd if isinstance(cwd, str) and cwd else str(Path.cwd()),
            root=Path(paths.state_root(env)),
            env=env,
        )

    @property
    def workspace(self) -> str:
        return paths.workspace(self.cwd)

    @property
    def own(self) -> str | None:
        """The session this hook may act for: None for subagents and nested sessions."""
        return None if self.agent or self.nested else self.session

    def log(self, text: str) -> None:
        who = f"session={self.session or '-'}" + (f" agent={self.agent}" if self.agent else "")
        state.log(self.root, f"{self.event} {who} {text}")


def handle(event: str, data: Mapping[str, Any], env: Mapping[str, str]) -> None:
    ctx = HookContext.of(event, data, env)
    HANDLERS[event](ctx, data)


def session_start(ctx: HookContext, data: Mapping[str, Any]) -> None:
    if ctx.own is None:
        ctx.log("ignored (no session, a subagent or a nested session)")
        return
    marker = {
        "session_id": ctx.own,
        "workspace": ctx.workspace,
        "cwd": ctx.cwd,
        "source": data.get("source"),
        "model": data.get("model"),
        "transcript_path": data.get("transcript_path"),
        "started_at": time.time(),
    }
    state.write_json(state.session_file(ctx.root, ctx.own, ".json"), marker)
    ctx.log(f"recorded {ctx.workspace}")


def prompt_submit(ctx: HookContext, data: Mapping[str, Any]) -> None:
    session = ctx.own
    if session is None:
        return
    if state.gate_on(ctx.root, ctx.workspace):
        from ccplugin.codex import stopgate  # +12 ms: bench_hook.py's full check (~50 ms) runs without it

        stopgate.record_baseline(ctx.root, session, ctx.workspace, ctx.env)
        ctx.log(f"review gate baseline recorded for {ctx.workspace}")
    stamp = db_stamp(str(ctx.root))
    if stamp is None:
        return
    prompt = str(data.get("prompt") or "").lower()
    if "$cc:result" not in prompt and "$cc:status" not in prompt:
        announce(ctx, session)
    state.write_text(state.session_file(ctx.root, session, ".seen"), stamp)


def announce(ctx: HookContext, session: str) -> None:
    """Print one note about the session's unread finished jobs, and mark them announced."""
    with Store(ctx.root) as store:
        finished = store.list(None, owner=session, states=(State.COMPLETED, State.FAILED), limit=200)
        fresh = [j for j in finished if j.unread and store.mark_notified(j.id) is not None]
    if not fresh:
        return
    rows = [f"- {j.id} ({j.kind}, {j.state.value}): {j.title}" for j in fresh[:SHOWN]]
    if len(fresh) > SHOWN:
        rows.append(f"- and {len(fresh) - SHOWN} more")
    if len(fresh) == 1:
        head = "A Claude Code job from this session finished and the user has not seen it yet:"
        hint = f"tell the user in one line that it finished and that `$cc:result {fresh[0].id}` opens it"
    else:
        head = f"{len(fresh)} Claude Code jobs from this session finished and the user has not seen them yet:"
        hint = (
            "tell the user in one line that they finished; `$cc:status` lists them and `$cc:result <job-id>` opens one"
        )
    tail = (
        f"Before handling the new request, {hint}. If the request is about this work, answer it directly instead. "
        "Do not bring these jobs up again after this turn."
    )
    sys.stdout.write("\n".join([head, *rows, "", tail]) + "\n")
    ctx.log("announced " + " ".join(j.id for j in fresh))


def stop(ctx: HookContext, data: Mapping[str, Any]) -> None:
    if ctx.own is None or not state.gate_on(ctx.root, ctx.workspace):
        return
    from ccplugin.codex import stopgate  # only where the gate is on (see prompt_submit)

    stop_input = stopgate.StopInput(
        root=ctx.root,
        session=ctx.own,
        workspace=ctx.workspace,
        stop_hook_active=data.get("stop_hook_active") is True,
        env=ctx.env,
    )
    decision = stopgate.decide(stop_input)
    said = decision.text.partition("\n")[0]
    ctx.log((decision.log or ("blocked" if decision.block else "allowed")) + (f" | {said}" if said else ""))
    out = decision.output()
    if out is not None:
        sys.stdout.write(out + "\n")


def session_end(ctx: HookContext, data: Mapping[str, Any]) -> None:
    session = ctx.own
    if session is None:
        return
    if db_stamp(str(ctx.root)) is None:  # no store: no jobs to stop
        state.forget_session(ctx.root, session)
        return
    cancelled, failed = [], []
    with Store(ctx.root) as store:
        for job in store.list(None, owner=session, states=LIVE):
            try:
                done = lifecycle.cancel(store, job.id, _session_end_grace())
            except CCError as e:
                failed.append(f"{job.id} ({e.line()})")
                continue
            cancelled.append(f"{done.id} ({done.state.value})")
    state.forget_session(ctx.root, session)
    ctx.log("ended; cancelled " + (" ".join(cancelled) or "nothing") + (f"; failed {failed}" if failed else ""))
    if cancelled:
        sys.stderr.write(f"ccplugin: cancelled this session's Claude Code jobs: {', '.join(cancelled)}\n")


def _session_end_grace() -> float:
    """SIGTERM → SIGKILL for the next job, so that the last one is gone inside Codex's timeout."""
    left = SESSION_END_DEADLINE - (time.monotonic() - _STARTED)
    return max(0.1, min(SESSION_END_KILL_AT, left))


HANDLERS: dict[str, Callable[[HookContext, Mapping[str, Any]], None]] = {
    "SessionStart": session_start,
    "UserPromptSubmit": prompt_submit,
    "Stop": stop,
    "SessionEnd": session_end,
}
