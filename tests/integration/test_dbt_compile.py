"""Every model compiles for both dbt targets (DuckDB and Spark) from the same SQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GENERATED_AS_OF, REPO
from tests.support.spark import java_or_skip

DBT = Path(sys.executable).with_name("dbt")
PROJECT = REPO / "dbt_project"


# The Spark compile starts a JVM and a Derby metastore (dbt asks the catalog for every schema):
# 60 s on an idle 2-core machine, a few minutes under load. It is part of the default suite (issue
# 25: compile for both targets); without Java it is skipped (java_or_skip), and .ci/run installs Java.
USAGE_DAY_MODELS = ("int_usage__user_feature_daily", "int_usage__user_daily", "int_usage__feature_day_loads",
                    "fct_usage_daily")
HEALTH_MODELS = ("int_health__account_days", "int_usage__account_daily", "int_health__signals_daily",
                 "int_health__component_scores_daily", "fct_account_health_daily")


@pytest.mark.parametrize("target", ["duckdb", "spark"])
def test_every_model_compiles(tmp_path, target):
    if target == "spark":
        java_or_skip()
    from flows.config import load_config
    from flows.transform import _dbt_env_flags, dbt_vars, profiles_dir

    cfg = load_config(overrides={"paths": {"workspace": str(tmp_path)}, "dbt": {"engine": target}}, environ={})
    out = tmp_path / "target"
    res = subprocess.run(
        [str(DBT), "compile", "--project-dir", str(PROJECT), "--profiles-dir", str(profiles_dir(cfg)),
         "--target-path", str(out), "--vars", json.dumps(dbt_vars(cfg, GENERATED_AS_OF)),
         "--select", "resource_type:model", *_dbt_env_flags(cfg)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    compiled = [p for p in (out / "compiled" / "steward" / "models").rglob("*.sql")
                if not any(part.endswith(".yml") for part in p.parts)]  # a model's data tests sit under its .yml
    models = list((PROJECT / "models").rglob("*.sql"))
    assert len(compiled) == len(models)
    # incremental on both engines, each with its own strategy (plain Parquet on Spark has no DELETE):
    # the usage models replace whole days (usage_date partitions on Spark), the health models
    # account x day rows (on Spark the table in one overwrite of computed + kept rows)
    nodes = {n["name"]: n["config"] for n in json.loads((out / "manifest.json").read_text())["nodes"].values()
             if n["resource_type"] == "model"}
    for names, on_spark in ((USAGE_DAY_MODELS, ["usage_date"]), (HEALTH_MODELS, None)):
        for name in names:
            got = nodes[name]
            want = ("insert_overwrite", on_spark) if target == "spark" else ("delete+insert", None)
            assert (got["materialized"], got["incremental_strategy"], got.get("partition_by")) == ("incremental", *want), \
                (name, got)
    text = "\n".join(p.read_text() for p in compiled).lower()
    if target == "spark":  # no DuckDB-only spelling survives into Spark SQL
        for duckdb_only in (" as varchar)", "string_agg(", "strftime(", "json_object("):
            assert duckdb_only not in text, duckdb_only
    shutil.rmtree(out, ignore_errors=True)
