"""The rescue prompt: the task verbatim, any evidence, then the rules of its mode."""

from __future__ import annotations

from ccplugin.rescue.request import CONTINUE_PROMPT, RescueRequest

_WRITE_RULES = (
    "You may edit files in this repository to get the task done. Make the smallest change that does it, "
    "check it (run the relevant tests when you can), and do not commit, push or rewrite git history."
)
_EDIT_RULES = (
    "You may edit files in this repository to get the task done. Make the smallest change that does it, and do "
    "not commit, push or rewrite git history. You cannot run commands here: the tests are run after you finish."
)
_READ_RULES = (
    "This run is read-only: do not edit files. Investigate, and put any change you propose in your answer as a diff."
)
_REPORT = (
    "Finish with a short report: what you found, what you changed (file by file) and how you checked it, "
    "and what is left to do."
)


def render_prompt(req: RescueRequest) -> str:
    """The prompt: the task verbatim, any evidence, then the rules of this mode."""
    task = req.task.strip() or CONTINUE_PROMPT
    parts = [f"<task>\n{task}\n</task>"]
    if req.context.strip():
        parts.append(f"<previous_attempt>\n{req.context.strip()}\n</previous_attempt>")
    parts += [_rules(req), _REPORT]
    return "\n\n".join(parts)


def _rules(req: RescueRequest) -> str:
    if not req.write:
        return _READ_RULES
    return _WRITE_RULES if req.run_tests else _EDIT_RULES
