"""The gate inside the real daily run and behind `steward check`."""

from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import make_config

pytestmark = pytest.mark.integration
SCRIPT = "<script>alert('x')</script> & Sons"


def test_run_quarantines_bad_rows_and_html_names_come_out_escaped(prefect_harness, tmp_path, minimal_landing):
    from flows.daily_run import daily_run_for

    accounts = minimal_landing / "crm" / "accounts.csv"
    accounts.write_text(accounts.read_text().replace("Acme Corp", SCRIPT))
    subs = minimal_landing / "billing" / "subscriptions.csv"
    subs.write_text(subs.read_text() + "S6,A9,starter,month,10.00,USD,1,2026-01-01,,2026-04-01,active,\n")
    cfg = make_config(tmp_path / "ws", minimal_landing)
    summary = daily_run_for(cfg, date(2026, 3, 15))
    assert summary["quality"]["rows_checked"] == 13
    assert summary["quality"]["quarantined"] == {"subscriptions": 1}
    [rule] = summary["quality"]["rules"]  # the run summary says why, not only how many
    assert (rule["table"], rule["rule"], rule["rows"]) == ("subscriptions", "subscriptions.account_id:reference", 1)
    assert rule["example"].startswith("billing/subscriptions.csv row 6 column account_id:") and "'A9'" in rule["example"]
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        assert con.execute("select subscription_id, _rule from quarantine.subscriptions").fetchall() == [
            ("S6", "subscriptions.account_id:reference")]
        assert con.execute("select count(*) from raw.subscriptions").fetchone() == (5,)
    casey = next(p for p in cfg.path("outbox").rglob("*.html") if "casey" in p.name).read_text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons" in casey and "<script>" not in casey
    assert (cfg.path("workspace") / "quality" / "data_docs" / "index.html").exists()
    # Steward's own quality page works offline: no script, no remote asset; dates read as dates
    page = (cfg.path("workspace") / "quality" / "index.html").read_text(encoding="utf-8")
    assert summary["quality"]["docs"].endswith("quality/index.html")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "must exist in accounts.account_id" in page and "1 quarantined" in page
    assert "must be between 1990-01-01 and" in page and "&lt;script&gt;" not in page.split("<body>")[0]
    # ... and in every report page that names the account (renewals, to-do lists, team)
    from flows.reports.flow import REPORT_NAMES, run_report

    pages = [open(p, encoding="utf-8").read() for n in REPORT_NAMES
             for p in run_report(cfg, n, date(2026, 3, 15), send=False).pages]
    assert sum("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons" in page for page in pages) >= 1
    assert not [page for page in pages if "<script>" in page or "alert('x')" in page]


def test_steward_check_reports_without_loading(tmp_path, minimal_landing):
    subs = minimal_landing / "billing" / "subscriptions.csv"
    subs.write_text(subs.read_text().replace("S2,A2,starter,year,1500.00", "S2,A2,starter,year,-1500.00"))
    result = CliRunner().invoke(app, ["check", str(minimal_landing), "--workspace", str(tmp_path / "ws")],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "subscriptions.amount:range" in result.output and "1 row(s) would be quarantined" in result.output
    assert not (tmp_path / "ws" / "warehouse.duckdb").exists()


def test_steward_check_error_is_one_red_line(tmp_path, minimal_landing):
    (minimal_landing / "crm" / "accounts.csv").write_bytes(b"")
    result = CliRunner().invoke(app, ["check", str(minimal_landing), "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "accounts.csv: the file is empty" in result.output


def test_gate_error_message_keeps_bracketed_data_as_text(tmp_path, minimal_landing):
    accounts = minimal_landing / "crm" / "accounts.csv"
    accounts.write_text(accounts.read_text().replace("A4,Delta Ltd", ",[b]Delta[/b]"))
    result = CliRunner().invoke(app, ["check", str(minimal_landing), "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "crm/accounts.csv row 4 column account_id: rule accounts.account_id:not_null (error)" in result.output
