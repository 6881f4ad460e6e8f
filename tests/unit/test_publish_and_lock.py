"""The analyst copy (atomic swap, no secrets, no raw) and the run lock, on small real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from flows.publish import publish_analyst_copy
from flows.runlock import RunLockHeld, run_lock
from flows.warehouse import WarehouseBusy, analyst_copy_path, connect, set_lock_wait

SCHEMAS = ["marts", "actions", "ops"]
EXCLUDE = ["ops.outbox.text_body"]


def warehouse(path, day: str):
    with connect(path) as con:  # the real ops schema, migrated
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.dim_accounts as select 'A1' as account_id, date '{day}' as as_of")
        con.execute("create or replace view marts.v_accounts as select * from marts.dim_accounts")
        con.execute("create or replace table raw.accounts as select 'A1' as account_id")
        con.execute("delete from ops.survey_invitations")
        con.execute("insert into ops.survey_invitations (invitation_id, token, survey, kind, contact_id, account_id, "
                    "email, period, scale_min, scale_max, sent_as_of, reason, message_key, created_at) values "
                    "('si_1', 'SECRET-TOKEN', 'nps', 'nps', 'K1', 'A1', 'a@x', ?, 0, 10, ?, 'due', 'k', now())",
                    [day, day])
        con.execute("create or replace table marts.partner as select 'x' as api_key, 'y' as webhook_secret, 1 as n")


def test_publish_swaps_atomically_and_a_held_reader_keeps_its_snapshot(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    warehouse(wh, "2026-06-29")
    first = publish_analyst_copy(wh, SCHEMAS, EXCLUDE, "run1")
    copy = analyst_copy_path(wh)
    assert first.path == str(copy) and copy.exists()
    reader = duckdb.connect(str(copy), read_only=True)
    warehouse(wh, "2026-06-30")
    publish_analyst_copy(wh, SCHEMAS, EXCLUDE, "run2")  # a reader never blocks the publish
    assert reader.execute("select as_of::varchar from marts.dim_accounts").fetchone() == ("2026-06-29",)
    reader.close()
    with duckdb.connect(str(copy), read_only=True) as fresh:
        assert fresh.execute("select as_of::varchar from marts.v_accounts").fetchone() == ("2026-06-30",)
        schemas = {s for (s,) in fresh.execute("select distinct table_schema from information_schema.tables").fetchall()}
        cols = {f"{s}.{t}.{c}" for s, t, c in fresh.execute(
            "select table_schema, table_name, column_name from information_schema.columns").fetchall()}
        assert "SECRET-TOKEN" not in str(fresh.execute("select * from ops.survey_invitations").fetchall())
    assert schemas == {"marts", "ops"}  # no raw; actions is empty here
    assert "ops.survey_invitations.invitation_id" in cols and "ops.survey_invitations.token" not in cols
    assert "ops.outbox.subject" in cols and "ops.outbox.text_body" not in cols
    assert "marts.partner.n" in cols and not {"marts.partner.api_key", "marts.partner.webhook_secret"} & cols
    assert not list(copy.parent.glob("*.tmp-*"))


def _hold_in_child(code: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_held_lock_refuses_at_once_and_a_killed_holders_lock_is_taken_over(tmp_path):
    child = _hold_in_child("import time; from flows.runlock import run_lock\n"
                           f"with run_lock({str(tmp_path)!r}, '2026-06-30'):\n    print('held', flush=True); time.sleep(60)")
    try:
        started = time.monotonic()
        with pytest.raises(RunLockHeld) as exc:
            with run_lock(tmp_path, "2026-07-01"):
                pass
        assert time.monotonic() - started < 1
        assert str(exc.value).startswith("a run for 2026-06-30 has held the workspace since ")
        assert f"(pid {child.pid})" in str(exc.value)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with run_lock(tmp_path, "2026-07-01") as lock:
        assert lock.stale_from == child.pid
        assert json.loads((tmp_path / "run.lock").read_text())["pid"] == os.getpid()
        with run_lock(tmp_path, "2026-07-01"):  # re-entered by the flow the CLI calls: no deadlock
            pass
    assert (tmp_path / "run.lock").read_text() == ""  # released cleanly: nobody to take over from
    with run_lock(tmp_path, "2026-07-02") as lock:
        assert lock.stale_from is None


def test_a_process_holding_the_writers_file_fails_connect_after_the_bounded_wait(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    connect(wh).close()
    child = _hold_in_child(f"import duckdb, time\nc = duckdb.connect({str(wh)!r}, read_only=True)\n"
                           "print('held', flush=True); time.sleep(60)")
    set_lock_wait(1)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as exc:
            connect(wh)
        assert 1 <= time.monotonic() - started < 10
    finally:
        set_lock_wait(30)
        child.kill()
        child.wait()
    msg = str(exc.value)
    assert f"is held open by pid {child.pid} (" in msg and "waited 1 s" in msg and "\n" not in msg
    assert str(analyst_copy_path(wh)) in msg
    connect(wh).close()  # free again once the holder is gone
