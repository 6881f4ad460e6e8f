"""The account page's churn risk: the latest score and its drivers in words, or nothing before a model."""

from __future__ import annotations

import json

import duckdb

from flows.serve.queries import Reader


def test_latest_churn_score_with_drivers_and_none_before_a_model(tmp_path):
    path = tmp_path / "copy.duckdb"
    reader = Reader(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        assert reader._churn_risk(con, "A1") is None  # no model has scored: the page shows no risk at all
        con.execute("""create table marts.fct_churn_risk (account_id varchar, as_of date, churn_probability double,
                       churn_band varchar, churn_drivers varchar, expansion_probability double,
                       expansion_band varchar, model_version varchar)""")
        drivers = json.dumps([{"feature": "tickets_30d", "text": "ticket load in 30 days 9 ↑ churn risk"}])
        con.execute("insert into marts.fct_churn_risk values "
                    "('A1', '2026-11-01', 0.9, 'high', '[]', null, null, 'v1'), "
                    "('A1', '2026-11-08', 0.34, 'high', ?, 0.05, 'low', 'v2')", [drivers])
        risk = reader._churn_risk(con, "A1")
        assert reader._churn_risk(con, "B2") is None
    assert (risk["churn_probability"], risk["model_version"]) == (0.34, "v2")
    assert risk["drivers"] == ["ticket load in 30 days 9 ↑ churn risk"]
