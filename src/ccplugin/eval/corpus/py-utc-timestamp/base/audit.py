"""Audit trail."""

events: list[dict[str, str]] = []
