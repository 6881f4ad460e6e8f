"""Vendor presets and identity resolution: Stripe billing + HubSpot CRM + Segment events, each in its
own export shape and id space, reach fct_mrr, the health mart and alerts by `sources: {system: preset}`.

One warehouse is built per module (two runs: rules only, then with the user's overrides file) and
every test reads it. Fixture: tests/fixtures/landing/presets_mixed (written by
tests/fixtures/make_presets_mixed.py; its comments carry the hand computation).
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIXTURES, steward
from tests.support.presets import preset_config, query as _query

AS_OF = date(2026, 3, 15)
LANDING = FIXTURES / "landing" / "presets_mixed"
PRESETS = {"billing": "stripe", "crm": "hubspot", "product": "segment"}


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory) -> dict:
    """The mixed landing run twice: first by the rules alone, then with an overrides file added."""
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("presets")
    ws = root / "ws"
    shutil.copytree(LANDING, ws / "landing")
    cfg = preset_config(root / "steward.yml", PRESETS)
    out = {"ws": ws, "cfg": cfg}
    first = steward("run", "--as-of", AS_OF.isoformat(), "--config", str(cfg), ws=ws, api_url=PREFECT_API_URL.value())
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out["first_stdout"] = first.stdout
    out["crosswalk_rules"] = _query(ws, "select system, source_id, account_id, match_rule, confidence, match_status, "
                                        "candidate_accounts from marts.dim_identity_crosswalk order by 1, 2")
    out["mrr_rules"] = dict(_query(ws, "select account_id, mrr from marts.fct_mrr where month = date '2026-03-01' "
                                       "and mrr <> 0"))
    out["summary_rules"] = _query(ws, "select summary from ops.runs order by started_at desc limit 1")[0][0]
    # the user decides the ambiguous Stripe customer: it is the older Umbrella record
    (ws / "landing" / "hubspot" / "identity_overrides.csv").write_text(
        "system,source_id,account_id,note\nbilling,cus_PxUmbr04,1004,the UK entity bills through the group\n")
    second = steward("run", "--as-of", AS_OF.isoformat(), "--config", str(cfg), ws=ws, api_url=PREFECT_API_URL.value())
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    out["second_stdout"] = second.stdout
    return out


def test_crosswalk_matches_by_rule_and_never_guesses(built):
    assert built["crosswalk_rules"] == [
        ("billing", "cus_PxAcme01", "1001", "exact_id", 1.0, "matched", "1001"),
        ("billing", "cus_PxGlob02", "1002", "domain", 0.8, "matched", "1002"),
        ("billing", "cus_PxHool05", None, None, None, "unmatched", None),
        ("billing", "cus_PxInit03", "1003", "company_name", 0.6, "matched", "1003"),
        # two CRM records named Umbrella Group: reported, not merged into either
        ("billing", "cus_PxUmbr04", None, "company_name", None, "ambiguous", "1004, 1005"),
        ("product", "ws_acme", "1001", "domain", 0.8, "matched", "1001"),
        ("product", "ws_globex", "1002", "exact_id", 1.0, "matched", "1002"),
        # Initech's CRM record has no domain: its workspace matches by name only
        ("product", "ws_initech", "1003", "company_name", 0.6, "matched", "1003"),
        ("product", "ws_zeta", None, None, None, "unmatched", None),
    ]


def test_mrr_per_account_matches_the_hand_computation(built):
    # Acme 12,000.00/yr / 12 + 10 x 25.00 = 1,250.00; Globex 499.00 - 20 % = 399.20 (past due still counts,
    # its trial does not); Initech 3 x 99.00 = 297.00 (matched by name only). Umbrella's 500.00 and
    # Hooli's 300.00 are held out: ambiguous and unmatched.
    assert {k: float(v) for k, v in built["mrr_rules"].items()} == {"1001": 1250.0, "1002": 399.2, "1003": 297.0}


def test_overrides_file_wins_over_rules(built):
    ws = built["ws"]
    row = _query(ws, "select account_id, match_rule, confidence, match_status from marts.dim_identity_crosswalk "
                     "where source_id = 'cus_PxUmbr04'")
    assert row == [("1004", "override", 1.0, "matched")]
    mrr = dict(_query(ws, "select account_id, mrr from marts.fct_mrr where month = date '2026-03-01' and mrr <> 0"))
    assert {k: float(v) for k, v in mrr.items()} == {"1001": 1250.0, "1002": 399.2, "1003": 297.0, "1004": 500.0}


def test_run_summary_counts_unmatched_and_ambiguous(built):
    summary = json.loads(built["summary_rules"]) if isinstance(built["summary_rules"], str) else built["summary_rules"]
    ident = summary["identity"]
    assert ident["billing"] == {"matched": 3, "ambiguous": 1, "unmatched": 1, "rows_held_out": 2}
    assert ident["product"] == {"matched": 3, "ambiguous": 0, "unmatched": 1, "rows_held_out": 28}
    assert "identity" in built["first_stdout"] and "cus_PxUmbr04" in built["first_stdout"]


def test_health_and_alerts_from_vendor_exports(built):
    ws = built["ws"]
    health = _query(ws, "select account_id, usage_depth_score is not null, payment_health_score, components_used "
                        "from marts.fct_account_health_daily where health_date = date '2026-03-15' order by 1")
    assert [h[0] for h in health] == ["1001", "1002", "1003", "1004"]
    by_id = {h[0]: h for h in health}
    assert by_id["1001"][1] and by_id["1003"][1]  # Segment events reached the accounts matched by domain
    assert "payment_health" in by_id["1002"][3]
    # Globex's invoice is 28 days overdue: the payment_overdue alert fires for the HubSpot company
    alerts = _query(ws, "select account_id, rule from ops.alerts where rule = 'payment_overdue'")
    assert ("1002", "payment_overdue") in alerts


def test_check_lists_ambiguous_and_unmatched_records(built, tmp_path):
    result = CliRunner().invoke(app, ["check", str(LANDING), "--json", "--config", str(built["cfg"]),
                                      "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    ident = out["identity"]
    assert ident["billing"]["ambiguous"] == [{"source_id": "cus_PxUmbr04", "candidates": ["1004", "1005"],
                                              "rule": "company_name"}]
    assert [u["source_id"] for u in ident["billing"]["unmatched"]] == ["cus_PxHool05"]
    assert [u["source_id"] for u in ident["product"]["unmatched"]] == ["ws_zeta"]


def test_hubspot_contacts_and_tasks_reach_staging(built):
    ws = built["ws"]
    assert _query(ws, "select contact_id, account_id, name, role from staging.stg_crm__contacts order by 1") == [
        ("5101", "1001", "Wile", "Head of Ops"), ("5102", "1002", "Hank", None)]
    # hs_timestamp 1773997200000 ms = 2026-03-20 09:00 UTC; the completed task's date likewise from ms
    tasks = _query(ws, "select task_id, account_id, cast(due_at as varchar), cast(completed_at as varchar), source "
                       "from staging.stg_crm__tasks order by 1")
    assert tasks == [("8801", "1001", "2026-03-20 09:00:00", None, "hubspot"),
                     ("8802", "1002", "2026-03-01 09:00:00", "2026-03-02 15:00:00", "hubspot")]


def test_identity_data_tests_catch_a_merge_and_a_duplicate(built, tmp_path):
    """The crosswalk's data tests fail when a record two CRM accounts claim is attached to one by a rule,
    and when a source id has two rows (run on a tampered copy of the built warehouse)."""
    from flows.transform import DbtBuildError, run_dbt
    from tests.conftest import make_config

    ws = tmp_path / "ws"
    shutil.copytree(built["ws"], ws, ignore=shutil.ignore_patterns("landing", "analyst", "outbox", "quality"))
    con = duckdb.connect(str(ws / "warehouse.duckdb"))
    try:
        con.execute("update marts.dim_identity_crosswalk set account_id = '1005', match_rule = 'company_name', "
                    "match_status = 'matched' where source_id = 'cus_PxUmbr04'")
        con.execute("insert into marts.dim_identity_crosswalk select * from marts.dim_identity_crosswalk "
                    "where source_id = 'cus_PxAcme01'")
    finally:
        con.close()
    with pytest.raises(DbtBuildError) as failed:
        run_dbt(make_config(ws), ["test", "--select", "dim_identity_crosswalk", "--exclude-resource-type", "unit_test"],
                AS_OF)
    message = str(failed.value)
    assert "test assert_no_account_merged_from_two_crm_records: Got 1 result" in message, message
    assert "test unique_dim_identity_crosswalk_" in message, message
