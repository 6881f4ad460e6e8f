"""Campaigns through the real daily flow: ingest, dbt build (fct_campaign_targets), phases,
the reconcile-campaigns task and delivery, over day 0, a rerun of day 0, day 7 and day 30."""

import shutil
from datetime import date

import pytest

from tests.conftest import FIXTURES, make_config
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration

DAY0, DAY7, DAY30 = date(2026, 3, 1), date(2026, 3, 8), date(2026, 3, 31)

# N1 and N2 are new on DAY0. N1's first annual term renews 2026-06-15: by DAY30 the renewal is
# 76 days away and N1 moves to the renewal phase, leaving onboarding. N2 pays monthly (no renewal
# phase) and stays in onboarding.
NEW_ACCOUNTS = ("N1,Nova Freight,mid_market,logistics,NA,2026-03-01 08:00:00,U1,customer\n"
                "N2,Polar Health,enterprise,health,EMEA,2026-03-01 09:00:00,U2,customer\n")
NEW_SUBSCRIPTIONS = ("S6,N1,growth,year,6000.00,USD,20,2026-03-01,,2026-06-15,active,\n"
                     "S7,N2,enterprise,month,7500.00,USD,150,2026-03-01,,2026-04-01,active,\n")
CONTACTS = """contact_id,account_id,email,name,role,is_champion,is_primary,left_at,unsubscribed_at
K1,N1,nina@nova.example,Nina Novak,IT Admin,true,true,,
K2,N1,omar@nova.example,Omar Ortiz,Analyst,false,false,,
K3,N2,paula@polar.example,Paula Park,CTO,false,true,,
K4,A2,rosa@beta.example,Rosa <Ruiz>,COO,false,true,,
K5,A2,sam@beta.example,Sam Sato,Analyst,false,false,,2026-01-10 10:00:00
K6,A1,ana@acme.example,Ana Admin,IT Admin,true,true,,
"""


def campaign_mail(cfg):
    return q(cfg, "select as_of, split_part(idempotency_key, ':', 2) as campaign, split_part(idempotency_key, ':', 3), "
                  "to_email, status from ops.outbox where category like 'campaign_%' order by 1, 2, 4")


@pytest.fixture(scope="module")
def days(prefect_harness, tmp_path_factory):
    from flows.daily_run import daily_run_for

    root = tmp_path_factory.mktemp("campaigns")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing" / "minimal", landing)
    with open(landing / "crm" / "accounts.csv", "a") as f:
        f.write(NEW_ACCOUNTS)
    with open(landing / "billing" / "subscriptions.csv", "a") as f:
        f.write(NEW_SUBSCRIPTIONS)
    (landing / "crm" / "contacts.csv").write_text(CONTACTS)
    cfg = make_config(root / "ws", landing, campaigns={
        "send_window_utc": {"start_hour": 0, "end_hour": 24},
        "max_per_contact_per_day": 2,  # runs here are a week apart: let welcome and day 0 share a day
        "pooled_reach_out": {"every_days": 30},
    })
    out = {"cfg": cfg}
    out["day0"] = daily_run_for(cfg, DAY0)
    out["mail_day0"] = campaign_mail(cfg)
    out["emls_day0"] = len(list(cfg.path("outbox").rglob("campaign_*.eml")))
    out["rerun"] = daily_run_for(cfg, DAY0)
    out["mail_rerun"] = campaign_mail(cfg)
    out["emls_rerun"] = len(list(cfg.path("outbox").rglob("campaign_*.eml")))
    out["day7"] = daily_run_for(cfg, DAY7)
    out["day30"] = daily_run_for(cfg, DAY30)
    out["mail"] = campaign_mail(cfg)
    out["phases"] = dict(q(cfg, "select account_id, phase from ops.account_phase_history where exited_as_of is null"))
    return out


def test_new_accounts_get_one_welcome_and_day_0_and_a_pooled_account_a_reach_out(days):
    assert days["day0"]["campaigns"]["scheduled"] == {"welcome": 2, "onboarding_sequence": 2, "pooled_reach_out": 1}
    assert days["mail_day0"] == [
        (DAY0, "onboarding_sequence", "day_0", "nina@nova.example", "sent"),
        (DAY0, "onboarding_sequence", "day_0", "paula@polar.example", "sent"),
        (DAY0, "pooled_reach_out", "2026-03-01", "rosa@beta.example", "sent"),
        (DAY0, "welcome", "once", "nina@nova.example", "sent"),
        (DAY0, "welcome", "once", "paula@polar.example", "sent"),
    ]
    # the primary contact only (not Omar), and nobody at the adoption-phase enterprise account A1
    html = next(days["cfg"].path("outbox").rglob("campaign_pooled_reach_out__rosa*.html")).read_text()
    assert "Checking in on Beta &lt;b&gt;Labs&lt;/b&gt; &amp; Co" in html and "Rosa &lt;Ruiz&gt;" in html
    assert "<b>Labs</b>" not in html and "Robin CSM" in html  # A2's owner signs it


def test_a_rerun_of_the_day_adds_no_campaign_email(days):
    rerun = days["rerun"]["campaigns"]
    assert rerun["scheduled"] == {} and rerun["queued"] == {}
    assert days["mail_rerun"] == days["mail_day0"] and days["emls_rerun"] == days["emls_day0"] == 5


def test_the_sequence_sends_day_7_and_stops_for_the_account_that_left_onboarding(days):
    assert days["day7"]["campaigns"]["queued"] == {"onboarding_sequence": 2}
    later = [m for m in days["mail"] if m[0] > DAY0]
    assert later == [
        (DAY7, "onboarding_sequence", "day_7", "nina@nova.example", "sent"),
        (DAY7, "onboarding_sequence", "day_7", "paula@polar.example", "sent"),
        # N1 is in its renewal window by day 30: no day-30 email for Nina; N2 is still onboarding
        (DAY30, "onboarding_sequence", "day_30", "paula@polar.example", "sent"),
        # the pooled account again after every_days (30), not before
        (DAY30, "pooled_reach_out", "2026-03-31", "rosa@beta.example", "sent"),
    ]
    assert days["phases"]["N1"] == "renewal" and days["phases"]["N2"] == "onboarding"
    assert len({(c, s, to) for _, c, s, to, _ in days["mail"]}) == len(days["mail"])  # nobody twice
