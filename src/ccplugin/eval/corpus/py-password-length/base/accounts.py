"""Account validation."""

MIN_LENGTH = 12


def valid_email(email: str) -> bool:
    return "@" in email and "." in email.split("@")[-1]
