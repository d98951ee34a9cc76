"""Greetings."""


def greet(name, count):
    return f"Hello {name}, you have {count} new messages"
