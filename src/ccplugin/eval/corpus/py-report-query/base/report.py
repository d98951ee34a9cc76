"""Sales report queries."""

import sqlite3


def totals(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    cur = conn.execute("SELECT customer, SUM(amount) FROM sales GROUP BY customer")
    return cur.fetchall()
