"""Invoices."""


def total(lines):
    t = 0
    for l in lines:
        t += l["qty"] * l["price"]
    return t
