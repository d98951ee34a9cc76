"""Visit statistics shared by the request worker threads."""

import threading


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.visits: dict[str, int] = {}
