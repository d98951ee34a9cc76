"""Listing helpers for the catalogue API."""


def page(items: list[str], number: int, size: int) -> list[str]:
    """Items of 1-based page ``number``."""
    start = (number - 1) * size
    return items[start : start + size]
