"""Geometry helpers."""

import math


def area(radius):
    """The area of a circle of ``radius``."""
    return math.pi * radius * radius


def circumference(radius):
    """The perimeter of a circle of ``radius``."""
    return 2 * math.pi * radius
