"""The `claude -p` command line for one run: output format, model, limits, permissions.

Permission facts this relies on (claude 2.1.197, checked against a loopback fake API):

- ``--permission-mode dontAsk`` denies every tool call not allowed by a rule, without asking.
  Claude Code also auto-allows commands it knows to be read-only (``ls``, ``grep``, ``git
  diff``) and refuses their writing flags (``git diff --output=…``). An explicit prefix rule
  such as ``Bash(git diff:*)`` *widens* that: it lets ``--output=<file>`` through. So every
  git rule is paired with deny rules (``--disallowedTools``, which win over allow rules).
- ``acceptEdits`` lets Claude edit files and run file-system commands inside the working
  directory; any other command needs a rule. ``bypassPermissions`` is refused as root (CI).
- Both tool flags are variadic: one flag followed by one argv element per rule. The prompt
  goes after ``--`` so a prompt starting with ``-`` is never read as an option.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ccplugin.claude.types import Mode, RunSpec

_GIT_READ = (
    "status",
    "diff",
    "log",
    "show",
    "blame",
    "rev-parse",
    "ls-files",
    "merge-base",
    "describe",
    "shortlog",
    "cat-file",
)

READ_ONLY_TOOLS: tuple[str, ...] = (
    "Read",
    "Glob",
    "Grep",
    *(f"Bash(git {cmd}:*)" for cmd in _GIT_READ),
)

# writing or command-running flags of the commands allowed above
DENIED_TOOLS: tuple[str, ...] = (
    "Bash(git *--output*)",
    "Bash(git *--ext-diff*)",
    "Bash(git grep *-O*)",
    "Bash(git grep *--open-files-in-pager*)",
)

# a rescue that edits but runs nothing of the project (a worktree rescue of a change under review)
EDIT_TOOLS: tuple[str, ...] = (*READ_ONLY_TOOLS, "Edit", "MultiEdit", "Write", "NotebookEdit")

# rescue --write: edit files, and run the project's tests to check a fix
WRITE_TOOLS: tuple[str, ...] = (
    *EDIT_TOOLS,
    "Bash(python -m pytest:*)",
    "Bash(python3 -m pytest:*)",
    "Bash(pytest:*)",
    "Bash(npm test:*)",
    "Bash(npm run test:*)",
    "Bash(make test:*)",
    "Bash(go test:*)",
    "Bash(cargo test:*)",
)

_PERMISSION_MODE = {
    Mode.REVIEW: "dontAsk",
    Mode.GATE: "dontAsk",
    Mode.RESCUE_READ: "dontAsk",
    Mode.RESCUE_WRITE: "acceptEdits",
}


def allowed_tools(spec: RunSpec) -> tuple[str, ...]:
    """The allow rules for ``spec``'s mode plus its extra rules, without duplicates."""
    base = READ_ONLY_TOOLS
    if spec.mode is Mode.RESCUE_WRITE:
        base = WRITE_TOOLS if spec.run_tests else EDIT_TOOLS
    return tuple(dict.fromkeys((*base, *spec.allow)))


def schema_arg(schema: Mapping[str, Any]) -> str:
    """The schema as claude takes it: compact JSON without the top-level ``$schema``.

    claude 2.1.197 silently ignores a ``--json-schema`` that declares ``"$schema":
    ".../draft/2020-12/schema"`` (no StructuredOutput tool is offered, so no structured output
    ever comes back); the same schema without the key works. Our own validation of the answer
    still uses the declared draft.
    """
    body = {k: v for k, v in schema.items() if k != "$schema"}
    return json.dumps(body, separators=(",", ":"))


_UNTRUSTED_CHECKOUT = frozenset({Mode.REVIEW, Mode.GATE})


def run_env(spec: RunSpec) -> dict[str, str]:
    """Environment variables the mode sets for claude.

    Reviewing an untrusted checkout, claude must not put its own git status (branch names and
    recent commit subjects, raw) into the system prompt, outside the prompt's untrusted section.
    """
    return {"CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS": "1"} if spec.mode in _UNTRUSTED_CHECKOUT else {}


def build_argv(binary: str, spec: RunSpec, *, prompt_on_stdin: bool = False) -> list[str]:
    """The full argv; with ``prompt_on_stdin`` the prompt is left out (Claude reads stdin)."""
    argv = [binary, "-p", "--output-format", "stream-json", "--verbose"]
    if spec.model:
        argv += ["--model", spec.model]
    if spec.effort:
        argv += ["--effort", spec.effort]
    argv += ["--max-turns", str(spec.max_turns)]
    if not spec.persist_session:
        argv.append("--no-session-persistence")
    if spec.resume:
        argv += ["--resume", spec.resume]
    if spec.json_schema is not None:
        argv += ["--json-schema", schema_arg(spec.json_schema)]
    argv += ["--permission-mode", _PERMISSION_MODE[spec.mode]]
    if spec.mode in _UNTRUSTED_CHECKOUT:
        # the reviewed change may ship .claude/settings.json hooks or .mcp.json servers: never load them
        argv += ["--setting-sources", "user", "--strict-mcp-config"]
    argv += ["--allowedTools", *allowed_tools(spec)]
    argv += ["--disallowedTools", *DENIED_TOOLS]
    if not prompt_on_stdin:
        argv += ["--", spec.prompt]
    return argv
