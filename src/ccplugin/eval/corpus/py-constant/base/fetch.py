"""Fetch with retries."""


def fetch(get, url):
    for attempt in range(5):
        try:
            return get(url)
        except TimeoutError:
            if attempt == 4:
                raise
