"""The daily flow on the hand-written scenario: real ingest, real dbt build, real Prefect runs."""

import shutil
from datetime import date

import pytest

from tests.conftest import FIXTURES, make_config
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration


@pytest.fixture
def cfg(tmp_path, minimal_landing):
    return make_config(tmp_path / "ws", minimal_landing)


COUNTS = ("select (select count(*) from raw.accounts), (select count(*) from ops.alerts), "
          "(select count(*) from ops.outbox)")


@pytest.fixture(scope="module")
def scenario(prefect_harness, tmp_path_factory):
    """One workspace through three daily runs (day 1, day 1 again, a later day); each test reads
    the state a step left, so the module pays for three dbt builds instead of five."""
    from flows.daily_run import daily_run_for

    root = tmp_path_factory.mktemp("daily")
    shutil.copytree(FIXTURES / "landing" / "minimal", root / "landing")
    cfg = make_config(root / "ws", root / "landing")
    steps = {"first": daily_run_for(cfg, date(2026, 3, 15))}
    steps["first_alerts"] = dict(q(cfg, "select account_id, json_extract(details, '$.window_days')::int "
                                        "from ops.alerts"))
    steps["first_outbox"] = dict(q(cfg, "select to_email, status from ops.outbox"))
    steps["first_mrr"] = dict(q(cfg, "select account_id, current_mrr from marts.dim_accounts"))
    steps["first_emls"] = sorted(cfg.path("outbox").rglob("*.eml"))
    steps["before_rerun"] = q(cfg, COUNTS)
    steps["rerun"] = daily_run_for(cfg, date(2026, 3, 15))
    steps["after_rerun"] = q(cfg, COUNTS)
    steps["emls_after_rerun"] = len(list(cfg.path("outbox").rglob("*.eml")))
    steps["later"] = daily_run_for(cfg, date(2026, 4, 20))
    steps["later_alerts"] = q(cfg, "select account_id, status, json_extract_string(details, '$.renewal_date') "
                                   "from ops.alerts where rule = 'renewal_window' order by account_id, first_as_of")
    steps["later_new"] = q(cfg, "select rule, count(*) from ops.alerts where first_as_of = '2026-04-20' group by 1")
    return steps


def test_daily_run_opens_renewal_alerts_and_writes_one_email_per_owner(scenario):
    summary = scenario["first"]
    assert summary["rows_loaded"] == {"accounts": 4, "team": 3, "subscriptions": 5}
    assert summary["models_built"] >= 15 and summary["tests_passed"] > 50
    # A1 annual renews 2026-04-01 (17 d), A2 annual 2026-04-01 (17 d), A3 annual 2026-05-20
    # (66 d -> 90-day window). A4 is monthly: it renews every month, so no renewal alert.
    assert scenario["first_alerts"] == {"A1": 30, "A2": 30, "A3": 90}
    # A1 belongs to Casey, A2 to Robin, A3 has no owner -> the unassigned address.
    assert scenario["first_outbox"] == {"casey@example.com": "sent", "robin@example.com": "sent",
                                        "cs-team@example.com": "sent"}
    emls = scenario["first_emls"]
    assert len(emls) == 3
    robin = next(p for p in emls if "robin" in p.name).with_suffix(".html").read_text()
    assert "Beta &lt;b&gt;Labs&lt;/b&gt; &amp; Co" in robin and "<b>Labs</b>" not in robin
    # 120,000/year with 10% off = 9,000/month; A4's trial carries no MRR, its paid plan 90.
    assert scenario["first_mrr"] == {"A1": 9000, "A2": 125, "A3": 700, "A4": 90}


def test_rerun_for_the_same_day_adds_nothing(scenario):
    again = scenario["rerun"]
    assert scenario["before_rerun"] == scenario["after_rerun"]
    assert again["rows_loaded"] == {"accounts": 0, "team": 0, "subscriptions": 0}
    assert again["alerts"]["opened"] == 0 and again["alerts"]["persisting"] == 3
    assert again["emails"]["sent"] == 0 and scenario["emls_after_rerun"] == 3


def test_a_later_day_resolves_passed_windows_and_opens_the_next(scenario):
    later, rows = scenario["later"], scenario["later_alerts"]
    # A1 and A2 renewed on 2026-04-01 (next: 2027) -> resolved, nothing new;
    # A3 is now 30 days out -> its 90-day alert resolves and a 30-day one opens.
    assert ("A1", "resolved", "2026-04-01") in rows and ("A2", "resolved", "2026-04-01") in rows
    assert ("A3", "resolved", "2026-05-20") in rows and ("A3", "open", "2026-05-20") in rows
    assert len(rows) == 4
    # the only renewal alert opened that day is A3's 30-day one (other rules, e.g. overdue playbook
    # tasks, may open their own alerts)
    assert dict(scenario["later_new"]).get("renewal_window") == 1


def test_a_gate_error_stops_the_run_before_dbt(prefect_harness, cfg, minimal_landing):
    from flows.daily_run import daily_run_for
    from flows.quality.gate import GateError

    f = minimal_landing / "crm" / "accounts.csv"
    f.write_text(f.read_text().replace("A4,Delta", ",Delta"))
    with pytest.raises(GateError, match="crm/accounts.csv row 4 column account_id"):
        daily_run_for(cfg, date(2026, 3, 15))
    # No customer or CSM mail; only the data team's note about this failure (stage and cause).
    assert q(cfg, "select category, to_email, subject from ops.outbox") == [
        ("run_failure", "data-team@example.com", "Steward run for 2026-03-15 failed in quality gate")]
    assert q(cfg, "select status from ops.runs") == [("failed",)]
