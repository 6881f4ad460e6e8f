"""The ingest flow: discover landing files, load new or changed ones per table, skip the rest."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, task

from flows import progress
from flows.config import Config
from flows.ingest import mapping
from flows.ingest.contract import IDENTITY_TABLES, configure
from flows.ingest.discover import Discovery, discover
from flows.ingest.ledger import Decision, FileStat, content_hash, current_stats, decide, record_stat
from flows.ingest.load import ensure_empty_tables, load_file, load_new_parquet
from flows.warehouse import session


@dataclass
class TableLoad:
    """What one table's ingest did."""

    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    rows_loaded: int = 0
    files_not_reread: int = 0  # of the unchanged: same size and mtime as the ledger's entry, not hashed


@dataclass
class IngestResult:
    batch_id: str
    tables: dict[str, TableLoad] = field(default_factory=dict)
    unknown_files: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())


def new_batch_id() -> str:
    return datetime.now(timezone.utc).strftime("b%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]


def load_table(warehouse: Path, landing: Path, table: str, files: list[Path], batch_id: str,
               rehash: bool = False) -> TableLoad:
    """Load each new or changed file of one table; unchanged files are skipped by the ledger.

    A file whose size and mtime (ns) equal those its current ledger entry was hashed at is not
    read at all (unless `rehash`): a file rewritten in place with the same size and the same
    mtime is not noticed then, the documented price of not re-reading every landing file daily.
    """
    out = TableLoad()
    rep = progress.reporter()
    new_parquet: list[tuple[Path, str, str]] = []
    with session(warehouse) as con:
        known = current_stats(con, table)
        map_fp = mapping.fingerprint(table)  # a new mapping reloads the file
        for path in files:
            rel = path.relative_to(landing).as_posix()
            st, prev = path.stat(), known.get(rel)  # stat before hashing: a write in between is seen next run
            if not rehash and _same_stat(prev, st, map_fp):
                out.files_unchanged += 1
                out.files_not_reread += 1
                rep.advance()
                continue
            digest = content_hash(path) + map_fp
            decision = decide(con, rel, digest)
            if decision is Decision.UNCHANGED:
                out.files_unchanged += 1
                record_stat(con, rel, st.st_size, st.st_mtime_ns)
            elif decision is Decision.NEW and path.suffix.lower() == ".parquet" and table not in mapping.MAPPINGS:
                new_parquet.append((path, rel, digest))  # loaded together below
                out.files_new += 1
            else:
                out.rows_loaded += load_file(con, table, path, rel, digest, batch_id,
                                             replace=decision is Decision.CHANGED)
                record_stat(con, rel, st.st_size, st.st_mtime_ns)
                out.files_new += decision is Decision.NEW
                out.files_changed += decision is Decision.CHANGED
            rep.advance()
        if new_parquet:
            out.rows_loaded += load_new_parquet(con, table, new_parquet, batch_id)
            for path, rel, _ in new_parquet:
                st = path.stat()
                record_stat(con, rel, st.st_size, st.st_mtime_ns)
    return out


def _same_stat(prev: FileStat | None, st: os.stat_result, map_fp: str) -> bool:
    """The file has the size and mtime its current ledger entry was hashed at, under the same mapping."""
    return (prev is not None and (prev.size, prev.mtime_ns) == (st.st_size, st.st_mtime_ns)
            and prev.content_hash[32:] == map_fp)


def _all_known(con, landing: Path, table: str, files: list[Path]) -> bool:
    """Every file of the table is unchanged by size and mtime (the table needs no task)."""
    known, map_fp = current_stats(con, table), mapping.fingerprint(table)
    return all(_same_stat(known.get(p.relative_to(landing).as_posix()), p.stat(), map_fp) for p in files)


@task(name="ingest-table", task_run_name="ingest {table}")
def ingest_table_task(warehouse: Path, landing: Path, table: str, files: list[Path], batch_id: str,
                      rehash: bool = False) -> TableLoad:
    """Prefect task around load_table; safe to retry because the ledger makes loads idempotent."""
    return load_table(warehouse, landing, table, files, batch_id, rehash)


def plan(config: Config) -> Discovery:
    """Discover landing files; raises LandingError with a clear message on a bad folder."""
    configure(config.enumerations.model_dump())  # the company's own segment, channel, priority names
    mapping.configure(config.sources)
    return discover(config.path("landing"), mapping.aliases())


@flow(name="steward-ingest", log_prints=True)
def ingest(config: Config, rehash: bool = False) -> IngestResult:
    """Load every landing table into DuckDB schema raw, through the load ledger.

    `rehash` hashes every file even where size and mtime match the ledger (`--rehash`, and runs
    with --full-refresh or a full build)."""
    found = plan(config)
    landing, warehouse = config.path("landing"), config.path("warehouse")
    result = IngestResult(batch_id=new_batch_id(), missing_optional=found.missing_optional)
    rep = progress.reporter()
    rep.stage("ingest", total=sum(len(f) for f in found.files.values()))
    with session(warehouse) as con:  # tables whose every file the ledger knows by size and mtime: no task
        settled = {} if rehash else {t: _all_known(con, landing, t, files) for t, files in found.files.items()}
    for table, files in found.files.items():
        if settled.get(table):
            result.tables[table] = TableLoad(files_unchanged=len(files), files_not_reread=len(files))
            rep.advance(len(files))
            continue
        result.tables[table] = ingest_table_task(warehouse, landing, table, files, result.batch_id, rehash)
    with session(warehouse) as con:
        ensure_empty_tables(con, found.missing_optional)
    for path, hint in found.unknown:
        result.unknown_files.append(path.relative_to(landing).as_posix())
        rep.note(f"ignored {path.relative_to(landing)}: {hint}")
    for table in found.missing_optional:
        if table not in IDENTITY_TABLES:  # absent unless ids differ across systems: nothing is skipped
            rep.note(f"no {table} in landing: features that need it are skipped")
    unread = sum(t.files_not_reread for t in result.tables.values())
    rep.done(f"{result.rows_loaded:,} rows loaded in batch {result.batch_id}"
             + (f"; {unread} file(s) not re-read (same size and mtime as loaded)" if unread else ""))
    return result
