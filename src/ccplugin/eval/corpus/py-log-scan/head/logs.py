"""Log file helpers."""

from pathlib import Path


def log_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.log"))


def error_count(folder: Path) -> int:
    """Lines mentioning ERROR in every log of ``folder`` (thousands of files)."""
    count = 0
    for path in log_files(folder):
        f = open(path, encoding="utf-8")
        count += sum(1 for line in f if "ERROR" in line)
    return count
