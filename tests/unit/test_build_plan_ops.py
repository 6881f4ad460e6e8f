"""Which ops sources changed since the last run (flows/build_plan.py): one hash per source."""

import json

import duckdb

from flows.build_plan import changed_ops_sources, ops_fingerprint, ops_fingerprints

SOURCES = {"ops.alerts": ("ops", "alerts"), "ops.tasks": ("ops", "tasks"), "product.usage_events": ("raw", "usage")}


def _con():
    con = duckdb.connect()
    con.execute("create schema ops")
    con.execute("create table ops.alerts as select 1 as id, 'open' as status")
    con.execute("create table ops.tasks as select 7 as id")
    return con


def test_only_the_changed_source_is_reported():
    con = _con()
    recorded = ops_fingerprint(con, SOURCES)
    assert changed_ops_sources(recorded, ops_fingerprints(con, SOURCES)) == []
    con.execute("update ops.alerts set status = 'resolved'")
    assert changed_ops_sources(recorded, ops_fingerprints(con, SOURCES)) == ["ops.alerts"]
    assert "product.usage_events" not in json.loads(recorded)  # raw sources are the ledger's business


def test_a_source_that_appears_or_disappears_counts_as_changed():
    con = _con()
    recorded = ops_fingerprint(con, SOURCES)
    con.execute("drop table ops.tasks")
    assert changed_ops_sources(recorded, ops_fingerprints(con, SOURCES)) == ["ops.tasks"]


def test_a_fingerprint_from_before_per_source_hashes_means_everything_changed():
    con = _con()
    assert changed_ops_sources("3f1c0d9e8a7b6c5d", ops_fingerprints(con, SOURCES)) == ["ops.alerts", "ops.tasks"]
