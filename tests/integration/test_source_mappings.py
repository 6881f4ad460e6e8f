"""Source mappings: a foreign-shaped export reaches fct_mrr and the health mart by config alone."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import yaml
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIXTURES, REPO, steward

AS_OF = date(2026, 3, 15)
OWN_SEGMENTS = {"enterprise": "strategic", "mid_market": "growth", "smb": "self_serve"}


def _rename(node):
    if isinstance(node, dict):
        return {OWN_SEGMENTS.get(k, k): _rename(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(v) for v in node]
    return OWN_SEGMENTS.get(node, node) if isinstance(node, str) else node


def foreign_config(path: Path, **changes) -> Path:
    """steward.yml with the company's segment names, plus the fixture's `sources:` mapping."""
    raw = _rename(yaml.safe_load((REPO / "steward.yml").read_text()))
    raw.update(yaml.safe_load((FIXTURES / "foreign_sources.yml").read_text()))
    for table, m in changes.items():
        raw["sources"][table].update(m)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_check_applies_mappings_and_profiles_the_data(tmp_path):
    cfg = foreign_config(tmp_path / "steward.yml")
    result = CliRunner().invoke(app, ["check", str(FIXTURES / "landing" / "foreign"), "--json", "--config", str(cfg),
                                      "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    assert out["passes"] and out["quarantined"] == {} and out["ignored_files"] == []
    assert "cents -> amount" in "; ".join(out["mappings"]["subscriptions"])
    p = out["profile"]
    assert p["tables"]["accounts"] == {"rows": 4, "first": "2024-01-10", "last": "2026-02-01"}
    assert p["tables"]["usage_events"]["rows"] == 0
    assert p["signals"]["support_tickets"] == {"accounts_with_data": 2, "accounts": 4}
    assert p["components"]["support"] == "active" and p["components"]["usage_depth"] == "skipped: no usage_events"
    assert p["alert_rules"]["renewal_window"] == "active"
    assert p["alert_rules"]["feature_dip"] == "inactive: no usage_events"
    assert p["features"] == {f: False for f in p["features"]} and p["features"]


def test_mapping_error_names_file_column_and_key(tmp_path):
    cfg = foreign_config(tmp_path / "steward.yml", subscriptions={
        "columns": {**yaml.safe_load((FIXTURES / "foreign_sources.yml").read_text())["sources"]["subscriptions"][
            "columns"], "amount": "unit_amount"}})
    result = CliRunner().invoke(app, ["check", str(FIXTURES / "landing" / "foreign"), "--config", str(cfg),
                                      "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    line = " ".join(result.output.split())
    assert "billing/stripe_subscriptions.csv: column `unit_amount` not in the file" in line
    assert "did you mean `unit_amount_cents`?" in line and "sources.subscriptions.columns.amount" in line


def test_foreign_export_reaches_mrr_and_health_by_config_alone(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    ws = tmp_path / "ws"
    shutil.copytree(FIXTURES / "landing" / "foreign", ws / "landing")
    cfg = foreign_config(tmp_path / "steward.yml")
    result = steward("run", "--as-of", AS_OF.isoformat(), "--config", str(cfg), ws=ws,
                     api_url=PREFECT_API_URL.value())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    # ids keep their leading zeros; segments are the company's own, mapped from its labels
    assert sorted(q("select account_id, segment, region from marts.dim_accounts")) == [
        ("0001", "strategic", "EMEA"), ("0002", "self_serve", "EMEA"), ("0003", "growth", "EMEA"),
        ("0004", "self_serve", "EMEA")]
    # cents -> amounts, yearly -> /12 after the 10% discount; the trial is not MRR
    mrr = dict(q("select account_id, mrr from marts.fct_mrr where month = date '2026-03-01'"))
    assert {k: float(v) for k, v in mrr.items() if v} == {"0001": 9000.0, "0002": 150.0, "0003": 900.5}
    assert q("select count(*) from marts.fct_renewals")[0][0] > 0
    # the health mart has each paying account; support is the only component with data
    health = q("select account_id, support_score, components_used, health_band from marts.fct_account_health_daily "
               "where health_date = date '2026-03-15' order by 1")
    assert [h[0] for h in health] == ["0001", "0002", "0003"]
    assert all(h[2] == "support" and h[3] == "insufficient_data" for h in health)
    # critical -> urgent: load 4 in the last 30 days and still open (high), the medium one (-> normal) is
    # older than 30 days: 100 - 10 * 4 - 20 = 40
    assert health[0][1] == 40
    assert q("select priority from staging.stg_support__support_tickets order by ticket_id") == [
        ("normal",), ("urgent",), ("low",)]
    con.close()
