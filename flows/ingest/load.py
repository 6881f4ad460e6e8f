"""Load one landing file into `raw.<table>`, replacing an earlier version's rows atomically."""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb

from flows.ingest.contract import TABLES, Table
from flows.ingest.discover import LandingError, file_format
from flows.ingest.ledger import LedgerEntry, record
from flows.ingest.mapping import mapped_reader

META_COLUMNS = {
    "_batch_id": "varchar",
    "_source_file": "varchar",
    "_source_row": "bigint",
    "_loaded_at": "timestamp",
}


def _reader(path: Path) -> str:
    """A DuckDB table function reading the file; text formats land as VARCHAR, cast in staging."""
    p = str(path).replace("'", "''")
    fmt = file_format(path)
    if fmt == "csv":
        lax = ", strict_mode = false" if _mixed_line_endings(path) else ""
        return f"read_csv('{p}', header = true, all_varchar = true, auto_detect = true{lax})"
    if fmt == "parquet":
        return f"read_parquet('{p}')"
    return f"read_json('{p}', format = 'newline_delimited')"


def _mixed_line_endings(path: Path) -> bool:
    """CRLF and bare LF in one file defeat DuckDB's strict dialect sniffer."""
    data = path.read_bytes()
    crlf = data.count(b"\r\n")
    return 0 < crlf < data.count(b"\n")


def diagnose(path: Path) -> str | None:
    """A plainer reason for files DuckDB cannot read: empty, or not UTF-8 (with the byte offset)."""
    data = path.read_bytes()
    if not data.strip():
        return "the file is empty (0 rows and no header); expected a header row with the contract columns"
    if file_format(path) == "parquet":
        if not data.endswith(b"PAR1"):
            return f"not a complete Parquet file ({len(data):,} bytes, no footer): truncated or still being written?"
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return (f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start:,} (line {line}); "
                "re-export the file as UTF-8")
    return None


def ragged_row(path: Path) -> str | None:
    """The first data row whose field count differs from the header's (an unquoted delimiter)."""
    import csv

    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        sample = fh.read(65536)
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;|\t")
        except (csv.Error, IndexError):
            return None
        reader = csv.reader(fh, dialect)
        width = len(next(reader, []))
        for row_no, row in enumerate(reader, start=1):
            if len(row) != width:
                why = (f"an unquoted {dialect.delimiter!r} inside a value?" if len(row) > width
                       else "a row cut short, or a line break inside an unquoted value?")
                return f"row {row_no} (line {reader.line_num}) has {len(row)} fields but the header has {width}: {why}"
    return None


def file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    """The file's (column, type) pairs, or a LandingError naming the file and the reader's reason."""
    try:
        rows = con.execute(f"describe select * from {_reader(path)}").fetchall()
    except duckdb.Error as exc:
        reason = diagnose(path) or str(exc).splitlines()[0]
        raise LandingError(f"{path}: cannot be read as {file_format(path).upper()}: {reason}") from None
    names = [r[0] for r in rows]
    if names == ["column0"] and not path.read_bytes().strip():
        raise LandingError(f"{path}: {diagnose(path)}")
    if len(names) == 1 and any(d in names[0] for d in ",;|\t"):
        raise LandingError(f"{path}: cannot be read as CSV: {ragged_row(path) or 'no consistent delimiter'}")
    return [(r[0], r[1]) for r in rows]


def check_header(table: Table, path: Path, columns: list[str]) -> None:
    """Every required contract column must be present; suggest the closest name for a typo."""
    missing = [c for c in table.required_columns if c not in columns]
    if not missing:
        return
    problems = []
    for col in missing:
        close = difflib.get_close_matches(col, columns, n=1, cutoff=0.6)
        problems.append(f"`{col}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
    raise LandingError(
        f"{path}: table {table.name} is missing required column(s) {', '.join(problems)}; "
        f"file has: {', '.join(columns) or '(no columns)'}"
    )


_FAMILIES = {"VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "time", "TIME": "time"}


def _family(dtype: str) -> str:
    base = dtype.split("(")[0].upper()
    if base.startswith("TIMESTAMP"):
        return "time"
    return _FAMILIES.get(base, "number" if base in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
        "FLOAT", "DOUBLE", "DECIMAL", "REAL") else base.lower())


def check_types(con: duckdb.DuckDBPyConnection, table: Table, path: Path, columns: list[tuple[str, str]]) -> None:
    """A file whose column changed kind (text where earlier files had numbers) is named, with both types."""
    raw = dict(con.execute(
        "select column_name, data_type from information_schema.columns where table_schema='raw' and table_name=?",
        [table.name]).fetchall())
    for name, dtype in columns:
        have = raw.get(name)
        if have is None or _family(have) == "text" or _family(have) == _family(dtype):
            continue
        raise LandingError(f"{path}: column `{name}` is {dtype} in this file but {have} in the {table.name} "
                           f"already loaded (raw.{table.name}): its type changed between files; re-export it as "
                           f"{have}, or as text in every file")


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: Table, columns: list[tuple[str, str]]) -> None:
    """Create raw.<table> with every contract column, then add any new column this file brings.

    Columns take the first file's types (VARCHAR for CSV; native for Parquet, so 100M usage
    events are not stored as text); contract columns the file lacks are VARCHAR.
    """
    types = dict(columns)
    con.execute(
        f"create table if not exists raw.{table.name} ("
        + ", ".join([f'"{c}" {types.get(c, "varchar")}' for c in table.column_names]
                    + [f"{k} {v}" for k, v in META_COLUMNS.items()])
        + ")"
    )
    existing = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema='raw' and table_name=?",
        [table.name]).fetchall()}
    for name, dtype in columns:
        if name not in existing:
            con.execute(f'alter table raw.{table.name} add column "{name}" {dtype}')


def load_file(
    con: duckdb.DuckDBPyConnection, table_name: str, path: Path, rel_path: str,
    digest: str, batch_id: str, replace: bool = True,
) -> int:
    """Load rel_path's rows into raw.<table> (replacing an earlier version's) and record it; returns rows.

    `replace=False` skips the delete for a path the ledger has never seen: on a big table the
    delete is a scan, and per new partition that would make incremental loads quadratic.
    """
    table = TABLES[table_name]
    columns = file_columns(con, path)
    reader = mapped_reader(table_name, path, _reader(path), [c for c, _ in columns])
    if reader != _reader(path):  # a steward.yml `sources:` mapping: its columns are the contract's
        try:
            columns = [(r[0], r[1]) for r in con.execute(f"describe select * from {reader}").fetchall()]
        except duckdb.Error as exc:
            raise LandingError(f"{path}: the sources.{table_name} mapping cannot be applied: "
                               f"{str(exc).splitlines()[0]}") from None
    check_header(table, path, [c for c, _ in columns])
    ensure_raw_table(con, table, columns)
    check_types(con, table, path, columns)
    con.execute("begin transaction")
    try:
        if replace:
            con.execute(f"delete from raw.{table.name} where _source_file = ?", [rel_path])
        # row_number() over () follows the scan order (insertion order is preserved).
        rows = con.execute(
            f"insert into raw.{table.name} by name "
            f"select *, ? as _batch_id, ? as _source_file, "
            f"row_number() over () as _source_row, now()::timestamp as _loaded_at "
            f"from {reader}",
            [batch_id, rel_path],
        ).fetchone()[0]
        record(con, LedgerEntry(batch_id, table.name, rel_path, digest, rows))
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        reason = diagnose(path) or str(exc).splitlines()[0]
        raise LandingError(f"{path}: load into raw.{table.name} failed: {reason}") from None
    return rows


def load_new_parquet(
    con: duckdb.DuckDBPyConnection, table_name: str, files: list[tuple[Path, str, str]], batch_id: str,
) -> int:
    """Load many never-seen Parquet partitions in one scan and one transaction; returns rows.

    files: (path, rel_path, digest). One statement reads them all (DuckDB parallelises it), so
    a daily run's new partitions cost one commit instead of one per file.
    """
    table = TABLES[table_name]
    schemas = {}
    for path, _, _ in files:  # reading each footer gives file-named errors before any write
        schemas[path] = file_columns(con, path)
        check_header(table, path, [c for c, _ in schemas[path]])
    # schema evolution: a later partition may add a column (every file's columns are added);
    # a column whose type changed so it no longer casts is named, not left to a binder error
    for path, cols in schemas.items():
        ensure_raw_table(con, table, cols)
        check_types(con, table, path, cols)
    paths = ", ".join("'" + str(p).replace("'", "''") + "'" for p, _, _ in files)
    rel = {str(p): r for p, r, _ in files}
    con.execute("begin transaction")
    try:
        con.execute("create or replace temp table _rel (filename varchar, rel varchar)")
        con.executemany("insert into _rel values (?, ?)", list(rel.items()))
        con.execute(
            f"insert into raw.{table.name} by name "
            f"select src.* exclude (filename, file_row_number), ? as _batch_id, _rel.rel as _source_file, "
            f"src.file_row_number + 1 as _source_row, now()::timestamp as _loaded_at "
            f"from read_parquet([{paths}], filename = true, file_row_number = true, union_by_name = true) src "
            f"join _rel using (filename)",
            [batch_id],
        )
        counts = dict(con.execute(
            f"select _source_file, count(*) from raw.{table.name} where _batch_id = ? group by 1", [batch_id]
        ).fetchall())
        for path, rel_path, digest in files:
            record(con, LedgerEntry(batch_id, table.name, rel_path, digest, counts.get(rel_path, 0)))
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        reason = str(exc).splitlines()[0]
        raise LandingError(f"{files[0][0].parent.parent}: loading {len(files)} new {table.name} partitions "
                           f"failed: {reason}") from None
    return sum(counts.get(r, 0) for _, r, _ in files)


def ensure_empty_tables(con: duckdb.DuckDBPyConnection, table_names: list[str]) -> None:
    """Optional tables with no file still get an empty raw table so dbt can build."""
    for name in table_names:
        ensure_raw_table(con, TABLES[name], [])
