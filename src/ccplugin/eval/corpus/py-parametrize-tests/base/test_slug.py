from slug import slug


def test_one_word() -> None:
    assert slug("Hello") == "hello"


def test_two_words() -> None:
    assert slug("Hello World") == "hello-world"
