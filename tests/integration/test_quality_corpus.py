"""The adversarial corpus: each bad input through real ingest + the real GX gate on a DuckDB file.

Every case states its outcome (loaded, quarantined with a reason, or stopped with a message)
and, whenever rows were read, that loaded + quarantined = rows read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.ingest.discover import LandingError, discover
from flows.ingest.ledger import content_hash
from flows.ingest.load import ensure_empty_tables, load_file
from flows.quality.gate import GateError, GateResult, run_gate
from flows.warehouse import connect
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration
TODAY = date(2026, 6, 30)
ACCOUNTS = "crm/accounts.csv"
SUBS = "billing/subscriptions.csv"
USAGE = "product/usage_events/day=2026-06-01.parquet"


@dataclass
class Landed:
    con: duckdb.DuckDBPyConnection
    result: GateResult
    read: dict[str, int]

    def raw(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def quarantined(self, table: str) -> list[tuple]:
        """(file, row, rule, reason) of each quarantined row."""
        return self.raw(f"select _source_file, _source_row, _rule, _reason from quarantine.{table} "
                        "order by _source_file, _source_row")

    def assert_nothing_lost(self) -> None:
        for table, n in self.read.items():
            kept = self.raw(f"select count(*) from raw.{table} where _batch_id = 'B'")[0][0]
            moved = self.raw(f"select count(*) from quarantine.{table} where _batch_id = 'B'")[0][0] \
                if self.raw(f"select count(*) from information_schema.tables where table_schema = 'quarantine' "
                            f"and table_name = '{table}'")[0][0] else 0
            assert kept + moved == n, f"{table}: {kept} loaded + {moved} quarantined != {n} read"


def edit(landing: Path, rel: str, old: str, new: str) -> None:
    f = landing / rel
    text = f.read_text()
    assert old in text, old
    f.write_text(text.replace(old, new, 1))


def usage(landing: Path, rows: list[dict] | None = None, table: pa.Table | None = None) -> Path:
    path = landing / USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    if table is None:
        table = pa.table({
            "event_id": pa.array([r.get("event_id", i + 1) for i, r in enumerate(rows)], pa.int64()),
            "account_id": [r.get("account_id", "A1") for r in rows],
            "user_id": ["u1"] * len(rows), "feature": ["reports"] * len(rows),
            "occurred_at": pa.array([r.get("occurred_at", 1780000000) for r in rows], pa.timestamp("s")),
            "quantity": [r.get("quantity", 1.0) for r in rows],
        })
    pq.write_table(table, path)
    return path


def land(landing: Path, db: Path) -> Landed:
    """Real ingest of every file in batch 'B', then the gate; returns the open connection."""
    con = connect(db)
    found = discover(landing)
    read: dict[str, int] = {}
    for table, files in found.files.items():
        for p in files:
            read[table] = read.get(table, 0) + load_file(con, table, p, p.relative_to(landing).as_posix(),
                                                         content_hash(p), "B")
    ensure_empty_tables(con, found.missing_optional)
    return Landed(con, run_gate(con, "B", today=TODAY), read)


@pytest.fixture
def landing(tmp_path) -> Path:
    dest = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "minimal", dest)
    return dest


@pytest.fixture
def gate(landing, tmp_path):
    opened = []

    def run() -> Landed:
        out = land(landing, tmp_path / "wh.duckdb")
        opened.append(out.con)
        out.assert_nothing_lost()
        return out

    yield run
    for con in opened:
        con.close()


def stopped(landing: Path, tmp_path: Path, error=GateError) -> str:
    with pytest.raises(error) as exc:
        land(landing, tmp_path / "wh.duckdb").con.close()
    return str(exc.value)


# --- clean input -----------------------------------------------------------------------------

def test_clean_minimal_scenario_passes_with_nothing_quarantined(gate):
    out = gate()
    assert out.result.quarantined == 0 and out.result.rows_checked == 12


def test_clean_generated_dataset_passes_with_zero_quarantined(tmp_path):
    from flows.generate import generate

    gen = tmp_path / "gen"
    generate(gen, tmp_path / "truth", accounts=40, seed=3, as_of=TODAY, months=3)
    out = land(gen, tmp_path / "wh.duckdb")
    out.assert_nothing_lost()
    assert out.result.rows_checked == sum(out.read.values()) > 1000
    assert out.result.quarantined == 0, {t: v.by_rule for t, v in out.result.tables.items()}
    assert not [n for v in out.result.tables.values() for n in v.notes]
    out.con.close()


# --- wrong types, enums, ranges: quarantined with rule and reason ------------------------------

@pytest.mark.parametrize("old,new,rule,reason", [
    ("120000.00,USD,200", "12O000.00,USD,200", "subscriptions.amount:type", "amount must be a decimal (got '12O000.00')"),
    (",USD,20,", ",USD,twenty,", "subscriptions.seats:type", "seats must be an integer (got 'twenty')"),
    ("2025-05-20,,2026-05-20", "2025-02-30,,2026-05-20", "subscriptions.start_date:type", "got '2025-02-30'"),
    ("1500.00,USD", "-1500.00,USD", "subscriptions.amount:range", "amount must be between 0 and 100000000 (got '-1500.00')"),
    ("1500.00,USD", "900000000000.00,USD", "subscriptions.amount:range", "got '900000000000.00'"),
    (",USD,10,", ",USD,-3,", "subscriptions.seats:range", "seats must be between 0 and 1000000 (got '-3')"),
    ("2025-04-01,,2026-04-01", "1989-12-31,,2026-04-01", "subscriptions.start_date:range", "got '1989-12-31'"),
    ("2025-04-01,,2026-04-01", "2025-04-01,2024-01-01,2026-04-01", "subscriptions.end_date:order",
     "end_date must not be before start_date (got '2024-01-01')"),
    ("year,1500.00", "yearly,1500.00", "subscriptions.billing_interval:allowed", "must be one of month, year (got 'yearly')"),
    (",active,\nS3", ",    ,\nS3", "subscriptions.status:not_null", "status a value is required (got (empty))"),
    # dates no rule bounded before: a 9999 placeholder or a typo centuries ahead would sit in every window
    ("2024-04-01,,2027-04-01", "2024-04-01,,9999-12-31", "subscriptions.renewal_date:range",
     "renewal_date must be between 1990-01-01 and 2056-06-28 (got '9999-12-31')"),
    # text a cast accepts: a currency that is no three-letter code, an id carrying a control character
    ("120000.00,USD,200", "120000.00,EU,200", "subscriptions.currency:pattern",
     "currency must be a three-letter currency code such as USD (got 'EU')"),
    ("S1,A1,enterprise", "S1\x00,A1,enterprise", "subscriptions.subscription_id:pattern",
     "must be an id without control characters or leading/trailing spaces"),
])
def test_bad_subscription_value_is_quarantined_with_rule_and_reason(gate, landing, old, new, rule, reason):
    edit(landing, SUBS, old, new)
    out = gate()
    [(file, row, got_rule, got_reason)] = out.quarantined("subscriptions")
    assert (file, got_rule) == (SUBS, rule) and reason in got_reason
    assert out.result.tables["subscriptions"].quarantined == 1
    assert f"{SUBS} row {row}" in out.result.tables["subscriptions"].examples[rule]


@pytest.mark.parametrize("seats, ok", [("2.5", False), ("10.0", True), ("1e3", True), ("9e30", False)])
def test_fractional_seats_are_quarantined_not_rounded(gate, landing, seats, ok):
    edit(landing, SUBS, ",USD,10,", f",USD,{seats},")
    out = gate()
    if ok:
        assert out.result.quarantined == 0
        return
    [(_, row, rule, reason)] = out.quarantined("subscriptions")
    assert row == 2 and "subscriptions.seats:type" in rule  # 9e30 is out of range too
    assert f"seats must be an integer (got '{seats}')" in reason


def test_lower_case_currency_loads_and_reads_as_its_code(gate, landing):
    """Stripe writes `usd`: a code in either case is the same currency (staging upper-cases it)."""
    edit(landing, SUBS, "120000.00,USD,200", "120000.00,usd,200")
    assert gate().result.quarantined == 0


def test_short_row_is_named_as_cut_short(landing, tmp_path):
    edit(landing, SUBS, "S3,A3,growth,year,8400.00", "S3,A3,growth")
    msg = stopped(landing, tmp_path, LandingError)
    assert "row 3 (line 4) has 10 fields but the header has 12: a row cut short" in msg


def test_seats_zero_is_legitimate_for_add_on_plans_and_loads(gate, landing):
    edit(landing, SUBS, ",USD,10,", ",USD,0,")
    out = gate()
    assert out.result.quarantined == 0
    assert out.raw("select seats from raw.subscriptions where subscription_id = 'S2'") == [("0",)]


def test_bad_account_is_quarantined_and_its_subscriptions_follow_it(gate, landing):
    edit(landing, ACCOUNTS, "A3,Gamma GmbH,mid_market", "A3,Gamma GmbH,tiny")
    out = gate()
    assert [(r[1], r[2]) for r in out.quarantined("accounts")] == [(3, "accounts.segment:allowed")]
    assert out.quarantined("subscriptions") == [(SUBS, 3, "subscriptions.account_id:reference",
                                                 "account_id must exist in accounts.account_id (got 'A3')")]


def test_account_created_in_the_future_is_quarantined(gate, landing):
    edit(landing, ACCOUNTS, "2024-01-10 09:00:00", "2031-01-10 09:00:00")
    out = gate()
    assert out.quarantined("accounts")[0][2:] == (
        "accounts.created_at:range", "created_at must be between 1990-01-01 and 2026-06-30 (got '2031-01-10 09:00:00')")


def test_boolean_that_is_not_a_boolean_is_quarantined(gate, landing):
    edit(landing, "crm/team.csv", "csm,50,true\nU2", "csm,50,maybe\nU2")
    out = gate()
    assert out.quarantined("team")[0][1:3] == (1, "team.active:type")


# --- keys and references ----------------------------------------------------------------------

def test_duplicate_primary_keys_are_all_quarantined(gate, landing):
    edit(landing, SUBS, "S3,A3", "S2,A3")
    out = gate()
    assert [(r[1], r[2]) for r in out.quarantined("subscriptions")] == [
        (2, "subscriptions.subscription_id:unique"), (3, "subscriptions.subscription_id:unique")]


def test_subscription_for_unknown_account_is_quarantined(gate, landing):
    edit(landing, SUBS, "S5,A4", "S5,A9")
    out = gate()
    assert out.quarantined("subscriptions") == [(SUBS, 5, "subscriptions.account_id:reference",
                                                 "account_id must exist in accounts.account_id (got 'A9')")]


def test_usage_for_unknown_accounts_is_quarantined(gate, landing):
    usage(landing, [{"account_id": "A1"}, {"account_id": "A9"}, {"account_id": "A2"}])
    out = gate()
    assert out.quarantined("usage_events") == [(USAGE, 2, "usage_events.account_id:reference",
                                                "account_id must exist in accounts.account_id (got 'A9')")]
    assert out.raw("select count(*) from raw.usage_events") == [(2,)]


def test_missing_account_id_is_an_error_naming_file_row_column_rule_and_value(landing, tmp_path):
    edit(landing, ACCOUNTS, "A3,Gamma", ",Gamma")
    msg = stopped(landing, tmp_path)
    assert f"{ACCOUNTS} row 3 column account_id: rule accounts.account_id:not_null (error)" in msg
    assert "got (empty)" in msg and "before dbt" in msg


def test_header_only_required_table_stops_the_run(landing, tmp_path):
    f = landing / SUBS
    f.write_text(f.read_text().splitlines()[0] + "\n")
    msg = stopped(landing, tmp_path)
    assert "subscriptions.*:rows (error)" in msg and SUBS in msg


def test_header_only_optional_table_loads_zero_rows(gate, landing):
    (landing / "crm" / "touchpoints.csv").write_text("touchpoint_id,account_id,user_id,occurred_at,channel\n")
    out = gate()
    assert out.read["touchpoints"] == 0 and out.result.quarantined == 0


# --- schema drift ----------------------------------------------------------------------------

def test_extra_column_is_kept_and_reported(gate, landing):
    f = landing / ACCOUNTS
    lines = f.read_text().splitlines()
    f.write_text("\n".join([lines[0] + ",tier"] + [ln + ",gold" for ln in lines[1:]]) + "\n")
    out = gate()
    assert out.result.tables["accounts"].notes == ["extra column `tier` kept in raw.accounts (not in the contract)"]
    assert out.raw("select distinct tier from raw.accounts") == [("gold",)]


def test_missing_required_column_is_an_error(landing, tmp_path):
    f = landing / ACCOUNTS
    f.write_text("\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i != 2)
                           for ln in f.read_text().splitlines()) + "\n")
    msg = stopped(landing, tmp_path, LandingError)
    assert "accounts is missing required column(s) `segment`" in msg and "accounts.csv" in msg


def test_renamed_column_gets_a_did_you_mean_hint(landing, tmp_path):
    edit(landing, ACCOUNTS, "account_id,name", "acount_id,name")
    assert "`account_id` (did you mean `acount_id`?)" in stopped(landing, tmp_path, LandingError)


# --- encodings and CSV dialects --------------------------------------------------------------

def test_empty_file_is_named_as_empty(landing, tmp_path):
    (landing / ACCOUNTS).write_bytes(b"")
    assert "accounts.csv: the file is empty" in stopped(landing, tmp_path, LandingError)


def test_non_utf8_file_names_the_byte_and_offset(landing, tmp_path):
    f = landing / ACCOUNTS
    f.write_bytes(f.read_bytes().replace(b"Gamma GmbH", "Gämma GmbH".encode("latin-1")))
    msg = stopped(landing, tmp_path, LandingError)
    offset = f.read_bytes().index(b"\xe4")
    assert f"not UTF-8: byte 0xe4 at offset {offset:,} (line 4)" in msg


def test_unquoted_comma_inside_a_value_names_the_row(landing, tmp_path):
    edit(landing, SUBS, "S3,A3,growth,year,8400.00", "S3,A3,growth,year,8,400.00")
    msg = stopped(landing, tmp_path, LandingError)
    assert "row 3 (line 4) has 13 fields but the header has 12: an unquoted ',' inside a value?" in msg


def test_utf8_bom_is_ignored(gate, landing):
    f = landing / ACCOUNTS
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    out = gate()
    assert out.result.quarantined == 0 and out.read["accounts"] == 4


def test_mixed_line_endings_load_every_row(gate, landing):
    f = landing / ACCOUNTS
    lines = f.read_text().splitlines()
    f.write_bytes(("\r\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]) + "\r\n").encode())
    out = gate()
    assert out.read["accounts"] == 4 and out.result.quarantined == 0


def test_semicolon_delimited_csv_is_sniffed(gate, landing):
    f = landing / "crm" / "team.csv"
    f.write_text(f.read_text().replace(",", ";"))
    out = gate()
    assert out.read["team"] == 3 and out.raw("select role from raw.team where user_id = 'U9'") == [("csl",)]


def test_quoted_newline_stays_inside_the_value(gate, landing):
    edit(landing, ACCOUNTS, "Acme Corp", '"Acme\nCorp"')
    out = gate()
    assert out.raw("select name from raw.accounts where account_id = 'A1'") == [("Acme\nCorp",)]
    assert out.result.quarantined == 0


def test_one_megabyte_field_is_quarantined_with_a_shortened_example(gate, landing):
    edit(landing, ACCOUNTS, "Delta Ltd", "D" * 1_048_576)
    out = gate()
    [(_, row, rule, reason)] = out.quarantined("accounts")
    assert (row, rule) == (4, "accounts.name:max_length") and "(1,048,576 characters)" in reason
    assert len(reason) < 300


# --- text that is data, and text that is an attack ---------------------------------------------

def test_formula_looking_name_is_data_noted_and_neutralised_on_csv_not_quarantined(gate, landing):
    """Dangerous only when pasted into a spreadsheet: dropping the account would drop its revenue."""
    from flows.quality.contract_rules import neutralise_cell

    name = "=cmd|' /C calc'!A0"
    edit(landing, ACCOUNTS, "Delta Ltd", name)
    out = gate()
    assert out.result.quarantined == 0
    assert out.raw("select name from raw.accounts where account_id = 'A4'") == [(name,)]
    assert out.raw("select count(*) from raw.subscriptions where account_id = 'A4'") == [(2,)]
    assert out.result.tables["accounts"].notes == [
        "1 name value(s) look like spreadsheet formulas (first at row 4): kept as data, neutralised when written to CSV"]
    assert neutralise_cell(name) == "'" + name and neutralise_cell("Delta Ltd") == "Delta Ltd"


@pytest.mark.parametrize("name", ["<script>alert('x')</script> Inc", "Café ☕ 🚀 Ltd", "شركة الأمل", "Plus+Minus -Co"])
def test_html_emoji_and_rtl_names_are_data_and_pass_unchanged(gate, landing, name):
    edit(landing, ACCOUNTS, "Delta Ltd", name)
    out = gate()
    assert out.result.quarantined == 0
    assert out.raw("select name from raw.accounts where account_id = 'A4'") == [(name,)]


def test_timezone_suffixed_timestamps_are_normalised_to_utc(gate, landing):
    edit(landing, ACCOUNTS, "2024-01-10 09:00:00", "2024-01-10T09:00:00+02:00")
    edit(landing, ACCOUNTS, "2025-06-01 12:00:00", "2025-06-01T12:00:00Z")
    out = gate()
    got = dict(out.raw("select account_id, created_at from raw.accounts where account_id in ('A1', 'A2')"))
    assert got == {"A1": "2024-01-10 07:00:00", "A2": "2025-06-01 12:00:00"}
    assert out.result.tables["accounts"].notes == ["2 timestamp(s) with a zone suffix normalised to UTC"]


# --- Parquet ----------------------------------------------------------------------------------

def test_parquet_with_a_different_schema_quarantines_uncastable_values(gate, landing):
    usage(landing, table=pa.table({
        "event_id": ["1", "two"], "account_id": ["A1", "A2"], "user_id": ["u", "u"],
        "feature": ["f", "f"], "occurred_at": ["2026-06-01 10:00:00", "2026-06-01"], "quantity": ["1.5", "lots"],
    }))
    out = gate()
    [(_, row, rule, reason)] = out.quarantined("usage_events")
    # event ids are text (string ids such as U-3f2a are legitimate); only the quantity is wrong
    assert row == 2 and rule == "usage_events.quantity:type"
    assert "got 'lots'" in reason and "must be a double" in reason


def test_account_level_usage_with_string_event_ids_loads_every_row(gate, landing):
    usage(landing, table=pa.table({
        "event_id": ["U-3f2a", "U-00b1", "0007"], "account_id": ["A1", "A2", "A1"], "feature": ["f"] * 3,
        "occurred_at": pa.array([1780000000] * 3, pa.timestamp("s")), "quantity": [1.0, 2.0, 3.0]}))
    out = gate()
    assert out.result.quarantined == 0
    assert out.raw("select event_id, user_id from raw.usage_events order by event_id") == [
        ("0007", None), ("U-00b1", None), ("U-3f2a", None)]


def _partition(landing: Path, day: str, **extra) -> Path:
    path = landing / f"product/usage_events/day={day}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {"event_id": [f"{day}-1", f"{day}-2"], "account_id": ["A1", "A2"], "user_id": ["u1", "u2"],
            "feature": ["reports"] * 2, "occurred_at": pa.array([1780000000] * 2, pa.timestamp("s")),
            "quantity": [1.0, 2.0]}
    pq.write_table(pa.table({**cols, **extra}), path)
    return path


def test_later_usage_partition_with_an_extra_column_loads(landing, tmp_path):
    """New partitions load in one scan; the raw table must grow by every file's columns."""
    from flows.ingest.flow import load_table

    connect(tmp_path / "wh.duckdb").close()
    files = [_partition(landing, "2026-06-01"), _partition(landing, "2026-06-02", country=["DE", "FR"])]
    loaded = load_table(tmp_path / "wh.duckdb", landing, "usage_events", files, "B")
    assert loaded.rows_loaded == 4 and loaded.files_new == 2
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert con.execute("select count(*), count(country) from raw.usage_events").fetchone() == (4, 2)


def test_usage_partition_whose_column_changed_type_is_named(landing, tmp_path):
    from flows.ingest.flow import load_table

    connect(tmp_path / "wh.duckdb").close()
    files = [_partition(landing, "2026-06-01"), _partition(landing, "2026-06-02", quantity=["1", "lots"])]
    with pytest.raises(LandingError) as exc:
        load_table(tmp_path / "wh.duckdb", landing, "usage_events", files, "B")
    msg = str(exc.value)
    assert "day=2026-06-02.parquet: column `quantity` is VARCHAR in this file but DOUBLE" in msg
    assert "its type changed between files" in msg
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:  # nothing half-loaded
        assert con.execute("select count(*) from raw.usage_events").fetchone() == (0,)


def test_parquet_missing_a_column_is_an_error(landing, tmp_path):
    usage(landing, table=pa.table({"event_id": [1], "account_id": ["A1"], "user_id": ["u"],
                                   "feature": ["f"], "occurred": [1.0], "quantity": [1.0]}))
    assert "`occurred_at` (did you mean `occurred`?)" in stopped(landing, tmp_path, LandingError)


def test_truncated_parquet_is_named(landing, tmp_path):
    path = usage(landing, [{"account_id": "A1"}] * 50)
    path.write_bytes(path.read_bytes()[:-40])
    msg = stopped(landing, tmp_path, LandingError)
    assert "day=2026-06-01.parquet: cannot be read as PARQUET: not a complete Parquet file" in msg


# --- reruns ------------------------------------------------------------------------------------

def test_a_corrected_file_replaces_its_quarantined_rows(landing, tmp_path):
    edit(landing, SUBS, "S5,A4", "S5,A9")
    first = land(landing, tmp_path / "wh.duckdb")
    assert len(first.quarantined("subscriptions")) == 1
    first.con.close()
    edit(landing, SUBS, "S5,A9", "S5,A4")
    con = connect(tmp_path / "wh.duckdb")
    p = landing / SUBS
    load_file(con, "subscriptions", p, SUBS, content_hash(p), "B2")
    run_gate(con, "B2", today=TODAY)
    assert con.execute("select count(*) from quarantine.subscriptions").fetchone() == (0,)
    assert con.execute("select count(*) from raw.subscriptions").fetchone() == (5,)
    con.close()


def test_a_batch_with_nothing_new_keeps_the_last_data_docs(landing, tmp_path):
    """A rerun loads nothing: the gate checks 0 rows without building a GX context or new docs."""
    from flows.quality import suites

    docs = tmp_path / "quality" / "data_docs"
    con = connect(tmp_path / "wh.duckdb")
    for table, files in discover(landing).files.items():
        for p in files:
            load_file(con, table, p, p.relative_to(landing).as_posix(), content_hash(p), "B")
    first = run_gate(con, "B", today=TODAY, docs_dir=docs)
    index = docs.parent / "index.html"  # Steward's own page, beside GX's data docs
    assert first.rows_checked == 12 and first.docs == str(index) and index.exists()
    assert (docs / "index.html").exists()
    built_at = index.stat().st_mtime_ns
    suites._STATE["docs"] = None  # as in a fresh process: nothing bound to the docs folder yet
    again = run_gate(con, "B2", today=TODAY, docs_dir=docs)
    assert again.rows_checked == 0 and again.quarantined == 0
    assert again.docs == str(index) and index.stat().st_mtime_ns == built_at
    assert suites._STATE["docs"] is None  # use_docs_dir was never called
    assert run_gate(con, "B3", today=TODAY, docs_dir=tmp_path / "none" / "data_docs").docs is None
    con.close()
