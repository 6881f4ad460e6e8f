"""plan_alert_changes: the pure diff between desired alert candidates and ops.alerts."""

import pytest

from flows.actions.alerts import Candidate, Current, plan_alert_changes


def cand(fp: str) -> Candidate:
    return Candidate(fp, "renewal_window", "A1", f"S1@2026-04-01:{fp}", "warning", "U1",
                     "casey@example.com", None, "Renewal in 17 days", "{}")


MANUAL = Current("resolved", manual_resolved=True)


@pytest.mark.parametrize(
    "desired, current, opened, reopened, touched, resolved, rearmed",
    [
        (["a"], {}, ["a"], [], [], [], []),  # new condition opens
        (["a"], {"a": "open"}, [], [], ["a"], [], []),  # persisting condition stays one alert
        (["a"], {"a": "acknowledged"}, [], [], ["a"], [], []),  # acknowledging does not reopen
        (["a"], {"a": "snoozed"}, [], [], ["a"], [], []),  # a snooze holds while the condition lasts
        ([], {"a": "open"}, [], [], [], ["a"], []),  # cleared condition resolves
        ([], {"a": "snoozed"}, [], [], [], ["a"], []),  # a snoozed alert also resolves when cleared
        ([], {"a": "acknowledged"}, [], [], [], ["a"], []),  # so does an acknowledged one
        ([], {"a": "resolved"}, [], [], [], [], []),  # resolved stays resolved
        (["a"], {"a": "resolved"}, [], ["a"], [], [], []),  # a condition that returns reopens its alert
        (["a"], {"a": MANUAL}, [], [], ["a"], [], []),  # resolved by hand: stays closed while it persists
        ([], {"a": MANUAL}, [], [], [], [], ["a"]),  # ...and is re-armed once the condition clears
        (["a", "b"], {"b": "open", "c": "open"}, ["a"], [], ["b"], ["c"], []),
    ],
)
def test_plan(desired, current, opened, reopened, touched, resolved, rearmed):
    plan = plan_alert_changes([cand(f) for f in desired], current)
    assert [c.fingerprint for c in plan.to_open] == opened
    assert [c.fingerprint for c in plan.to_reopen] == reopened
    assert [c.fingerprint for c in plan.to_touch] == touched
    assert plan.to_resolve == resolved
    assert plan.to_rearm == rearmed


def test_applying_the_plan_twice_changes_nothing_the_second_time():
    desired = [cand("a"), cand("b")]
    first = plan_alert_changes(desired, {})
    after = {c.fingerprint: "open" for c in first.to_open}
    second = plan_alert_changes(desired, after)
    assert not second.to_open and not second.to_reopen and not second.to_resolve and not second.to_rearm


def test_a_manual_resolve_then_recurrence_reopens():
    """Resolved by hand while true -> kept; condition clears -> re-armed; comes back -> reopened."""
    cleared = plan_alert_changes([], {"a": MANUAL})
    assert cleared.to_rearm == ["a"]
    back = plan_alert_changes([cand("a")], {"a": Current("resolved", manual_resolved=False)})
    assert [c.fingerprint for c in back.to_reopen] == ["a"]


def test_touching_persisting_alerts_updates_what_moved_and_nothing_else(tmp_path):
    """A rerun with the same facts leaves every row as it was; a new title or owner is written."""
    from datetime import date

    from flows.actions.alerts import AlertPlan, Candidate, apply_plan
    from flows.warehouse import connect

    def cand(fp, title, owner="U1"):
        return Candidate(fp, "health_dip", "A1", "account", "warning", owner, "csm@x", None, title, "{}")

    with connect(tmp_path / "w.duckdb") as con:
        apply_plan(con, AlertPlan(to_open=[cand("f1", "dip 10"), cand("f2", "dip 20")]), date(2026, 6, 1))
        rows = "select fingerprint, title, owner_id, last_seen_as_of::varchar from ops.alerts order by 1"
        before = con.execute(rows).fetchall()
        apply_plan(con, AlertPlan(to_touch=[cand("f1", "dip 10"), cand("f2", "dip 20")]), date(2026, 6, 1))
        assert con.execute(rows).fetchall() == before
        apply_plan(con, AlertPlan(to_touch=[cand("f1", "dip 12", "U2"), cand("f2", "dip 20")]), date(2026, 6, 2))
        assert con.execute(rows).fetchall() == [("f1", "dip 12", "U2", "2026-06-02"), ("f2", "dip 20", "U1", "2026-06-02")]
