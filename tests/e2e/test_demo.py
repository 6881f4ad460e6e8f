"""`steward demo` and a rerun, as a user runs them: the real CLI in a subprocess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

AS_OF = "2026-06-30"


def steward(*args: str, cwd: Path, api_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": api_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "flows", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def counts(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
        out = {f"raw.{t}": con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
        for t in ("ops.alerts", "ops.outbox", "marts.dim_accounts", "actions.fct_alert_candidates"):
            out[t] = con.execute(f"select count(*) from {t}").fetchone()[0]
        out["duplicate raw usage events"] = con.execute(
            "select count(*) - count(distinct event_id) from raw.usage_events").fetchone()[0]
    return out


@pytest.fixture(scope="module")
def demo_run(prefect_harness, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL

    cwd = tmp_path_factory.mktemp("demo")
    api = PREFECT_API_URL.value()
    result = steward("demo", "--accounts", "200", "--months", "6", "--as-of", AS_OF, cwd=cwd, api_url=api)
    assert result.returncode == 0, result.stdout + result.stderr
    return cwd, api, result


def test_demo_builds_the_warehouse_and_leaves_openable_emails(demo_run):
    cwd, _, result = demo_run
    ws = cwd / ".steward"
    assert "Steward run for as-of 2026-06-30" in result.stdout and "Demo finished" in result.stdout
    c = counts(ws / "warehouse.duckdb")
    assert c["raw.accounts"] == 200 and c["marts.dim_accounts"] > 0
    assert c["raw.usage_events"] > 10_000 and c["raw.subscriptions"] >= 200
    assert c["ops.alerts"] == c["actions.fct_alert_candidates"] > 0
    emls = sorted((ws / "outbox").rglob("*.eml"))
    assert len(emls) == c["ops.outbox"] > 0
    digests = [p.with_suffix(".html").read_text() for p in emls if p.name.startswith("alert_digest")]
    assert digests and all("<table" in h for h in digests)
    assert any("Renewal in" in h for h in digests) and any("Health" in h for h in digests)
    # task alerts come grouped per owner and due date, named by title and account (never by id)
    assert any("Your tasks" in h for h in digests) and not any(re.search(r"\bK\d{7}\b", h) for h in digests)
    # Planted truth sits beside the landing data, never inside it.
    assert (ws / "truth" / "accounts.csv").exists()
    assert not any("is_churner" in f.read_text().splitlines()[0] for f in (ws / "landing").rglob("*.csv"))
    assert "Traceback" not in result.stdout + result.stderr


def test_rerun_of_the_same_day_adds_no_rows_alerts_or_emails(demo_run):
    cwd, api, _ = demo_run
    ws = cwd / ".steward"
    before = counts(ws / "warehouse.duckdb")
    emls_before = len(list((ws / "outbox").rglob("*.eml")))
    result = steward("run", "--as-of", AS_OF, cwd=cwd, api_url=api)
    assert result.returncode == 0, result.stdout + result.stderr
    after = counts(ws / "warehouse.duckdb")
    assert after == before
    assert after["duplicate raw usage events"] == 0
    assert len(list((ws / "outbox").rglob("*.eml"))) == emls_before
    assert "0 opened" in result.stdout and "0 queued, 0 sent, 0 failed" in result.stdout


def test_demo_refuses_to_wipe_a_workspace_it_did_not_create(tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    ws = tmp_path / "precious"
    ws.mkdir()
    (ws / "warehouse.duckdb").write_text("not a demo")
    result = steward("demo", "--workspace", str(ws), cwd=tmp_path, api_url=PREFECT_API_URL.value())
    assert result.returncode == 2 and "not a demo" in result.stdout
    assert (ws / "warehouse.duckdb").read_text() == "not a demo"
