"""Log file helpers."""

from pathlib import Path


def log_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.log"))
