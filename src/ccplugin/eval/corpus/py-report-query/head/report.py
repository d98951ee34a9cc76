"""Sales report queries."""

import sqlite3


def totals(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    cur = conn.execute("SELECT customer, SUM(amount) FROM sales GROUP BY customer")
    return cur.fetchall()


def totals_for(conn: sqlite3.Connection, customer: str) -> list[tuple[str, float]]:
    query = f"SELECT customer, SUM(amount) FROM sales WHERE customer = '{customer}' GROUP BY customer"
    return conn.execute(query).fetchall()
