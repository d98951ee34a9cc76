"""Rescue: hand a task to Claude Code as a tracked job (allowed to edit by default), resume it, report what changed.

Modules: ``request`` (what was asked, validated), ``resume`` (resume or fresh, settled once), ``prompt``,
``run`` (the Claude run and the tree it changed), ``outcome``, ``job`` (the tracked job every surface runs),
``worktree`` (a patch from a throwaway worktree), ``failover`` (a command watched until it fails or stalls).

Decisions (also in the README, "Rescue and failover"):

- Resume scope: the rescue jobs of this workspace, and of this Codex session when there is one
  (``CODEX_SESSION_ID``); outside Codex every rescue of the workspace. The candidate is the newest
  *finished* rescue (completed, failed or cancelled) that recorded a Claude session; live jobs are
  never candidates, and ``--resume`` refuses while a rescue in scope is still live (two Claude
  processes must not write one session). The query and ``--resume`` use the same lookup.
- Neither ``--resume`` nor ``--fresh``: an interactive caller may ask once (the recommendation
  comes from the task's wording); otherwise the rescue starts fresh and the outcome says so and
  carries the candidate (``resume_candidate``), so a host can ask its user and re-run.
- Claude runs at the workspace root with its session persisted (that is what makes it
  resumable). Write mode is ``acceptEdits`` plus the write tools, never ``bypassPermissions``.
"""
