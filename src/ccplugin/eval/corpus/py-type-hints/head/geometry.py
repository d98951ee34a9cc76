"""Geometry helpers."""

import math


def area(radius: float) -> float:
    return math.pi * radius * radius


def circumference(radius: float) -> float:
    return 2 * math.pi * radius
