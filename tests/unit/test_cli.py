"""The CLI: every command has help with an example and is documented in README."""

import re

import typer
from typer.testing import CliRunner

from flows.cli import app
from flows.config import REPO_ROOT

runner = CliRunner()


def _commands():
    return typer.main.get_command(app).commands


def test_every_command_has_help_with_an_example_and_is_in_readme():
    readme = (REPO_ROOT / "README.md").read_text()
    assert _commands()
    for name, cmd in _commands().items():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in (cmd.help or ""), f"`steward {name}` help has no example"
        assert f"steward {name}" in readme, f"`steward {name}` is not documented in README.md"


def test_readme_states_the_ci_test_command_verbatim():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    cmd = re.search(r"TEST_CMD='([^']+)'", ci).group(1)
    assert cmd in (REPO_ROOT / "README.md").read_text()


def test_bad_as_of_is_one_clear_line(tmp_path):
    result = runner.invoke(app, ["run", "--as-of", "31/01/2026", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a date; expected YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


def test_scheduled_at_is_read_as_utc_and_a_bad_one_is_one_clear_line(tmp_path):
    from datetime import datetime, timezone

    from flows.cli.run import _parse_scheduled_at

    assert _parse_scheduled_at("2026-06-30T06:00") == datetime(2026, 6, 30, 6, tzinfo=timezone.utc)
    assert _parse_scheduled_at("2026-06-30T08:00+02:00") == datetime(2026, 6, 30, 6, tzinfo=timezone.utc)
    assert _parse_scheduled_at(None) is None
    result = runner.invoke(app, ["run", "--as-of", "2026-06-30", "--scheduled-at", "6am", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "--scheduled-at '6am': expected an ISO 8601 time" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_missing_landing_folder_fails_before_any_flow_runs(tmp_path):
    result = runner.invoke(app, ["run", "--as-of", "2026-01-31", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "landing folder" in out and "does not exist" in out


def test_invalid_config_file_is_reported(tmp_path):
    bad = tmp_path / "steward.yml"
    bad.write_text("delivery:\n  transport: pigeon\n")
    result = runner.invoke(app, ["run", "--config", str(bad), "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "delivery.transport" in result.output and "pigeon" in result.output


def test_run_summary_names_every_delivery_outcome(capsys):
    from flows.console import console, print_summary

    summary = {"as_of": "2026-06-30", "rows_loaded": {"accounts": 3}, "files_skipped": 0, "missing_tables": [], "quality": None,
               "models_built": 33, "tests_passed": 226, "warehouse": "w.duckdb", "outbox": "outbox",
               "alerts": {"opened": 2, "reopened": 0, "resolved": 1, "persisting": 4, "digests_queued": 5},
               "emails": {"sent": 3, "recovered": 1, "failed": 0, "deferred": 0, "suppressed": 2,
                          "unconfirmed": 1, "aborted": None}}
    with console.capture() as cap:
        print_summary(summary, 1.0)
    text = " ".join(re.sub(r"[│┌┐└┘─┬┴├┤┼]", " ", cap.get()).split())  # cells may wrap
    assert "5 queued, 3 sent, 0 failed, 1 recovered after an interrupted send, 2 suppressed, 1 unconfirmed" in text
    assert "deferred" not in text  # zero counts beyond the basics stay out of the way


def test_run_summary_says_why_rows_were_quarantined():
    from flows.console import console, print_summary

    summary = {"as_of": "2026-06-30", "rows_loaded": {"subscriptions": 6}, "models_built": 60, "tests_passed": 330,
               "warehouse": "w.duckdb", "outbox": "outbox",
               "quality": {"rows_checked": 6, "quarantined": {"subscriptions": 1}, "notes": [], "docs": None,
                           "rules": [{"table": "subscriptions", "rule": "subscriptions.account_id:reference", "rows": 1,
                                      "example": "billing/subscriptions.csv row 6 column account_id: account_id must "
                                                 "exist in accounts.account_id (got '[A9]')"}]},
               "alerts": {"opened": 0, "reopened": 0, "resolved": 0, "persisting": 0, "digests_queued": 0},
               "emails": {"sent": 0, "failed": 0}}
    with console.capture() as cap:
        print_summary(summary, 1.0)
    text = " ".join(re.sub(r"[│┌┐└┘─┬┴├┤┼]", " ", cap.get()).split())
    assert "quarantined: subscriptions 1 (see quarantine.<table>)" in text
    assert ("subscriptions.account_id:reference: 1 row(s), e.g. billing/subscriptions.csv row 6 column account_id: "
            "account_id must exist in accounts.account_id (got '[A9]')") in text  # brackets are data, not markup
