"""Versioned ops migrations: an old warehouse upgrades in place, a newer one is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.warehouse import SchemaError, connect, migrations, schema_version

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ops"
REPO = Path(__file__).resolve().parents[2]


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'ops' and table_name = ?",
        [table]).fetchall()}


def test_migrations_are_numbered_without_gaps():
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "baseline"


def test_new_warehouse_gets_every_migration_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        assert schema_version(con) == len(migrations())
    with connect(path) as con:  # reconnecting applies nothing twice
        rows = con.execute("select version, count(*) from ops.schema_migrations group by 1").fetchall()
    assert all(n == 1 for _, n in rows) and len(rows) == len(migrations())


def test_pre_versioning_warehouse_upgrades_in_place_keeping_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute((FIXTURES / "pre_versioning.sql").read_text())
    old.execute("""insert into ops.alerts (alert_id, fingerprint, rule, account_id, subject, severity, owner_id,
                   recipient, title, details, status, first_as_of, last_seen_as_of, created_at)
                   values ('al_1', 'fp1', 'health_dip', 'A1', 'health', 'high', 'U1', 'a@example.com',
                           'Health dipped', '{}', 'open', '2026-01-01', '2026-01-02', '2026-01-02 06:00')""")
    assert "snoozed_until" not in _columns(old, "alerts")
    assert "ops" in {r[0] for r in old.execute("select schema_name from information_schema.schemata").fetchall()}
    old.close()

    with connect(path) as con:
        assert schema_version(con) == len(migrations())
        assert {"snoozed_until", "notify_count", "manual_resolved"} <= _columns(con, "alerts")
        assert "release_reason" in _columns(con, "assignments")
        assert con.execute("select alert_id, status, notify_count from ops.alerts").fetchall() == [("al_1", "open", 0)]


def test_newer_schema_is_refused_with_one_clear_line(tmp_path):
    ws = tmp_path / "ws"
    path = ws / "warehouse.duckdb"
    with connect(path) as con:
        con.execute("insert into ops.schema_migrations values (999, 'from_the_future', now())")
    with pytest.raises(SchemaError, match="version 999, but this Steward only knows up to"):
        connect(path)

    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    result = subprocess.run([sys.executable, "-m", "flows", "deliver", "--workspace", str(ws)], cwd=REPO,
                            env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "ops schema version 999" in result.stdout and "Upgrade Steward" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_failing_migration_rolls_back_and_names_itself(tmp_path, monkeypatch):
    import flows.warehouse as wh

    bad = tmp_path / "migrations"
    bad.mkdir()
    for m in migrations():
        (bad / f"{m.version:04d}_{m.name}.sql").write_text(m.sql)
    n = len(migrations()) + 1
    (bad / f"{n:04d}_broken.sql").write_text("create table ops.half_done (x int); select * from no_such_table;")
    monkeypatch.setattr(wh, "MIGRATIONS_DIR", bad)
    monkeypatch.setattr(wh.migrations, "__defaults__", (bad,))
    with pytest.raises(SchemaError, match=f"{n:04d}_broken failed"):
        connect(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("select max(version) from ops.schema_migrations").fetchone()[0] == n - 1
    assert not con.execute("select * from information_schema.tables where table_name = 'half_done'").fetchall()
