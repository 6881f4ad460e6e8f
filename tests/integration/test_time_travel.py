"""Consecutive daily runs on generated data: no alert storm, no duplicates, lifecycle kept.

The CI run covers 6 days on 120 accounts and checks the alert lifecycle end to end (a
person acknowledges, snoozes and resolves alerts between runs); the 60-day run on 500
accounts is `-m scale` and writes its numbers to bench/results/time_travel-<date>.json.
"""

import json
from datetime import date, timedelta

import pytest

from flows.config import REPO_ROOT
from tests.conftest import GENERATED_AS_OF
from tests.integration.time_travel import fresh_generated, travel
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration

DAYS = 6
REMIND_EVERY = 4  # task_overdue reminders, shortened from the default 7 to fit the run
FIRST = GENERATED_AS_OF - timedelta(days=DAYS - 1)


def _pick(cfg, rule_filter: str, order: str = "alert_id") -> str:
    rows = q(cfg, f"select alert_id from ops.alerts where status = 'open' and {rule_filter} order by {order} limit 1")
    assert rows, f"no open alert matching {rule_filter} on the first day"
    return rows[0][0]


@pytest.fixture(scope="module")
def travelled(prefect_harness, tmp_path_factory):
    """Day 1; then a person acts on three alerts; then days 2..6; then day 6 again."""
    from flows.actions.alerts import acknowledge, resolve, snooze
    from flows.daily_run import daily_run_for
    from flows.warehouse import session

    # All six days' files land on day 1: the gate's "future" (after as_of + grace) must span them.
    cfg = fresh_generated(tmp_path_factory.mktemp("travel"), accounts=120, as_of=GENERATED_AS_OF,
                          alerts={"task_overdue": {"realert_days": REMIND_EVERY}},
                          run={"future_grace_days": DAYS})
    first = travel(cfg, FIRST, 1)
    # alerts whose condition lasts (a CSM's record, an unpaid invoice, the cadence) for the actions
    acked = _pick(cfg, "rule = 'csm_late_tasks'")
    longest_silence = "json_extract(details, '$.days_since_last_touchpoint')::int desc nulls last, alert_id"
    snoozed = _pick(cfg, "rule = 'touchpoint_trend' and subject = 'cadence'", longest_silence)
    resolved = _pick(cfg, f"rule = 'touchpoint_trend' and subject = 'cadence' and alert_id <> '{snoozed}'",
                     longest_silence)
    with session(cfg.path("warehouse")) as con:
        acknowledge(con, acked, by="test")
        snooze(con, snoozed, until=FIRST + timedelta(days=2), by="test", today=FIRST)
        resolve(con, resolved, by="test")
    rest = travel(cfg, FIRST + timedelta(days=1), DAYS - 1)
    counts = "select (select count(*) from ops.alerts), (select count(*) from ops.outbox), " \
             "(select count(*) from ops.account_phase_history)"
    before = q(cfg, counts)
    rerun = daily_run_for(cfg, GENERATED_AS_OF)
    return dict(cfg=cfg, first=first, rest=rest, acked=acked, snoozed=snoozed, resolved=resolved,
                before=before, after=q(cfg, counts), rerun=rerun)


def test_no_alert_storm_and_no_duplicates(travelled):
    first, rest = travelled["first"], travelled["rest"]
    assert first.opened_per_day[0] > 0
    # after the first day, only what changed opens: a few percent of the book per day at most, and
    # task alerts (one per owner and due date: a cohort of tasks falling due together is one) a couple
    # per owner
    assert rest.storm_days() == [], (rest.opened_non_task_per_day, rest.opened_task_per_day, rest.task_owners)
    assert rest.task_alerts > 0 and rest.task_alerts_over_tasks == 0
    assert rest.duplicate_alerts == 0 and rest.duplicate_emails == 0
    # one digest per recipient per day at most: never more digests than team members + leader + catch-all
    team = q(travelled["cfg"], "select count(*) from staging.stg_crm__team")[0][0]
    assert max(first.digests_per_day + rest.digests_per_day) <= team + 2


def test_churners_in_the_window_were_alerted_before_they_churned(travelled):
    missed = [c for c in travelled["rest"].churners if c["lead_days"] is None]
    assert not missed, missed


def test_rerunning_the_last_day_adds_nothing(travelled):
    assert travelled["before"] == travelled["after"]
    assert travelled["rerun"]["alerts"]["opened"] == 0 and travelled["rerun"]["alerts"]["digests_queued"] == 0
    assert travelled["rerun"]["phases"]["changed"] == 0 and travelled["rerun"]["phases"]["entered"] == 0


def test_an_acknowledged_alert_gets_no_more_mail(travelled):
    cfg, acked = travelled["cfg"], travelled["acked"]
    (status, count), = q(cfg, "select status, notify_count from ops.alerts where alert_id = ?", [acked])
    assert status in ("acknowledged", "resolved") and count == 1
    # a digest names the alerts it carries in its X-Steward-Alerts header (ids are not in the text)
    assert q(cfg, "select count(*) from ops.outbox where as_of = ? and contains(headers, ?)", [FIRST, acked]) == [(1,)]
    later = q(cfg, "select count(*) from ops.outbox where as_of > ? and contains(headers, ?)", [FIRST, acked])
    assert later == [(0,)]


def test_a_snoozed_alert_comes_back_in_the_digest_on_its_day(travelled):
    cfg, snoozed = travelled["cfg"], travelled["snoozed"]
    mailed_on = [d for (d,) in q(cfg, "select as_of from ops.outbox where category = 'alert_digest' "
                                     "and contains(headers, ?) order by as_of", [snoozed])]
    assert mailed_on[:2] == [FIRST, FIRST + timedelta(days=2)]


def test_a_hand_resolved_alert_stays_resolved_while_the_condition_lasts(travelled):
    cfg, resolved = travelled["cfg"], travelled["resolved"]
    (status, manual, seen, count), = q(cfg, "select status, manual_resolved, last_seen_as_of, notify_count "
                                            "from ops.alerts where alert_id = ?", [resolved])
    assert status == "resolved" and count == 1
    # either the condition still holds (seen today, kept closed) or it cleared and the alert is re-armed
    assert (manual and seen == GENERATED_AS_OF) or (not manual and seen < GENERATED_AS_OF)


def test_open_alerts_with_a_reminder_policy_are_mailed_again_after_it(travelled):
    cfg = travelled["cfg"]
    # task_overdue reminds every REMIND_EVERY days: opened on day 1, still open then -> mailed twice
    reminded = q(cfg, "select alert_id, notify_count, last_notified_as_of from ops.alerts where rule = 'task_overdue' "
                      "and first_as_of = ? and status = 'open'", [FIRST])
    assert reminded, "no overdue task stayed open for a week"
    assert all(n == 2 and last == FIRST + timedelta(days=REMIND_EVERY) for _, n, last in reminded)
    # rules without a reminder policy are mailed once however long they stay open
    once = q(cfg, "select max(notify_count) from ops.alerts where rule = 'renewal_window'")
    assert once == [(1,)]


def test_phase_history_has_one_current_stay_per_account(travelled):
    cfg = travelled["cfg"]
    assert q(cfg, "select count(*) from (select account_id from ops.account_phase_history "
                  "where exited_as_of is null group by 1 having count(*) > 1)") == [(0,)]
    current = dict(q(cfg, "select account_id, phase from ops.account_phase_history where exited_as_of is null"))
    target = dict(q(cfg, "select account_id, journey_phase from marts.dim_accounts"))
    assert current == target
    # stays never overlap or go backwards
    assert q(cfg, "select count(*) from ops.account_phase_history where exited_as_of <= entered_as_of") == [(0,)]


@pytest.mark.scale
@pytest.mark.timeout(3 * 3600)
def test_sixty_days_on_500_accounts(prefect_harness, tmp_path):
    """The issue's time-travel run; numbers go to bench/results/time_travel-<date>.json."""
    as_of = date(2026, 6, 30)
    cfg = fresh_generated(tmp_path, accounts=500, as_of=as_of, months=12, run={"future_grace_days": 60})
    stats = travel(cfg, as_of - timedelta(days=59), 60)
    out = REPO_ROOT / "bench" / "results" / f"time_travel-{date.today()}.json"
    out.write_text(json.dumps(stats.as_dict(), indent=2, default=str) + "\n")
    assert stats.duplicate_alerts == 0 and stats.duplicate_emails == 0
    assert stats.storm_days(first=1) == [], (stats.opened_non_task_per_day, stats.opened_task_per_day)
    assert stats.task_alerts > 0 and stats.task_alerts_over_tasks == 0
    assert stats.churners and stats.churners_alerted == len(stats.churners), stats.churners
