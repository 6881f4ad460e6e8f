"""Shadow mode: a day in shadow sends nothing to customers or CSMs, only the data-team summary;
the next live day sends that day's decisions and does not replay the shadow backlog."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from tests.conftest import steward

SHADOW_DAY = date(2026, 6, 29)
LIVE_DAY = SHADOW_DAY + timedelta(days=1)


def test_shadow_day_then_live_day(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    ws, api = tmp_path / "ws", PREFECT_API_URL.value()

    def cli(*args):
        result = steward(*args, ws=ws, api_url=api)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    cli("generate", "--accounts", "60", "--months", "12", "--as-of", LIVE_DAY.isoformat())
    out = cli("run", "--as-of", SHADOW_DAY.isoformat(), "--shadow")
    assert "shadow mode" in out

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    q = lambda sql, *p: con.execute(sql, list(p)).fetchall()  # noqa: E731
    decided = dict(q("select category, count(*) from ops.outbox group by 1"))
    assert decided.get("alert_digest", 0) > 0 and decided.get("shadow_summary") == 1, decided
    # every decision is recorded, flagged shadow; its email held back
    assert q("select count(*), count(*) filter (where shadow) from ops.alerts")[0][0] > 0
    assert q("select count(*) = count(*) filter (where shadow) from ops.alerts")[0][0]
    assert q("select count(*) = count(*) filter (where shadow) from ops.playbook_runs")[0][0]
    assert q("select count(*) = count(*) filter (where shadow) from ops.survey_invitations")[0][0]
    statuses = dict(q("select status, count(*) from ops.outbox where category <> 'shadow_summary' group by 1"))
    assert set(statuses) == {"shadow"}, statuses
    # the only email that left is the summary, to the data team, saying what would have happened
    sent = q("select to_email, subject, text_body from ops.outbox where status = 'sent'")
    assert len(sent) == 1 and sent[0][0] == "data-team@example.com"
    assert "alerts opened" in sent[0][2] and "emails held back" in sent[0][2]
    held = sum(statuses.values())
    shadow_alerts = q("select count(*) from ops.alerts")[0][0]
    con.close()

    cli("run", "--as-of", LIVE_DAY.isoformat())

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    q = lambda sql, *p: con.execute(sql, list(p)).fetchall()  # noqa: E731
    # nothing decided in shadow was sent after all
    assert q("select count(*) from ops.outbox where status = 'shadow'")[0][0] == held
    # what the live day sent is that day's own decisions only: a fraction of the shadow backlog
    live = q("select count(*) from ops.outbox where as_of = ? and status = 'sent'", LIVE_DAY)[0][0]
    assert 0 < live < held, (live, held)
    assert q("select count(*) from ops.outbox where status = 'sent' and as_of < ? "
             "and category <> 'shadow_summary'", LIVE_DAY)[0][0] == 0
    new_alerts = q("select count(*) from ops.alerts where not shadow")[0][0]
    assert new_alerts == q("select count(*) from ops.alerts where first_as_of = ?", LIVE_DAY)[0][0]
    assert new_alerts < shadow_alerts
    assert q("select count(*) from ops.outbox where category = 'shadow_summary'")[0][0] == 1
    # a shadow run's tasks were never given to anyone: they feed no to-do and no task alert live
    assert q("select count(*) from ops.tasks where shadow")[0][0] > 0
    assert q("select count(*) from intermediate.int_tasks__all t join ops.tasks o using (task_id) "
             "where o.shadow")[0][0] == 0
    con.close()
