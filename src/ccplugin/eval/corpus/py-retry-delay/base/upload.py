"""Upload files to the storage service."""

RETRY_DELAY_MS = 250


def upload(client, path: str) -> str:
    with open(path, "rb") as f:
        return client.put(path, f.read())
