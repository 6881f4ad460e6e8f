"""Delivery safety settings: recipients checked at load, policy per kind of mail, held mail visible."""

import re

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.config import ConfigError, load_config
from flows.delivery.held import describe_pending
from flows.delivery.outbox import Policy

runner = CliRunner()


@pytest.mark.parametrize("yaml_text, key", [
    ("reports:\n  nrr:\n    recipients: [ok@example.com, bad@@example.com]\n", "reports.nrr.recipients.1"),
    ("recipients:\n  cs_leader: bad@@example.com\n", "recipients.cs_leader"),
    ("recipients:\n  data_team: data team@example.com\n", "recipients.data_team"),
    ("delivery:\n  reply_to: nobody@localhost\n", "delivery.reply_to"),
])
def test_a_bad_recipient_fails_at_load_naming_the_key(tmp_path, yaml_text, key):
    f = tmp_path / "steward.yml"
    f.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(f, environ={})
    msg = str(err.value)
    assert f"`{key}`" in msg and "an email address like name@example.com" in msg and str(f) in msg


def test_a_bad_recipient_is_one_line_from_the_cli_before_anything_is_queued(tmp_path):
    f = tmp_path / "steward.yml"
    f.write_text("reports:\n  nrr:\n    recipients: [bad@@example.com]\n")
    result = runner.invoke(app, ["deliver", "--config", str(f), "--workspace", str(tmp_path)])
    assert result.exit_code == 2 and "reports.nrr.recipients.0" in result.output and "bad@@example.com" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "warehouse.duckdb").exists()


def test_good_addresses_and_the_defaults_load():
    cfg = load_config(overrides={"recipients": {"data_team": "ops+steward@data.example.co.uk"}}, environ={})
    assert cfg.recipients.data_team == "ops+steward@data.example.co.uk"
    policy = Policy.from_config(cfg)
    assert (policy.activity_window_seconds, policy.alert_to) == (3600, "ops+steward@data.example.co.uk")


@pytest.mark.parametrize("category, expected", [
    ("alert_digest", "resend"), ("report_nrr", "resend"), ("report_todo", "resend"), ("ops_outbox_held", "resend"),
    ("campaign_welcome", "hold"), ("survey_nps", "hold"), ("playbook_onboarding", "hold"),
])
def test_customer_mail_is_held_and_internal_mail_resent_by_default(category, expected):
    assert Policy().for_category(category) == expected


def test_the_run_summary_shows_held_mail_by_reason_with_the_command():
    from flows.console import console, print_summary

    pending = [{"status": "held", "reason": "not in SendGrid activity 60 min after an unanswered send",
                "count": 2, "oldest_minutes": 1500, "since": None},
               {"status": "queued", "reason": "deferred: gave up after 5 attempts: 429: too many requests",
                "count": 1, "oldest_minutes": 5, "since": None},
               {"status": "queued", "reason": "not tried yet (over the send budget, or the drain stopped first)",
                "count": 40, "oldest_minutes": 5, "since": None}]
    summary = {"as_of": "2026-06-30", "rows_loaded": {}, "files_skipped": 0, "missing_tables": [], "quality": None,
               "models_built": 1, "tests_passed": 1, "warehouse": "w.duckdb", "outbox": "outbox",
               "alerts": {"opened": 0, "reopened": 0, "resolved": 0, "persisting": 0, "digests_queued": 0},
               "emails": {"sent": 3, "recovered": 0, "failed": 0, "deferred": 1, "suppressed": 0, "unconfirmed": 0,
                          "resent": 0, "held": 2, "aborted": None, "pending": pending}}
    with console.capture() as cap:
        print_summary(summary, 1.0)
    text = " ".join(re.sub(r"[│┃┌┐└┘─┬┴├┤┼━┏┓┗┛]", " ", cap.get()).split())
    assert "2 held: not in SendGrid activity 60 min after an unanswered send (oldest 25 h)" in text
    assert "1 queued: deferred: gave up after 5 attempts: 429" in text
    assert "steward outbox list --status held" in text and "steward outbox release" in text
    assert "over the send budget" not in text  # plain waiting for budget is not a problem to show


def test_nothing_waiting_says_nothing():
    assert describe_pending([]) == []
