"""The synthetic generator: contract shape, integrity, determinism and planted truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.generate import GenerateResult, generate
from flows.ingest.contract import IDENTITY_COLUMNS, IDENTITY_TABLES, TABLES

AS_OF = dt.date(2025, 6, 30)
GENERATED = {n: t for n, t in TABLES.items() if n not in IDENTITY_TABLES}  # identity tables: vendor exports only
CSV_TABLES = [t for t in GENERATED if t != "usage_events"]
EVENTS = "product/usage_events/*/*.parquet"


def _csv(name: str) -> str:
    return f"{TABLES[name].system}/{name}.csv"


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path, GenerateResult]:
    """300 accounts over 6 months, written once for the module."""
    root = tmp_path_factory.mktemp("gen")
    result = generate(root / "landing", root / "truth", accounts=300, seed=3, as_of=AS_OF, months=6)
    return root / "landing", root / "truth", result


@pytest.fixture(scope="module")
def db(generated) -> duckdb.DuckDBPyConnection:
    """Every landing table and the truth loaded into an in-memory DuckDB."""
    landing, truth, _ = generated
    con = duckdb.connect()
    for name in CSV_TABLES:
        con.execute(f"create table {name} as select * from read_csv('{landing / _csv(name)}', header=true)")
    con.execute(f"create table usage_events as select * from read_parquet('{landing / EVENTS}')")
    con.execute(f"create table truth as select * from read_csv('{truth / 'accounts.csv'}', header=true)")
    return con


def _small(root: Path, seed: int = 5, rate: float | None = None) -> Path:
    generate(root / "landing", root / "truth", accounts=60, seed=seed, as_of=AS_OF, months=1,
             events_per_account_day=rate)
    return root / "landing"


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    first, again, other = _small(tmp_path / "a"), _small(tmp_path / "b"), _small(tmp_path / "c", seed=6)
    assert _hashes(first) == _hashes(again)
    assert _hashes(first)["crm/accounts.csv"] != _hashes(other)["crm/accounts.csv"]


def test_event_rate_changes_usage_only(tmp_path):
    base, busy = _hashes(_small(tmp_path / "a")), _hashes(_small(tmp_path / "b", rate=6.0))
    csvs = [k for k in base if k.endswith(".csv")]
    assert len(csvs) == len(CSV_TABLES)
    assert all(base[k] == busy[k] for k in csvs)
    assert any(base[k] != busy[k] for k in base if k.endswith(".parquet"))


def test_rerun_overwrites_and_drops_stale_partitions(tmp_path):
    landing = _small(tmp_path)
    generate(landing, tmp_path / "truth", accounts=60, seed=5, as_of=AS_OF - dt.timedelta(days=10), months=1)
    days = sorted(p.name for p in (landing / "product/usage_events").iterdir())
    assert days[0] == "date=2025-06-01" and days[-1] == "date=2025-06-20" and len(days) == 20


def test_every_table_has_exactly_the_contract_columns(generated):
    landing, _, result = generated
    for name in CSV_TABLES:
        header = (landing / _csv(name)).read_text().splitlines()[0]
        expected = [c for c in TABLES[name].column_names if c not in IDENTITY_COLUMNS.get(name, ())]
        assert header.split(",") == expected, name
        assert result.rows[name] > 0, name
    parts = list((landing / "product/usage_events").glob("date=*/part-0.parquet"))
    assert len(parts) == (AS_OF - dt.date(2025, 1, 1)).days + 1
    schema = pq.read_schema(parts[0])
    assert schema.names == TABLES["usage_events"].column_names
    assert [str(t) for t in schema.types] == ["int64", "string", "int64", "string", "timestamp[us]", "double"]


def test_keys_are_unique_and_references_resolve(db):
    for name, table in GENERATED.items():
        dupes = db.sql(f"select count(*) - count(distinct {table.key}) from {name}").fetchone()[0]
        assert dupes == 0, name
        for col in table.columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                orphans = db.sql(f"""select count(*) from {name} where {col.name} is not null
                    and {col.name}::varchar not in (select {ref_col} from {ref_table})""").fetchone()[0]
                assert orphans == 0, f"{name}.{col.name}"


def test_enums_and_ranges_follow_the_contract(db):
    for name, table in GENERATED.items():
        for col in table.columns:
            if col.allowed:
                values = {r[0] for r in db.sql(f"select distinct {col.name} from {name}").fetchall()}
                assert values <= set(col.allowed) | {None}, f"{name}.{col.name}: {values}"
            if col.min is not None or col.max is not None:
                lo, hi = db.sql(f"select min({col.name}), max({col.name}) from {name}").fetchone()
                assert col.min is None or lo is None or lo >= col.min, f"{name}.{col.name}"
                assert col.max is None or hi is None or hi <= col.max, f"{name}.{col.name}"


def test_nothing_is_dated_after_as_of_except_scheduled_fields(db):
    dated = {"accounts": ["created_at"], "contacts": ["left_at", "unsubscribed_at"],
             "touchpoints": ["occurred_at"], "tasks": ["completed_at"], "invoices": ["issued_at", "paid_at"],
             "subscriptions": ["start_date"], "support_tickets": ["opened_at", "closed_at"],
             "survey_responses": ["responded_at"], "usage_events": ["occurred_at"]}
    for name, cols in dated.items():
        for col in cols:
            latest = db.sql(f"select max({col})::date from {name}").fetchone()[0]
            assert latest is None or latest <= AS_OF, f"{name}.{col}"
    not_live = db.sql(f"""select count(*) from subscriptions
        where end_date > date '{AS_OF}' and status not in ('active', 'past_due')""").fetchone()[0]
    assert not_live == 0  # only a scheduled cancellation of a live row ends after as_of


def test_subscription_rows_are_coherent(db):
    bad = db.sql(f"""select count(*) filter (where end_date <= start_date),
        count(*) filter (where status = 'trialing' and amount <> 0),
        count(*) filter (where status in ('active', 'past_due') and renewal_date < date '{AS_OF}'),
        count(*) filter (where status = 'canceled' and renewal_date <> end_date),
        count(*) filter (where status = 'canceled' and end_date is null)
        from subscriptions""").fetchone()
    assert bad == (0, 0, 0, 0, 0)
    discounted = db.sql("select avg((coalesce(discount_pct, 0) > 0)::int) from subscriptions").fetchone()[0]
    assert 0.05 < discounted < 0.3


def test_usage_users_belong_to_their_account_and_fit_the_seats(db):
    bad = db.sql("""with seats as (select account_id, max(seats) seats from subscriptions group by all)
        select count(*) from usage_events e join seats using (account_id)
        where e.user_id // 100000 <> substr(e.account_id, 2)::int
           or e.user_id % 100000 > seats""").fetchone()[0]
    assert bad == 0
    assert db.sql("select count(distinct feature) from usage_events").fetchone()[0] == 10


def _mrr_movements(db) -> dict[str, int]:
    rows = db.sql(f"""
        with months as (select unnest(generate_series(
                (select date_trunc('month', min(start_date)) from subscriptions),
                date '{AS_OF}', interval 1 month))::date as m),
        snap as (select m, least(last_day(m), date '{AS_OF}') as d from months),
        mrr as (
            select a.account_id, snap.m, coalesce(sum(s.amount * (1 - coalesce(s.discount_pct, 0) / 100)
                / case when s.billing_interval = 'year' then 12 else 1 end), 0) as mrr
            from accounts a cross join snap
            left join subscriptions s on s.account_id = a.account_id and s.status <> 'trialing'
                and s.start_date <= snap.d and (s.end_date is null or s.end_date > snap.d)
            group by all),
        seq as (select *, lag(mrr, 1, 0) over w as prev,
                       coalesce(max(mrr) over (w rows between unbounded preceding and 1 preceding), 0) as ever
                from mrr window w as (partition by account_id order by m))
        select case when mrr > 0 and ever = 0 then 'new'
                    when mrr > 0 and prev = 0 then 'reactivation'
                    when mrr = 0 and prev > 0 then 'churn'
                    when mrr > prev + 0.005 then 'expansion'
                    when mrr < prev - 0.005 then 'contraction' end as kind, count(*)
        from seq where m >= date '2025-01-01' group by all""").fetchall()
    return {k: n for k, n in rows if k}


def test_every_mrr_movement_type_occurs(db):
    moves = _mrr_movements(db)
    assert set(moves) == {"new", "expansion", "contraction", "churn", "reactivation"}
    assert moves["new"] >= 50 and moves["expansion"] >= 10 and moves["churn"] >= 5
    assert moves["contraction"] >= 3 and moves["reactivation"] >= 1


def test_truth_matches_the_mrr_the_subscriptions_imply(db):
    moves = _mrr_movements(db)
    churners, back = db.sql("""select count(*) filter (where is_churner),
        count(reactivation_date) from truth""").fetchone()
    assert (moves["churn"], moves["reactivation"]) == (churners, back)
    off = db.sql(f"""with live as (
            select account_id, sum(amount * (1 - coalesce(discount_pct, 0) / 100)
                / case when billing_interval = 'year' then 12 else 1 end) as mrr
            from subscriptions where status in ('active', 'past_due') and start_date <= date '{AS_OF}'
            group by all)
        select count(*) from truth left join live using (account_id)
        where abs(coalesce(live.mrr, 0) - truth.mrr_as_of) > 0.01""").fetchone()[0]
    assert off == 0


def test_truth_churners_lose_every_subscription_after_having_mrr(db):
    churners = db.sql("select count(*) from truth where is_churner").fetchone()[0]
    assert churners >= 5
    covered = db.sql("""select count(*) from truth t join subscriptions s using (account_id)
        where t.is_churner and s.status <> 'trialing' and s.start_date <= t.churn_date
          and (s.end_date is null or s.end_date > t.churn_date)""").fetchone()[0]
    had_mrr = db.sql("""select count(distinct t.account_id)
        from truth t join subscriptions s using (account_id)
        where t.is_churner and s.amount > 0 and s.end_date = t.churn_date""").fetchone()[0]
    assert covered == 0 and had_mrr == churners
    early = db.sql("""select count(*) from truth
        where reactivation_date <= coalesce(churn_date, prior_churn_date)""").fetchone()[0]
    assert early == 0


def test_churner_usage_declines_before_churn(db):
    share = db.sql("""with w as (
            select t.account_id,
                   count(*) filter (where e.occurred_at::date >= t.churn_date - 30) as last30,
                   count(*) filter (where e.occurred_at::date < t.churn_date - 60
                                    and e.occurred_at::date >= t.churn_date - 90) as earlier30
            from truth t join usage_events e using (account_id)
            where t.is_churner and t.churn_date >= date '2025-04-01' and e.occurred_at::date < t.churn_date
              and t.first_paid_date < t.churn_date - 120
            group by all)
        select avg((last30 < earlier30)::int), count(*) from w""").fetchone()
    assert share[1] >= 3 and share[0] >= 0.8


def test_champion_lost_date_is_a_champion_leaving(db):
    mismatched = db.sql("""select count(*) from truth t where champion_lost_date is not null and not exists (
        select 1 from contacts c where c.account_id = t.account_id and c.is_champion
          and c.left_at::date = t.champion_lost_date)""").fetchone()[0]
    assert mismatched == 0
    assert db.sql("select count(*) from truth where champion_lost_date is not null").fetchone()[0] > 0


def test_feature_dip_removes_exactly_the_named_feature(db):
    rows = db.sql("""select t.account_id,
            count(*) filter (where e.feature = t.dip_feature and e.occurred_at::date >= t.dip_start_date),
            count(*) filter (where e.feature = t.dip_feature and e.occurred_at::date < t.dip_start_date)
        from truth t join usage_events e using (account_id)
        where t.has_feature_dip group by all""").fetchall()
    assert rows and all(after == 0 and before > 0 for _, after, before in rows)


def test_late_csm_misses_most_deadlines(generated, db):
    _, truth, _ = generated
    late_id = (truth / "late_csm.txt").read_text().strip()
    on_time = dict(db.sql("""select owner_id = $late, avg((completed_at <= due_at)::int) from tasks
        where due_at < $as_of group by all""", params={"late": late_id, "as_of": AS_OF}).fetchall())
    assert on_time[True] < 0.4 < 0.7 < on_time[False]


def test_truth_stays_out_of_landing_and_summarises_the_run(generated):
    landing, truth, result = generated
    assert not list(landing.rglob("late_csm.txt")) and not list(landing.rglob("summary.json"))
    summary = json.loads((truth / "summary.json").read_text())
    assert summary["params"]["seed"] == 3 and summary["rows"] == result.rows
    assert 0.005 < summary["monthly_logo_churn_rate"] < 0.03
    assert result.files == len(CSV_TABLES) + 181 + 3 and result.rows_per_second > 0
    with pytest.raises(ValueError, match="inside landing_dir"):
        generate(landing, landing / "truth", accounts=10, seed=1, as_of=AS_OF, months=1)


def test_hard_mode_hides_half_the_run_ups_and_leaves_standard_mode_alone(generated, tmp_path):
    """mode="hard": only about half of the churners slide visibly first (a decline start in the
    truth); the rest churn without warning. The standard mode's files do not change with the knob."""
    landing, _, _ = generated
    again = generate(tmp_path / "std" / "landing", tmp_path / "std" / "truth", accounts=300, seed=3, as_of=AS_OF,
                     months=6, mode="standard")
    assert again.rows == generated[2].rows
    assert _hashes(tmp_path / "std" / "landing") == _hashes(landing)
    counts = {}
    for mode in ("standard", "hard"):
        root = tmp_path / mode
        generate(root / "landing", root / "truth", accounts=1500, seed=8, as_of=AS_OF, months=12, mode=mode)
        t = duckdb.connect().execute(
            f"select count(*) filter (where is_churner), count(*) filter (where is_churner and decline_start_date is not null) "
            f"from read_csv('{root / 'truth' / 'accounts.csv'}', header=true)").fetchone()
        counts[mode] = t
    churners, visible = counts["standard"]
    assert churners > 40 and visible == churners
    churners, visible = counts["hard"]
    assert churners > 40 and 0.3 < visible / churners < 0.7, counts
    with pytest.raises(ValueError, match="mode must be one of standard, hard"):
        generate(tmp_path / "x" / "landing", tmp_path / "x" / "truth", accounts=5, seed=1, as_of=AS_OF, months=1,
                 mode="harder")
