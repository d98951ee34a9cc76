"""Shipping costs."""

HEAVY_KG = 20


def shipping(weight_kg, express):
    heavy = weight_kg > HEAVY_KG
    if express:
        return 40.0 if heavy else 15.0
    return 25.0 if heavy else 5.0
