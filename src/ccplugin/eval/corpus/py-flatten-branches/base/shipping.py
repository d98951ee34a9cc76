"""Shipping costs."""


def shipping(weight_kg, express):
    if express:
        if weight_kg > 20:
            return 40.0
        return 15.0
    else:
        if weight_kg > 20:
            return 25.0
        return 5.0
