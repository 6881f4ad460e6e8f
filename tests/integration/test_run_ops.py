"""as_of and the scheduled time are the only clocks; a run's summary artifact; a failed run's email."""

import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, make_config
from tests.integration.test_campaigns_flow import CONTACTS, NEW_ACCOUNTS, NEW_SUBSCRIPTIONS

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 1)
OPEN_AT = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)  # inside the default 06-20 UTC send window
CLOSED_AT = datetime(2026, 3, 1, 3, 0, tzinfo=timezone.utc)

# What a replay must reproduce: ops state and outbox, without ids and wall-clock bookkeeping.
SNAPSHOT = {
    "alerts": "select fingerprint, status, recipient, title, first_as_of, resolved_as_of from ops.alerts "
              "order by all",
    "phases": "select account_id, phase, entered_as_of, exited_as_of from ops.account_phase_history order by all",
    "assignments": "select account_id, role, user_id, assigned_as_of, reason from ops.assignments order by all",
    "tasks": "select account_id, owner_id, title, source, created_as_of, due_date, status from ops.tasks order by all",
    "campaign_sends": "select campaign, step, contact_id, status, queued_as_of, note from ops.campaign_sends "
                      "order by all",
    "outbox": "select idempotency_key, category, to_email, subject, text_body, as_of, status from ops.outbox "
              "order by all",
}


def _landing(root: Path) -> Path:
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing" / "minimal", landing)
    with open(landing / "crm" / "accounts.csv", "a") as f:
        f.write(NEW_ACCOUNTS)
    with open(landing / "billing" / "subscriptions.csv", "a") as f:
        f.write(NEW_SUBSCRIPTIONS)
    (landing / "crm" / "contacts.csv").write_text(CONTACTS)
    return landing


def _snapshot(cfg) -> dict:
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        out = {k: con.execute(sql).fetchall() for k, sql in SNAPSHOT.items()}
    # A survey link's token is a fresh secret each time (never derived from the data): mask it.
    out["outbox"] = [tuple(re.sub(r"(t=|/s/)[\w-]+", r"\1<token>", v) if isinstance(v, str) else v for v in row)
                     for row in out["outbox"]]
    return out


@pytest.fixture(scope="module")
def runs(prefect_harness, tmp_path_factory):
    """The same day run three times on copies of one landing folder: the original at 10:00 UTC,
    a replay (later, by the wall clock) with the same scheduled time, and one scheduled at 03:00."""
    from flows.daily_run import daily_run_for

    out = {}
    for name, at in (("original", OPEN_AT), ("replay", OPEN_AT), ("night", CLOSED_AT)):
        root = tmp_path_factory.mktemp(name)
        cfg = make_config(root / "ws", _landing(root))
        out[name] = (cfg, daily_run_for(cfg, DAY, scheduled_at=at), _snapshot(cfg))
    return out


def test_a_replayed_day_writes_the_same_ops_state_and_outbox(runs):
    _, summary, original = runs["original"]
    _, _, replay = runs["replay"]
    assert summary["campaigns"]["queued"], "the scenario should queue campaign mail at 10:00"
    for table in SNAPSHOT:
        assert replay[table] == original[table], table


def test_the_send_window_follows_the_scheduled_time_not_the_wall_clock(runs):
    _, day, _ = runs["original"]
    _, night, snapshot = runs["night"]
    assert day["campaigns"]["queued"] == {"welcome": 2, "pooled_reach_out": 1}
    assert night["campaigns"]["queued"] == {}  # 03:00 is outside 06-20 UTC, whatever time it is now
    assert not [k for k, *_ in snapshot["outbox"] if k.startswith("campaign:")]
    assert night["scheduled_at"] == CLOSED_AT.isoformat()


def test_each_run_publishes_its_summary_as_a_markdown_artifact(runs):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["steward-run-summary"])))
    texts = [a.data for a in found]
    assert any(f"Steward run for {DAY}: succeeded" in t and "| accounts |" in t and "| dbt build |" in t
               and "- emails:" in t for t in texts), texts[:1]


def test_a_failed_run_emails_the_data_team_once_naming_stage_and_cause(prefect_harness, tmp_path, minimal_landing):
    from flows.daily_run import daily_run_for

    broken = tmp_path / "no_dbt_project"
    broken.mkdir()
    cfg = make_config(tmp_path / "ws", minimal_landing, dbt={"project_dir": str(broken)},
                      recipients={"data_team": "oncall@example.com"})
    for _ in range(2):
        with pytest.raises(Exception):
            daily_run_for(cfg, DAY, scheduled_at=OPEN_AT)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        mails = con.execute("select idempotency_key, to_email, subject, text_body, status from ops.outbox "
                            "where category = 'run_failure' order by created_at").fetchall()
        runs = con.execute("select run_id, status, summary::json->>'failed_stage' from ops.runs "
                           "order by started_at").fetchall()
    assert [r[1:] for r in runs] == [("failed", "dbt build")] * 2
    # One email per failed run, keyed by the run, each sent through the outbox's transport.
    assert [m[0] for m in mails] == [f"run-failed:{r[0]}" for r in runs]
    for key, to, subject, text, status in mails:
        assert (to, status) == ("oncall@example.com", "sent")
        assert subject == f"Steward run for {DAY} failed in dbt build"
        cause = text.split("\n\n")[1].strip()
        assert cause and "\n" not in cause and "Traceback" not in text
    assert len(list(cfg.path("outbox").rglob("run_failure__*.eml"))) == 2
    assert not (cfg.path("warehouse").parent / "analyst").exists()  # nothing published by a failed run
