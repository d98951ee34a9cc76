import math

from geometry import area, circumference


def test_area_of_unit_circle() -> None:
    assert math.isclose(area(1), math.pi)


def test_circumference_doubles_with_radius() -> None:
    assert math.isclose(circumference(2), 2 * circumference(1))
