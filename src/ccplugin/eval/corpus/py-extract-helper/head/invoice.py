"""Invoices."""


def line_amount(line):
    return line["qty"] * line["price"]


def total(lines):
    t = 0
    for l in lines:
        t += line_amount(l)
    return t
