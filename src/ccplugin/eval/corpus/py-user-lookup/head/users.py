"""User directory."""

from dataclasses import dataclass


@dataclass
class User:
    id: int
    name: str


_USERS = {1: User(1, "Ada"), 2: User(2, "Linus")}


def find_user(user_id: int) -> User | None:
    """The user, or None when there is no such user."""
    return _USERS.get(user_id)


def greeting(user_id: int) -> str:
    user = find_user(user_id)
    return f"Hello, {user.name}!"
