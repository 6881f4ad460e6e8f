"""The DuckDB warehouse: one connection helper and the versioned DDL of Steward's own schemas.

`raw` holds landed rows, `ops` the stateful operational tables Python owns (ledger,
alerts, outbox, runs). dbt owns every other schema and reads `ops` back as a source.
The ops schema changes only through numbered migrations in flows/migrations/ (NNNN_name.sql),
applied in order on connect and recorded in ops.schema_migrations.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Which migrations a warehouse has had; created before any migration runs (so not itself one).
_VERSION_DDL = """
create schema if not exists raw;
create schema if not exists ops;
create table if not exists ops.schema_migrations (
    version     integer primary key,
    name        varchar not null,
    applied_at  timestamp not null
);
"""


class SchemaError(RuntimeError):
    """The warehouse's ops schema cannot be used by this version of Steward (said in one line)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The numbered migrations `NNNN_name.sql`, in order; a gap or a repeated number is a bug."""
    found = []
    for f in sorted(directory.glob("*.sql")):
        number, _, name = f.stem.partition("_")
        if not number.isdigit() or not name:
            raise SchemaError(f"{f}: migration files are named NNNN_name.sql")
        found.append(Migration(int(number), name, f.read_text(encoding="utf-8")))
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise SchemaError(f"{directory}: migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this warehouse (0: none, e.g. a pre-versioning release)."""
    row = con.execute("select max(version) from ops.schema_migrations").fetchone()
    return row[0] or 0


def migrate(con: duckdb.DuckDBPyConnection, path: Path | str = "the warehouse") -> list[Migration]:
    """Bring the ops schema up to this code's version, each migration in its own transaction.

    A warehouse built before versioning has no ops.schema_migrations: migration 1 (the baseline,
    all `if not exists`) brings it to the baseline shape in place, keeping its rows. A warehouse
    whose version is newer than this code knows is refused: running old code on it could write
    rows the newer schema does not expect.
    """
    con.execute(_VERSION_DDL)
    known = migrations()
    current = schema_version(con)
    if current > len(known):
        raise SchemaError(
            f"{path} has ops schema version {current}, but this Steward only knows up to {len(known)}: "
            "it was written by a newer Steward. Upgrade Steward (or use a copy of the warehouse).")
    applied = []
    for m in known[current:]:
        con.execute("begin")
        try:
            con.execute(m.sql)
            con.execute("insert into ops.schema_migrations values (?, ?, now())", [m.version, m.name])
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            raise SchemaError(f"{path}: ops migration {m.version:04d}_{m.name} failed: {exc}") from exc
        applied.append(m)
    return applied


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse with Steward's schemas migrated to this version."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")  # DuckDB's own bar would interleave with ours
    try:
        migrate(con, path)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def session(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection closed on exit, so dbt (its own connection) never sees a held lock."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


def analyst_copy_path(warehouse: Path | str) -> Path:
    """Where readers (analysts, notebooks, `steward sql`, `steward serve`) find the published copy.

    `<workspace>/analyst/<warehouse file name>`: only the run writes the warehouse itself; each
    successful run publishes this read-only copy, so a reader never blocks a run (one writer).
    """
    warehouse = Path(warehouse)
    return warehouse.parent / "analyst" / warehouse.name
