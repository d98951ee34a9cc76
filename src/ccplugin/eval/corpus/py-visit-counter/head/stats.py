"""Visit statistics shared by the request worker threads."""

import threading


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.visits: dict[str, int] = {}

    def record(self, page: str) -> None:
        """Called from every worker thread."""
        count = self.visits.get(page, 0)
        self.visits[page] = count + 1

    def total(self) -> int:
        with self._lock:
            return sum(self.visits.values())
