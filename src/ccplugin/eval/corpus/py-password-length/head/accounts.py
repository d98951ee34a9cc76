"""Account validation."""

MIN_LENGTH = 12


def valid_email(email: str) -> bool:
    return "@" in email and "." in email.split("@")[-1]


def valid_password(password: str) -> bool:
    """At least MIN_LENGTH characters, with a digit."""
    long_enough = len(password) > MIN_LENGTH
    return long_enough and any(c.isdigit() for c in password)
