import pytest

from slug import slug


@pytest.mark.parametrize(
    ("title", "expected"),
    [("Hello", "hello"), ("Hello World", "hello-world"), ("  Many   spaces ", "many-spaces")],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected
