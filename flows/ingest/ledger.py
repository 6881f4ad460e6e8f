"""The load ledger: which file version produced which rows, so nothing loads twice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import duckdb


def content_hash(path: Path) -> str:
    """blake2b of the file bytes: a renamed-but-identical file is still recognised by path."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]


class Decision(Enum):
    NEW = "new"  # path never loaded
    CHANGED = "changed"  # path loaded before with other content: replace its rows
    UNCHANGED = "unchanged"  # same path and content: skip


@dataclass(frozen=True)
class LedgerEntry:
    batch_id: str
    table_name: str
    path: str
    content_hash: str
    rows: int


def decide(con: duckdb.DuckDBPyConnection, rel_path: str, digest: str) -> Decision:
    """Compare a file against the current ledger entry for its path."""
    row = con.execute(
        "select content_hash from ops.load_ledger where path = ? and superseded_at is null",
        [rel_path],
    ).fetchone()
    if row is None:
        return Decision.NEW
    return Decision.UNCHANGED if row[0] == digest else Decision.CHANGED


@dataclass(frozen=True)
class FileStat:
    """A file's size and mtime (ns) as recorded in the ledger, with its recorded content hash."""

    content_hash: str
    size: int | None
    mtime_ns: int | None


def current_stats(con: duckdb.DuckDBPyConnection, table_name: str) -> dict[str, FileStat]:
    """The current ledger entry of every loaded file of one table, by path (one query per table)."""
    rows = con.execute("select path, content_hash, file_size, file_mtime_ns from ops.load_ledger "
                       "where table_name = ? and superseded_at is null", [table_name]).fetchall()
    return {path: FileStat(h, size, mtime) for path, h, size, mtime in rows}


def record_stat(con: duckdb.DuckDBPyConnection, rel_path: str, size: int, mtime_ns: int) -> None:
    """Remember the size and mtime the path's current entry was hashed at, so the next run can skip it."""
    con.execute("update ops.load_ledger set file_size = ?, file_mtime_ns = ? where path = ? and superseded_at is null",
                [size, mtime_ns, rel_path])


def record(con: duckdb.DuckDBPyConnection, entry: LedgerEntry) -> None:
    """Supersede the path's previous entry and record this one (caller holds the transaction)."""
    con.execute(
        "update ops.load_ledger set superseded_at = now() where path = ? and superseded_at is null",
        [entry.path],
    )
    con.execute(
        "insert into ops.load_ledger (batch_id, table_name, path, content_hash, rows, loaded_at, superseded_at) "
        "values (?, ?, ?, ?, ?, now(), null)",
        [entry.batch_id, entry.table_name, entry.path, entry.content_hash, entry.rows],
    )
