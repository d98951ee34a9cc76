"""The `claude -p` command line for one run: output format, model, limits, tools, permissions.

Permission facts this relies on (claude 2.1.197 and 2.1.332, checked against a loopback fake API):

- ``--permission-mode dontAsk`` denies every tool call not allowed by a rule, without asking.
  Claude Code also auto-allows commands it knows to be read-only (``ls``, ``cat``, ``grep``,
  ``git diff``) *inside the working directory* and refuses their writing flags (``git diff
  --output=…``). An explicit prefix rule such as ``Bash(git diff:*)`` *widens* that: it lets
  ``--output=<file>`` through. So every git rule is paired with deny rules
  (``--disallowedTools``, which win over allow rules).
- ``Read``, ``Glob`` and ``Grep`` need no rule inside the working directory, and are denied
  outside it, ``..`` paths and symlinks that resolve outside included. A bare ``Read`` (or
  ``Glob``, ``Grep``) allow rule allows *every* file on the machine: ``/etc/shadow``,
  ``~/.claude/.credentials.json``, ``/proc/<pid>/environ``. Read-only runs have none.
- ``Tool(//abs/path/**)`` is an absolute path rule (``/path`` is relative to the settings
  file); as a deny rule it stops Read, Glob and Grep (and Bash's ``cat``/``ls`` of it) even
  inside the working directory: the state folder, Claude's config and ``.git`` stay private.
- What dontAsk still lets through, so a ``PreToolUse`` hook (``--settings``, loaded with
  ``--setting-sources user`` too; exit 2 refuses, its stderr goes to the model) guards Bash and
  Glob in read-only runs (:mod:`ccplugin.claude.guard`): ``grep -r x .`` walks into a private
  folder inside the repository; ``git diff <outside file> <file>`` (an implicit ``--no-index``)
  and ``git blame --contents <outside file>`` read outside; with 2.1.197 a Glob whose
  *pattern* is absolute lists outside files (2.1.332 denies it).
- ``--tools A,B`` (both versions) is the whole built-in tool set the model is offered; a name
  the CLI does not know is ignored; ``StructuredOutput`` still comes with ``--json-schema``. A
  call of any other tool (EnterWorktree, Agent, WebFetch, ...) is "No such tool available".
  Without it, 2.1.197 offers 26 tools, 2.1.332 14 (EnterWorktree, Agent with ``isolation:
  "worktree"``, cron/task tools and WebFetch among them). For a CLI older than the first
  version checked, every unneeded built-in is denied by name instead.
- ``acceptEdits`` lets Claude edit files and run file-system commands inside the working
  directory; any other command needs a rule. ``bypassPermissions`` is refused as root (CI).
- Both tool flags are variadic: one flag followed by one argv element per rule. The prompt
  goes after ``--`` so a prompt starting with ``-`` is never read as an option.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccplugin.claude.guard import GIT_READ
from ccplugin.claude.types import Mode, RunSpec

# Read, Glob and Grep need no rule: Claude allows them inside the working directory and, with
# dontAsk, denies them outside it; a bare ``Read`` rule would allow every file on the machine
READ_ONLY_TOOLS: tuple[str, ...] = tuple(f"Bash(git {cmd}:*)" for cmd in GIT_READ)

# writing or command-running flags of the commands allowed above
DENIED_TOOLS: tuple[str, ...] = (
    "Bash(git *--output*)",
    "Bash(git *--ext-diff*)",
    "Bash(git grep *-O*)",
    "Bash(git grep *--open-files-in-pager*)",
)

# a rescue that edits but runs nothing of the project (a worktree rescue of a change under review):
# no bare Read or Edit rule, which would reach every file on the runner; acceptEdits already reads
# and edits inside the worktree it runs in
EDIT_TOOLS: tuple[str, ...] = READ_ONLY_TOOLS

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

# the tools a run is offered (``--tools``): everything else (Agent, EnterWorktree, WebFetch,
# Skill, cron and task tools, ...) does not exist for it; StructuredOutput still comes with
# --json-schema. Names a CLI does not know are ignored (2.1.197 and 2.1.332 have no MultiEdit).
READ_TOOLSET: tuple[str, ...] = ("Read", "Grep", "Glob", "Bash")
WRITE_TOOLSET: tuple[str, ...] = (*READ_TOOLSET, "Edit", "MultiEdit", "Write", "NotebookEdit")
# for a CLI without --tools: every built-in tool a run does not need, denied by name
UNNEEDED_BUILTINS: tuple[str, ...] = (
    "Agent",
    "Task",
    "EnterWorktree",
    "ExitWorktree",
    "WebFetch",
    "WebSearch",
    "Skill",
    "SlashCommand",
    "CronCreate",
    "CronDelete",
    "CronList",
    "TaskCreate",
    "TaskGet",
    "TaskList",
    "TaskOutput",
    "TaskStop",
    "TaskUpdate",
    "TodoWrite",
    "SendMessage",
    "ScheduleWakeup",
    "Workflow",
    "ListAgents",
    "ToolSearch",
    "ReportFindings",
    "BashOutput",
    "KillShell",
    "ExitPlanMode",
    "LSP",
)
_WRITE_ONLY = ("Edit", "MultiEdit", "Write", "NotebookEdit")
# the first version checked to take --tools (2.1.197 and 2.1.332 both do)
TOOLS_FLAG_SINCE = (2, 1, 197)


@dataclass(frozen=True)
class Confinement:
    """What a run may reach besides its mode's rules.

    ``explicit_tools``: the CLI takes ``--tools`` (else the unneeded built-ins are denied by
    name); ``private``: folders and files never read nor written even inside the working
    directory (the state folder, Claude's config); ``guard``: the command of the PreToolUse
    hook of read-only runs (:mod:`ccplugin.claude.guard`), None for none.
    """

    explicit_tools: bool = True
    private: tuple[str, ...] = ()
    guard: str | None = None


def supports_tools_flag(version: tuple[int, int, int] | None) -> bool:
    return version is not None and version >= TOOLS_FLAG_SINCE


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


def tool_args(spec: RunSpec, confinement: Confinement) -> list[str]:
    """``--tools`` with the mode's set; nothing for a CLI without the flag (see :func:`denied_tools`)."""
    if not confinement.explicit_tools:
        return []
    return ["--tools", ",".join(WRITE_TOOLSET if spec.mode is Mode.RESCUE_WRITE else READ_TOOLSET)]


def denied_tools(spec: RunSpec, confinement: Confinement) -> tuple[str, ...]:
    """The git flag rules; per private path a ``Read`` deny rule (it covers Glob, Grep and Bash's
    ``cat``/``ls``; ``//`` is absolute) and an ``Edit`` one when the run writes (it covers every
    file-editing tool); without ``--tools``, every built-in tool the mode does not need."""
    writes = spec.mode is Mode.RESCUE_WRITE
    tools = ("Read", "Edit") if writes else ("Read",)
    rules = [f"{tool}(/{path}{suffix})" for path in confinement.private for tool in tools for suffix in ("", "/**")]
    unneeded = () if confinement.explicit_tools else (*UNNEEDED_BUILTINS, *(() if writes else _WRITE_ONLY))
    return tuple(dict.fromkeys((*DENIED_TOOLS, *rules, *unneeded)))


def guard_settings(command: str) -> str:
    """``--settings`` JSON that runs ``command`` before every Bash and Glob call."""
    hook = {"type": "command", "command": command}
    return json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash|Glob", "hooks": [hook]}]}}, separators=(",", ":"))


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


def build_argv(
    binary: str, spec: RunSpec, *, prompt_on_stdin: bool = False, confinement: Confinement | None = None
) -> list[str]:
    """The full argv; with ``prompt_on_stdin`` the prompt is left out (Claude reads stdin)."""
    confinement = confinement or Confinement()
    argv = [binary, "-p", "--output-format", "stream-json", "--verbose"]
    if spec.model:
        argv += ["--model", spec.model]
    if spec.effort:
        argv += ["--effort", spec.effort]
    argv += ["--max-turns", str(spec.max_turns)]
    if spec.max_cost_usd is not None:  # both the pinned 2.1.197 and 2.1.332 have it (tests/test_cost_cap.py)
        argv += ["--max-budget-usd", f"{spec.max_cost_usd:.6f}"]
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
    if confinement.guard and spec.mode is not Mode.RESCUE_WRITE:
        argv += ["--settings", guard_settings(confinement.guard)]
    argv += tool_args(spec, confinement)
    argv += ["--allowedTools", *allowed_tools(spec)]
    argv += ["--disallowedTools", *denied_tools(spec, confinement)]
    if not prompt_on_stdin:
        argv += ["--", spec.prompt]
    return argv
