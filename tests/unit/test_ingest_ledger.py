"""Ingest through the load ledger on real DuckDB files: never twice, changed files replace."""

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.ingest.discover import LandingError, discover
from flows.ingest.flow import load_table
from flows.ingest.load import ensure_empty_tables
from flows.warehouse import connect


def _load_all(db: Path, landing: Path, batch: str = "b1") -> dict:
    found = discover(landing)
    out = {t: load_table(db, landing, t, files, batch) for t, files in found.files.items()}
    with connect(db) as con:
        ensure_empty_tables(con, found.missing_optional)
    return out


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchone()[0]


def test_same_file_is_never_loaded_twice(tmp_path, minimal_landing):
    db = tmp_path / "w.duckdb"
    first = _load_all(db, minimal_landing)
    assert first["accounts"].rows_loaded == 4 and first["accounts"].files_new == 1
    second = _load_all(db, minimal_landing, "b2")
    assert all(t.rows_loaded == 0 and t.files_unchanged == 1 for t in second.values())
    assert _count(db, "select count(*) from raw.accounts") == 4
    assert _count(db, "select count(*) from ops.load_ledger") == 3


def test_changed_file_replaces_its_earlier_rows(tmp_path, minimal_landing):
    db = tmp_path / "w.duckdb"
    _load_all(db, minimal_landing)
    f = minimal_landing / "crm" / "accounts.csv"
    lines = f.read_text().splitlines()
    lines = [lines[0], lines[1].replace("Acme Corp", "Acme Corporation"), lines[2],
             "A5,Epsilon,smb,software,NA,2026-03-01 10:00:00,U2,customer"]
    f.write_text("\n".join(lines) + "\n")
    again = _load_all(db, minimal_landing, "b2")
    assert again["accounts"].files_changed == 1 and again["accounts"].rows_loaded == 3
    assert _count(db, "select count(*) from raw.accounts") == 3
    assert _count(db, "select count(*) from raw.accounts where name = 'Acme Corporation'") == 1
    assert _count(db, "select count(*) from ops.load_ledger where path = 'crm/accounts.csv'") == 2
    assert _count(db, "select count(*) from ops.load_ledger where path = 'crm/accounts.csv' "
                      "and superseded_at is null and batch_id = 'b2'") == 1


def test_an_unchanged_size_and_mtime_skips_the_file_without_reading_it(tmp_path, minimal_landing):
    """Proved by the documented limit: a same-size rewrite with the old mtime is not noticed
    (the file was not read), until a rehash; a touched file is hashed and its new mtime kept."""
    import os

    db = tmp_path / "w.duckdb"
    _load_all(db, minimal_landing)
    second = _load_all(db, minimal_landing, "b2")
    assert all(t.files_not_reread == t.files_unchanged == 1 for t in second.values())
    f = minimal_landing / "crm" / "accounts.csv"
    st = f.stat()
    f.write_text(f.read_text().replace("Acme Corp", "Acme Corq"))  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _load_all(db, minimal_landing, "b3")["accounts"].files_not_reread == 1
    assert _count(db, "select count(*) from raw.accounts where name = 'Acme Corq'") == 0
    forced = {t: load_table(db, minimal_landing, t, files, "b4", rehash=True)
              for t, files in discover(minimal_landing).files.items()}
    assert forced["accounts"].files_changed == 1 and all(t.files_not_reread == 0 for t in forced.values())
    assert _count(db, "select count(*) from raw.accounts where name = 'Acme Corq'") == 1
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched, same bytes
    touched = _load_all(db, minimal_landing, "b5")["accounts"]
    assert (touched.files_unchanged, touched.files_not_reread, touched.rows_loaded) == (1, 0, 0)
    assert _load_all(db, minimal_landing, "b6")["accounts"].files_not_reread == 1


def test_raw_rows_carry_load_metadata(tmp_path, minimal_landing):
    db = tmp_path / "w.duckdb"
    _load_all(db, minimal_landing)
    with duckdb.connect(str(db)) as con:
        rows = con.execute("select _batch_id, _source_file, _source_row, _loaded_at from raw.accounts "
                           "order by _source_row").fetchall()
    assert [r[2] for r in rows] == [1, 2, 3, 4]
    assert {r[0] for r in rows} == {"b1"} and {r[1] for r in rows} == {"crm/accounts.csv"}
    assert all(r[3] is not None for r in rows)


def test_usage_partitions_load_incrementally(tmp_path, minimal_landing):
    db = tmp_path / "w.duckdb"
    usage = minimal_landing / "product" / "usage_events"

    def write_day(day: str, first_id: int) -> None:
        part = usage / f"date={day}"
        part.mkdir(parents=True)
        pq.write_table(pa.table({
            "event_id": pa.array([first_id, first_id + 1], pa.int64()),
            "account_id": ["A1", "A2"], "user_id": pa.array([1, 2], pa.int64()),
            "feature": ["reports", "api"],
            "occurred_at": pa.array([f"{day} 10:00:00", f"{day} 11:00:00"]).cast(pa.timestamp("us")),
            "quantity": [1.0, 2.0],
        }), part / "part-0.parquet")

    write_day("2026-03-01", 1)
    write_day("2026-03-02", 3)
    assert _load_all(db, minimal_landing)["usage_events"].files_new == 2
    write_day("2026-03-03", 5)
    third = _load_all(db, minimal_landing, "b2")["usage_events"]
    assert (third.files_new, third.files_unchanged, third.rows_loaded) == (1, 2, 2)
    assert _count(db, "select count(*) from raw.usage_events") == 6


def test_missing_required_column_names_file_column_and_suggestion(tmp_path, minimal_landing):
    f = minimal_landing / "crm" / "accounts.csv"
    f.write_text(f.read_text().replace("segment", "segmnt", 1))
    with pytest.raises(LandingError) as err:
        _load_all(tmp_path / "w.duckdb", minimal_landing)
    msg = str(err.value)
    assert "accounts.csv" in msg and "`segment`" in msg and "did you mean `segmnt`" in msg


def test_missing_required_table_and_folder_are_clear(tmp_path, minimal_landing):
    (minimal_landing / "billing" / "subscriptions.csv").unlink()
    with pytest.raises(LandingError, match="required table.*subscriptions"):
        discover(minimal_landing)
    with pytest.raises(LandingError, match="does not exist"):
        discover(tmp_path / "nowhere")


def test_unknown_files_are_reported_with_a_hint(minimal_landing):
    (minimal_landing / "crm" / "acounts.csv").write_text("x\n1\n")
    (minimal_landing / "notes.txt").write_text("hello")
    found = discover(minimal_landing)
    hints = {p.name: h for p, h in found.unknown}
    assert "did you mean accounts.csv" in hints["acounts.csv"]
    assert "unsupported format .txt" in hints["notes.txt"]
    assert "touchpoints" in found.missing_optional


def test_unreadable_file_is_a_landing_error_not_a_traceback(tmp_path, minimal_landing):
    (minimal_landing / "billing" / "invoices.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(LandingError, match=r"invoices.parquet: cannot be read as PARQUET"):
        _load_all(tmp_path / "w.duckdb", minimal_landing)


def test_missing_optional_tables_get_empty_raw_tables(tmp_path, minimal_landing):
    db = tmp_path / "w.duckdb"
    _load_all(db, minimal_landing)
    assert _count(db, "select count(*) from raw.touchpoints") == 0
    assert _count(db, "select count(*) from information_schema.columns where table_schema = 'raw' "
                      "and table_name = 'touchpoints' and column_name = 'sentiment'") == 1
