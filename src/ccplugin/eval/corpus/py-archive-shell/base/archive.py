"""Project archives."""

from pathlib import Path

ARCHIVES = Path("/var/archives")
