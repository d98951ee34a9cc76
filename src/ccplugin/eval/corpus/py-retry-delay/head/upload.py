"""Upload files to the storage service."""

import time

RETRY_DELAY_MS = 250


def upload(client, path: str, attempts: int = 3) -> str:
    with open(path, "rb") as f:
        data = f.read()
    for attempt in range(attempts):
        try:
            return client.put(path, data)
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(RETRY_DELAY_MS)
    raise AssertionError("unreachable")
