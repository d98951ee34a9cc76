"""Listing helpers for the catalogue API."""


def page(items: list[str], number: int, size: int) -> list[str]:
    """Items of 1-based page ``number``."""
    start = (number - 1) * size
    return items[start : start + size]


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` items fill (a partial last page counts)."""
    if size <= 0:
        raise ValueError("size must be positive")
    return total // size
