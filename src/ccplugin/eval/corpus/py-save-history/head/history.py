"""Shell history."""

from pathlib import Path

HISTORY = Path.home() / ".tool_history"


def load() -> list[str]:
    if not HISTORY.exists():
        return []
    return HISTORY.read_text(encoding="utf-8").splitlines()


def save(session_commands: list[str]) -> None:
    """Add this session's commands to the history kept across sessions."""
    with open(HISTORY, "w", encoding="utf-8") as f:
        for command in session_commands:
            f.write(command + "\n")
