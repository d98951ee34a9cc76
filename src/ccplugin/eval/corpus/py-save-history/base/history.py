"""Shell history."""

from pathlib import Path

HISTORY = Path.home() / ".tool_history"


def load() -> list[str]:
    if not HISTORY.exists():
        return []
    return HISTORY.read_text(encoding="utf-8").splitlines()
