"""Invoices."""


def total(lines):
    amount = 0
    for line in lines:
        amount += line["qty"] * line["price"]
    return amount
