"""Salesforce CRM + Stripe billing + Zendesk support + Amplitude events, each in its vendor's export shape
and id space, reach fct_mrr, the engagement and health marts and alerts through
`sources: {crm: salesforce, billing: stripe, support: zendesk, product: amplitude}`.

One warehouse, one run, built once for the module. Fixture: tests/fixtures/landing/presets_salesforce
(written by tests/fixtures/make_presets_salesforce.py, whose comments describe each record).
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from tests.conftest import FIXTURES, steward
from tests.support.presets import preset_config, query as _query

AS_OF = date(2026, 3, 15)
LANDING = FIXTURES / "landing" / "presets_salesforce"
PRESETS = {"crm": "salesforce", "billing": "stripe", "support": "zendesk", "product": "amplitude"}
NW, CT, FB = "001Hp00001NwTrdIAA", "001Hp00001CntsoIAB", "001Hp00001FbrkmIAC"


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory) -> dict:
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("presets_sf")
    ws = root / "ws"
    shutil.copytree(LANDING, ws / "landing")
    cfg = preset_config(root / "steward.yml", PRESETS)
    run = steward("run", "--as-of", AS_OF.isoformat(), "--config", str(cfg), ws=ws, api_url=PREFECT_API_URL.value())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {"ws": ws, "cfg": cfg, "stdout": run.stdout}


def test_mrr_per_salesforce_account_matches_the_hand_computation(built):
    mrr = dict(_query(built["ws"], "select account_id, mrr from marts.fct_mrr where month = date '2026-03-01' "
                                   "and mrr <> 0"))
    assert {k: float(v) for k, v in mrr.items()} == {
        # 36,000.00 a year / 12 = 3,000.00, plus 20 seats x 15.00 = 300.00
        NW: 36000.00 / 12 + 20 * 15.00,
        # 2 x 799.00 = 1,598.00 less the 25 % coupon = 1,198.50; the trial adds nothing
        CT: 2 * 799.00 * (1 - 0.25),
        # 149.00 past due still counts; the add-on that ended on 28 February does not
        FB: 149.00,
    }


def test_four_id_spaces_resolve_by_rule(built):
    rows = _query(built["ws"], "select system, source_id, account_id, match_rule, match_status "
                               "from marts.dim_identity_crosswalk order by 1, 2")
    assert rows == [
        ("billing", "cus_Cnt0002", CT, "domain", "matched"),      # accounts.payable@contoso.com
        ("billing", "cus_Fab0003", FB, "company_name", "matched"),  # "Fabrikam, Inc.", a gmail address
        ("billing", "cus_NwT0001", NW, "exact_id", "matched"),    # Stripe_Customer_ID__c
        # Amplitude lists no groups: the ids the Accounts store (Product_Account_ID__c) are the records
        ("product", "contoso", CT, "exact_id", "matched"),
        ("product", "fabrikam", FB, "exact_id", "matched"),
        ("product", "northwind", NW, "exact_id", "matched"),
        ("support", "360000000001", NW, "exact_id", "matched"),   # external_id holds the Salesforce Id
        ("support", "360000000002", CT, "domain", "matched"),     # domain_names[1]
        ("support", "360000000003", FB, "company_name", "matched"),
        ("support", "360000000004", None, None, "unmatched"),     # Litware
    ]


def test_zendesk_tickets_and_ratings_reach_engagement(built):
    ws = built["ws"]
    tickets = dict(_query(ws, "select ticket_id, priority from staging.stg_support__support_tickets"))
    # Litware's ticket 106 is held out; 103 had no priority in Zendesk
    assert tickets == {"101": "urgent", "102": "normal", "103": "normal", "104": "high", "105": "low"}
    eng = {r[0]: r[1:] for r in _query(ws, "select account_id, open_tickets, open_high_priority_tickets, csat_90d "
                                           "from marts.fct_engagement")}
    assert eng[NW] == (2, 1, 5.0)   # 101 (urgent) and 103 open; 102 solved 22 Feb, rated good = 5
    assert eng[CT] == (0, 0, 1.0)   # 104 closed 4 March, rated bad = 1
    assert eng[FB] == (0, 0, None)  # 105's survey offered, not answered: unknown, not 0


def test_health_alerts_and_run_summary(built):
    ws = built["ws"]
    health = {r[0]: r[1:] for r in _query(
        ws, "select account_id, usage_depth_score is not null, components_used from marts.fct_account_health_daily "
            "where health_date = date '2026-03-15'")}
    assert set(health) == {NW, CT, FB}
    assert all(h[0] for h in health.values())  # Amplitude events reached every account by its group
    assert "payment_health" in health[FB][1]
    # Fabrikam's invoice is 33 days overdue: the alert fires for its Salesforce Account
    assert (FB,) in _query(ws, "select account_id from ops.alerts where rule = 'payment_overdue'")
    summary = _query(ws, "select summary from ops.runs order by started_at desc limit 1")[0][0]
    ident = (json.loads(summary) if isinstance(summary, str) else summary)["identity"]
    assert ident["support"] == {"matched": 3, "ambiguous": 0, "unmatched": 1, "rows_held_out": 1}
    assert ident["product"] == {"matched": 3, "ambiguous": 0, "unmatched": 0, "rows_held_out": 0}
    assert "360000000004" in built["stdout"]
    # Amplitude's tailspin group is on no Account: its 2 events are quarantined by the gate, named, not lost
    quality = (json.loads(summary) if isinstance(summary, str) else summary)["quality"]
    assert quality["quarantined"] == {"usage_events": 2}
    assert [(r["rule"], r["rows"]) for r in quality["rules"]] == [("usage_events.account_id:reference", 2)]
    assert "187520_2026-03-14_9#0.json" in quality["rules"][0]["example"]
    assert "tailspin" in quality["rules"][0]["example"]
    contacts = _query(ws, "select contact_id, account_id, name from staging.stg_crm__contacts order by 1")
    assert contacts == [("003Hp00000CtBenIAB", CT, "Ben"), ("003Hp00000NwAnnIAA", NW, "Ann")]


def test_check_lists_the_unmatched_zendesk_organization(built, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["check", str(LANDING), "--json", "--config", str(built["cfg"]),
                                      "--workspace", str(tmp_path / "ws")])
    out = json.loads(result.output[result.output.index("{"):])
    assert out["identity"]["support"]["unmatched"] == [{"source_id": "360000000004", "name": "Litware"}]
    assert out["identity"]["support"]["counts"] == {"matched": 3, "ambiguous": 0, "unmatched": 1, "rows_held_out": 1}
    # the quarantined Amplitude events make check exit 1, naming them
    assert result.exit_code == 1 and out["quarantined"] == {"usage_events": 2}, result.output[-2000:]
