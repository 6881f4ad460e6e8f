"""Source freshness (flows/quality/freshness.py): declared once in the dbt sources, judged at as_of."""

from datetime import date

import duckdb
import pytest

from flows.config import DBT_PROJECT_DIR
from flows.quality.freshness import declarations, describe, evaluate


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    c.execute("create schema raw")
    # usage up to 06-20, then one late row dated after every as_of below but the last
    c.execute("create table raw.usage_events as "
              "select (date '2026-06-01' + cast(i as integer))::timestamp + interval 9 hour as occurred_at "
              "from range(20) t(i) union all select timestamp '2026-07-05 10:00'")
    c.execute("create table raw.touchpoints (occurred_at varchar)")  # landed, but no rows
    c.execute("insert into raw.touchpoints select null where false")
    c.execute("create table raw.invoices as select date '2026-05-02' as issued_at")
    yield c
    c.close()


def by_table(results):
    return {f.declared.table: f for f in results}


def test_declarations_are_read_from_the_dbt_sources():
    decls = {d.table: d for d in declarations(DBT_PROJECT_DIR)}
    usage = decls["usage_events"]
    assert (usage.source, usage.schema, usage.field, usage.warn_days, usage.error_days) == \
        ("product", "raw", "occurred_at", 2, 7)
    assert decls["survey_responses"].error_days is None  # warn only
    # a business timestamp, never the ingest's wall clock; dimension tables have no age
    assert all(d.field != "_loaded_at" for d in decls.values())
    assert not {"accounts", "contacts", "team", "subscriptions"} & decls.keys()


@pytest.mark.parametrize("as_of, newest, age, status", [
    (date(2026, 6, 21), date(2026, 6, 20), 1, "fresh"),
    (date(2026, 6, 22), date(2026, 6, 20), 2, "fresh"),   # warn_after 2: warns only beyond 2 days
    (date(2026, 6, 23), date(2026, 6, 20), 3, "warn"),
    (date(2026, 6, 27), date(2026, 6, 20), 7, "warn"),
    (date(2026, 6, 28), date(2026, 6, 20), 8, "error"),
    (date(2026, 6, 10), date(2026, 6, 10), 0, "fresh"),  # a backfill: later rows do not exist yet
])
def test_usage_age_is_as_of_minus_the_newest_event_up_to_as_of(con, as_of, newest, age, status):
    reference, results = evaluate(con, declarations(DBT_PROJECT_DIR), as_of)
    usage = by_table(results)["usage_events"]
    assert reference == as_of
    assert (usage.newest, usage.age_days, usage.status) == (newest, age, status)


def test_empty_or_missing_tables_are_unknown_not_stale(con):
    results = by_table(evaluate(con, declarations(DBT_PROJECT_DIR), date(2026, 6, 21))[1])
    assert results["touchpoints"].status == "absent" and results["touchpoints"].age_days is None
    assert results["support_tickets"].status == "absent"  # never landed: no table at all
    assert "unknown, not stale" in describe(results["support_tickets"])
    # invoices: 05-02 is 50 days before 06-21: past warn (35), not error (62)
    assert (results["invoices"].age_days, results["invoices"].status) == (50, "warn")


def test_without_as_of_the_newest_day_in_the_data_is_the_reference(con):
    reference, results = evaluate(con, declarations(DBT_PROJECT_DIR))
    assert reference == date(2026, 7, 5)  # the late usage row
    assert by_table(results)["invoices"].age_days == (date(2026, 7, 5) - date(2026, 5, 2)).days
