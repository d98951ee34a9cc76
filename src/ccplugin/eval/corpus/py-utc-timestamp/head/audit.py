"""Audit trail."""

from datetime import datetime, timezone

events: list[dict[str, str]] = []


def record(action: str, user: str) -> None:
    """Append an event stamped with the current time as an aware UTC datetime."""
    when = datetime.now().replace(tzinfo=timezone.utc)
    events.append({"action": action, "user": user, "at": when.isoformat()})
