"""`steward check` shows source freshness judged at the given as_of, never at today's date."""

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app

pytestmark = pytest.mark.integration


def test_check_judges_freshness_at_as_of(tmp_path, minimal_landing):
    (minimal_landing / "crm" / "touchpoints.csv").write_text(
        "touchpoint_id,account_id,user_id,occurred_at,channel,sentiment\n"
        "T1,A1,U1,2026-05-01 10:00:00,call,0.5\n"
        "T2,A2,U2,2026-05-20 10:00:00,email,\n")

    def check(*extra):
        result = CliRunner().invoke(app, ["check", str(minimal_landing), "--workspace", str(tmp_path / "ws"),
                                          "--json", *extra], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        fresh = json.loads(result.output)["freshness"]
        return fresh["note"], {t["table"]: t for t in fresh["tables"]}

    # touchpoints warn after 14 days and error after 45: 05-20 is 11 days before 05-31, 46 before 07-05
    note, tables = check("--as-of", "2026-05-31")
    assert "2026-05-31" in note
    assert (tables["touchpoints"]["newest"], tables["touchpoints"]["age_days"], tables["touchpoints"]["status"]) == \
        ("2026-05-20", 11, "fresh")
    assert tables["usage_events"]["status"] == "absent"  # not landed: unknown, never "stale"
    assert check("--as-of", "2026-07-05")[1]["touchpoints"]["status"] == "error"
    # a backfill as of 05-10 does not see the 05-20 touchpoint
    assert check("--as-of", "2026-05-10")[1]["touchpoints"]["newest"] == "2026-05-01"
    # without --as-of: the newest day in the data is the reference
    note, tables = check()
    assert "2026-05-20" in note and tables["touchpoints"]["age_days"] == 0
