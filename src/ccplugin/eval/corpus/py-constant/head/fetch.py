"""Fetch with retries."""

MAX_ATTEMPTS = 5


def fetch(get, url):
    for attempt in range(MAX_ATTEMPTS):
        try:
            return get(url)
        except TimeoutError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
