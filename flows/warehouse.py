"""The DuckDB warehouse: one connection helper and the versioned DDL of Steward's own schemas.

`raw` holds landed rows, `ops` the stateful operational tables Python owns (ledger,
alerts, outbox, runs). dbt owns every other schema and reads `ops` back as a source.
The ops schema changes only through numbered migrations in flows/migrations/ (NNNN_name.sql),
applied in order on connect and recorded in ops.schema_migrations.
"""

from __future__ import annotations

import re
import time
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


def quote_ident(name: str) -> str:
    """A DuckDB identifier, double-quoted (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The numbered migrations `NNNN_name.sql`, in order. Numbers may skip (branches developed side
    by side each take one); a number used twice is a bug."""
    found = []
    for f in sorted(directory.glob("*.sql")):
        number, _, name = f.stem.partition("_")
        if not number.isdigit() or not name:
            raise SchemaError(f"{f}: migration files are named NNNN_name.sql")
        found.append(Migration(int(number), name, f.read_text(encoding="utf-8")))
    numbers = [m.version for m in found]
    if len(set(numbers)) != len(numbers) or not found or found[0].version != 1:
        raise SchemaError(f"{directory}: migrations must start at 0001 and use each number once, found {numbers}")
    return found


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The migrations applied to this warehouse (empty: none, e.g. a pre-versioning release)."""
    return {r[0] for r in con.execute("select version from ops.schema_migrations").fetchall()}


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this warehouse (0: none)."""
    return max(applied_versions(con), default=0)


def migrate(con: duckdb.DuckDBPyConnection, path: Path | str = "the warehouse") -> list[Migration]:
    """Bring the ops schema up to this code's version, each migration in its own transaction.

    A warehouse built before versioning has no ops.schema_migrations: migration 1 (the baseline,
    all `if not exists`) brings it to the baseline shape in place, keeping its rows. A warehouse
    whose version is newer than this code knows is refused: running old code on it could write
    rows the newer schema does not expect.
    """
    con.execute(_VERSION_DDL)
    known = migrations()
    done = applied_versions(con)
    unknown = sorted(done - {m.version for m in known})
    if unknown:
        raise SchemaError(
            f"{path} has ops schema version {max(done)}, but this Steward only knows up to {known[-1].version} "
            f"(migration(s) {', '.join(map(str, unknown))} came from a newer Steward). "
            "Upgrade Steward (or use a copy of the warehouse).")
    applied = []
    for m in (m for m in known if m.version not in done):
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


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file open (said in one line, naming that process)."""


# How long the run waits for a process holding the writer's file (config run.lock_wait_seconds,
# set once by the run through `set_lock_wait`) before failing with WarehouseBusy.
_lock_wait = {"seconds": 30.0}


def set_lock_wait(seconds: float) -> None:
    _lock_wait["seconds"] = float(seconds)


def _open_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting a bounded time while another process holds the file's lock."""
    deadline = time.monotonic() + _lock_wait["seconds"]
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise
            if time.monotonic() >= deadline:
                m = re.search(r"held in (.+?) \(PID (\d+)\)", text)
                who = f"pid {m.group(2)} ({m.group(1)})" if m else "another process"
                raise WarehouseBusy(
                    f"the warehouse {path} is held open by {who}; waited {_lock_wait['seconds']:.0f} s. "
                    f"Only the run opens it: readers use the analyst copy {analyst_copy_path(path)}") from None
            time.sleep(0.5)


# DuckDB's memory cap and spill folder for every connection Steward opens (config `duckdb`, set by
# load_config through `set_resources`; dbt's profile gets the same values from flows/transform.py).
# Over the cap DuckDB spills to the temp directory instead of the worker being killed.
_resources: dict[str, str | None] = {"memory_limit": "5GB", "temp_directory": None}


def set_resources(memory_limit: str, temp_directory: Path | str | None) -> None:
    _resources["memory_limit"] = memory_limit
    _resources["temp_directory"] = str(temp_directory) if temp_directory else None


def resources(path: Path | str) -> dict[str, str]:
    """The settings a connection to `path` gets (temp directory default: `tmp` beside the file)."""
    return {"memory_limit": str(_resources["memory_limit"]),
            "temp_directory": _resources["temp_directory"] or str(Path(path).parent / "tmp")}


def set_temp_directory(con: duckdb.DuckDBPyConnection, directory: str) -> None:
    """Point DuckDB's spill folder at `directory`, once per database.

    Every connection to one file in a process shares one database, and once that database has
    spilled DuckDB refuses any `SET temp_directory`, even to the folder it already uses ("Cannot
    switch temporary directory after the current one has been used"). Setting it on every new
    connection made the first one after a spill fail: at tier L, dbt's next model died that way.
    So set it only when it differs; a database already spilling elsewhere keeps its folder.
    """
    if con.execute("select current_setting('temp_directory')").fetchone()[0] == directory:
        return
    try:
        con.execute(f"set temp_directory = '{directory.replace(chr(39), chr(39) * 2)}'")
    except duckdb.NotImplementedException:
        pass  # in use by this database already (spilled): it keeps spilling where it started


def apply_resources(con: duckdb.DuckDBPyConnection, path: Path | str) -> duckdb.DuckDBPyConnection:
    """SET (not connect-time config: that would clash with another open connection of the same file)."""
    settings = resources(path)
    con.execute(f"set memory_limit = '{settings['memory_limit'].replace(chr(39), chr(39) * 2)}'")
    set_temp_directory(con, settings["temp_directory"])
    return con


def open_reader(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection (the analyst copy, notebooks' view) with Steward's memory settings."""
    return apply_resources(duckdb.connect(str(path), read_only=True), path)


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse with Steward's schemas migrated to this version."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_writer(path)
    con.execute("set enable_progress_bar = false")  # DuckDB's own bar would interleave with ours
    try:
        apply_resources(con, path)
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
