"""`steward alerts` on a real warehouse file: list, acknowledge, snooze, resolve, and clear errors."""

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.warehouse import session

runner = CliRunner()


@pytest.fixture
def ws(tmp_path):
    with session(tmp_path / "warehouse.duckdb") as con:
        for i, (rule, status) in enumerate([("health_dip", "open"), ("task_overdue", "open"),
                                            ("renewal_window", "acknowledged"), ("mrr_dip", "resolved")]):
            con.execute(
                "insert into ops.alerts (alert_id, fingerprint, rule, account_id, subject, severity, owner_id, "
                "recipient, title, details, status, first_as_of, last_seen_as_of, created_at, manual_resolved) "
                "values (?, ?, ?, 'A1', 's', 'warning', 'U1', 'casey@example.com', ?, '{}', ?, ?, ?, now(), false)",
                [f"al_{i}0000", f"fp{i}", rule, f"title <{rule}>", status, date(2026, 3, 1), date(2026, 3, 2)])
    return tmp_path


def cli(ws, *args):
    return runner.invoke(app, ["alerts", *args, "--workspace", str(ws)])


def test_list_shows_active_alerts_and_filters(ws):
    out = cli(ws, "list", "--json")
    assert out.exit_code == 0
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert sorted(r["rule"] for r in rows) == ["health_dip", "renewal_window", "task_overdue"]
    only = [json.loads(line) for line in cli(ws, "list", "--json", "--rule", "task_overdue").output.splitlines()]
    assert [r["alert_id"] for r in only] == ["al_10000"]
    everything = cli(ws, "list", "--json", "--status", "all").output.splitlines()
    assert len(everything) == 4


def test_ack_snooze_resolve_change_the_status(ws):
    assert cli(ws, "ack", "al_0").exit_code == 0  # a unique prefix is enough
    until = (date.today() + timedelta(days=3)).isoformat()
    assert cli(ws, "snooze", "al_10000", "--until", until).exit_code == 0
    assert cli(ws, "resolve", "al_20000", "--by", "sam").exit_code == 0
    with session(ws / "warehouse.duckdb") as con:
        got = con.execute("select alert_id, status, snoozed_until, manual_resolved, changed_by from ops.alerts "
                          "order by 1").fetchall()
    assert got[0][:2] == ("al_00000", "acknowledged")
    assert got[1][:3] == ("al_10000", "snoozed", date.fromisoformat(until))
    assert got[2][1:] == ("resolved", None, True, "sam")


def test_bad_requests_are_one_clear_line_each(ws):
    out = cli(ws, "resolve", "al_30000", "nope")
    assert out.exit_code == 1
    assert "already resolved" in out.output and "no alert with id 'nope'" in out.output
    assert "Traceback" not in out.output
    past = cli(ws, "snooze", "al_00000", "--until", "2020-01-01")
    assert past.exit_code == 1 and "not in the future" in past.output
    assert cli(ws, "snooze", "al_00000").exit_code == 2  # neither --until nor --days
    ambiguous = cli(ws, "ack", "al_")
    assert ambiguous.exit_code == 1 and "matches 4 alerts" in ambiguous.output
    assert cli(ws, "list", "--status", "bogus").exit_code == 2


def test_no_warehouse_is_a_clear_error(tmp_path):
    out = cli(tmp_path / "empty", "list")
    assert out.exit_code == 2 and "no warehouse" in out.output
