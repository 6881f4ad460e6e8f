"""One writer, many readers, through the real CLI: the run lock, the analyst copy, a held warehouse."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

DAY1, DAY2, DAY3 = "2026-06-29", "2026-06-30", "2026-07-01"
LAST_RUN = "select max(as_of)::varchar from ops.runs where status = 'succeeded'"


def cli(*args: str, ws: Path, api: str) -> list[str]:
    return [sys.executable, "-m", "flows", *args, "--workspace", str(ws)]


def env_for(api: str, **extra: str) -> dict:
    """A user's environment: Prefect's log level is the CLI's default (the suite sets WARNING)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_LEVEL"}
    return {**env, "PREFECT_API_URL": api, "COLUMNS": "200", **extra}


def steward(*args: str, ws: Path, api: str, timeout: int = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args, ws=ws, api=api), cwd=REPO, env=env_for(api, **extra), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def workspace(prefect_harness, tmp_path_factory):
    """20 generated accounts, run once (DAY1) so an analyst copy exists."""
    from prefect.settings import PREFECT_API_URL

    ws, api = tmp_path_factory.mktemp("sharing") / "ws", PREFECT_API_URL.value()
    for args in (("generate", "--accounts", "20", "--months", "3", "--as-of", DAY1), ("run", "--as-of", DAY1)):
        result = steward(*args, ws=ws, api=api)
        assert result.returncode == 0, result.stdout + result.stderr
    return ws, api


def test_a_reader_on_the_analyst_copy_keeps_its_snapshot_and_never_blocks_the_run(workspace):
    ws, api = workspace
    copy = ws / "analyst" / "warehouse.duckdb"
    reader = duckdb.connect(str(copy), read_only=True)
    try:
        assert reader.execute(LAST_RUN).fetchone()[0] == DAY1
        result = steward("run", "--as-of", DAY2, ws=ws, api=api)
        assert result.returncode == 0, result.stdout + result.stderr
        assert reader.execute(LAST_RUN).fetchone()[0] == DAY1  # the old file, whole, until it reconnects
    finally:
        reader.close()
    with duckdb.connect(str(copy), read_only=True) as fresh:
        assert fresh.execute(LAST_RUN).fetchone()[0] == DAY2
        schemas = {s for (s,) in fresh.execute("select distinct table_schema from information_schema.tables").fetchall()}
        columns = {f"{t}.{c}" for t, c in fresh.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'ops'").fetchall()}
        assert fresh.execute("select count(*) from marts.dim_accounts").fetchone()[0] == 20
    assert {"marts", "actions", "ops"} <= schemas and not schemas & {"raw", "quarantine", "staging"}
    assert "survey_invitations.invitation_id" in columns and "survey_invitations.token" not in columns
    assert "outbox.subject" in columns and "outbox.text_body" not in columns
    assert not list(copy.parent.glob("*.tmp-*"))


def test_a_second_run_exits_at_once_and_a_killed_runs_lock_is_taken_over(workspace):
    ws, api = workspace
    # A run killed while holding the lock (SIGKILL: no cleanup) leaves its pid in run.lock.
    killed = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from flows.runlock import run_lock\n"
        f"with run_lock({str(ws)!r}, '{DAY3}'):\n    print('held', flush=True); time.sleep(600)")],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert killed.stdout.readline().strip() == "held"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert json.loads((ws / "run.lock").read_text())["pid"] == killed.pid

    first = subprocess.Popen(cli("run", "--as-of", DAY3, ws=ws, api=api), cwd=REPO, env=env_for(api),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = (ws / "run.lock").read_text()
        if text and json.loads(text)["pid"] == first.pid:
            break
        time.sleep(0.1)
    started = time.monotonic()
    second = steward("run", "--as-of", DAY3, ws=ws, api=api, timeout=60)
    elapsed = time.monotonic() - started
    out, _ = first.communicate(timeout=600)

    assert first.returncode == 0, out
    assert f"took over the run lock of pid {killed.pid}, which is gone" in out
    said = second.stdout + second.stderr
    assert second.returncode != 0 and elapsed < 5, (elapsed, said)
    assert f"a run for {DAY3} has held the workspace since " in said and f"(pid {first.pid})" in said
    assert "Traceback" not in said and len(said.strip().splitlines()) <= 2, said


def test_a_connection_held_on_the_writers_file_fails_the_run_in_one_line(workspace):
    ws, api = workspace
    holder = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        started = time.monotonic()
        result = steward("run", "--as-of", DAY3, ws=ws, api=api, timeout=120, STEWARD_RUN__LOCK_WAIT_SECONDS="2")
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    said = result.stdout + result.stderr
    assert result.returncode != 0 and elapsed < 60, said
    assert f"is held open by pid {os.getpid()}" in said and "waited 2 s" in said
    assert "analyst copy" in said and "Traceback" not in said and "IOException" not in said, said
