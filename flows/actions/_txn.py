"""What every reconciler shares: one transaction for its writes, the build it reads, its progress line.

Every change a reconciler makes to ops state for a run goes inside one transaction:

    with transaction(con):
        apply(con, plan)

Begins, commits when the block ends, rolls back on any exception (KeyboardInterrupt included:
a half-applied plan must never stay) and re-raises it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, enabled: bool = True) -> Iterator[None]:
    """One transaction around the block; `enabled=False` runs the block as is (a dry run writes nothing)."""
    if not enabled:
        yield
        return
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def built_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as_of the marts describe: that of the latest finished dbt build (None: never built)."""
    row = con.execute("select as_of from ops.dbt_builds order by finished_at desc limit 1").fetchone()
    return row[0] if row else None


def counts(items: dict[str, int], empty: str = "") -> str:
    """`a 2, b 1`: a {name: count} dict as a progress-line fragment, sorted by name."""
    return ", ".join(f"{k} {v}" for k, v in sorted(items.items())) or empty
