"""Greetings."""


def greet(name, count):
    return "Hello %s, you have %d new messages" % (name, count)
