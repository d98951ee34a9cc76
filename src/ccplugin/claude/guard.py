"""Claude Code ``PreToolUse`` hook of a read-only run: Bash runs read-only git, Glob stays home.

Claude starts it as ``python -I -S guard.py`` in the working directory (standard library only,
no ccplugin import: it runs once per tool call and must start fast). It reads the hook's JSON on stdin and
exits 2 with one line on stderr to refuse the call (Claude hands the line to the model), 0 to
leave the decision to Claude's own permission rules, which still apply after it.

Why a hook: with ``--permission-mode dontAsk`` Claude Code still auto-allows the commands it
classifies as read-only (``cat``, ``grep -r``, ``find``, ...) inside the working directory,
and those walk into folders the deny rules protect (``grep -r x .`` reads a state folder
inside the repository). The hook is an allowlist: a Bash command is one
``git <read command> <arguments>`` with no shell syntax, no option that reads or writes a
file of its choosing or runs a configured program, and no path outside the repository.
Claude 2.1.197 lists outside files for a Glob whose *pattern* is absolute (its permission
check looks at ``path`` only), so a Glob pattern must be relative and stay inside too.
"""

from __future__ import annotations

import json
import re
import shlex
import sys

GIT_READ = frozenset(
    {
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
    }
)
# shell syntax: chaining, redirection, substitution, subshells, escapes, new lines (a glob or a
# ``~`` can only name what path_refusal lets through; ``HEAD~1`` and ``HEAD@{1}`` are git's)
_SHELL = frozenset(";&|<>$`\\()\n\r")
# options that read a file named by the model, write one, or run a configured program
_FORBIDDEN = (
    "--output",
    "--ext-diff",
    "--textconv",
    "--filters",
    "--no-index",
    "--contents",
    "--open-files-in-pager",
    "--show-signature",
    "--ignore-revs-file",
    "--exclude-from",
    "--exclude-per-directory",
    "--pathspec-from-file",
    "--orderfile",
    "--exec",
)
# real options that are also prefixes of a forbidden one
_EXACT_OK = frozenset({"--text", "--exclude", "--filter"})
_FORBIDDEN_SHORT = ("-O", "-X")  # orderfile, exclude-from: the value may be attached
_BLAME_FORBIDDEN_SHORT = ("-S",)  # blame's revs-file (log's -S is the pickaxe search)
_SIGNATURE = "%G"  # a --format placeholder that runs gpg.program
# the one shell tail a reviewer may add: stderr into stdout, then head/tail cutting the output by
# a count (what models write, and what review.coverage still counts as having seen the diff)
_CUT = re.compile(r"(?:\s+2>&1)?(?:\s*\|\s*(?:head|tail)(?:\s+-[nc]?\s*\d+)?)?\s*$")


def refusal(event: dict[str, object]) -> str | None:
    """Why this tool call must not run, or None."""
    tool = event.get("tool_name")
    data = event.get("tool_input")
    if not isinstance(data, dict):
        return None
    if tool == "Bash":
        return bash_refusal(str(data.get("command", "")))
    if tool == "Glob":
        return path_refusal(str(data.get("pattern", "")))
    return None


def bash_refusal(command: str) -> str | None:
    """Only ``git <read command> <arguments>``, its output maybe cut by head/tail; see the module docstring."""
    command = _CUT.sub("", command, count=1)
    if any(c in _SHELL for c in command):
        return "only a plain read-only git command may run: no shell syntax (; & | < > $ ` ( ) \\ or a new line)"
    try:
        words = shlex.split(command)
    except ValueError:
        return "the command does not parse"
    if len(words) < 2 or words[0] != "git" or words[1] not in GIT_READ:
        return "only read-only git commands may run here: git " + "|".join(sorted(GIT_READ))
    for word in words[2:]:
        reason = argument_refusal(words[1], word)
        if reason:
            return reason
    return None


def argument_refusal(subcommand: str, word: str) -> str | None:
    """Why one argument of ``git <subcommand>`` is refused, or None."""
    if word.startswith("-") and _forbidden_option(subcommand, word):
        return f"git option {word.split('=')[0]} is not allowed in a review"
    if _SIGNATURE in word:
        return "signature placeholders (%G) are not allowed in a review"
    value = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
    if value.startswith(":/"):
        return None
    return path_refusal(value.split(":", 1)[1] if _is_rev_path(value) else value)


def _forbidden_option(subcommand: str, word: str) -> bool:
    name = word.split("=", 1)[0]
    if word.startswith("--"):  # git takes any unambiguous prefix of a long option
        return name not in _EXACT_OK and any(len(name) > 3 and option.startswith(name) for option in _FORBIDDEN)
    short = _FORBIDDEN_SHORT + (_BLAME_FORBIDDEN_SHORT if subcommand == "blame" else ())
    return any(word.startswith(option) for option in short)


def _is_rev_path(value: str) -> bool:
    """``<rev>:<path>`` (``HEAD:calc.py``, ``:calc.py``); ``:/<text>`` names a commit, not a path."""
    return ":" in value and not value.startswith(("/", ".", ":/"))


def path_refusal(value: str) -> str | None:
    """A path that leaves the repository: absolute, home-relative, or with a ``..`` part."""
    if value.startswith(("/", "~")) or ".." in value.replace("\\", "/").split("/"):
        return f"{value!r} is outside the repository: only paths inside it may be read"
    return None


def main() -> int:
    try:
        event = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        print("the tool call could not be checked", file=sys.stderr)
        return 2
    reason = refusal(event) if isinstance(event, dict) else "the tool call could not be checked"
    if reason:
        print(reason, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
