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
# 60 s on an idle 2-core machine, over 3 minutes under load, so it is marked `spark` and .ci/run
# runs it in its own step (`pytest -m spark`) rather than in the default suite.
@pytest.mark.parametrize("target", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
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
    text = "\n".join(p.read_text() for p in compiled).lower()
    if target == "spark":  # no DuckDB-only spelling survives into Spark SQL
        for duckdb_only in (" as varchar)", "string_agg(", "strftime(", "json_object("):
            assert duckdb_only not in text, duckdb_only
    shutil.rmtree(out, ignore_errors=True)


def test_spark_target_parses_in_the_default_suite(tmp_path):
    """Without a JVM: `dbt parse` with the spark profile renders every model's Jinja for the spark
    adapter (refs, configs, dispatch macros); the full compile above is in .ci/run's Spark step."""
    from flows.config import load_config
    from flows.transform import _dbt_env_flags, dbt_vars, profiles_dir

    cfg = load_config(overrides={"paths": {"workspace": str(tmp_path)}, "dbt": {"engine": "spark"}}, environ={})
    out = tmp_path / "target"
    res = subprocess.run(
        [str(DBT), "parse", "--project-dir", str(PROJECT), "--profiles-dir", str(profiles_dir(cfg)),
         "--target-path", str(out), "--vars", json.dumps(dbt_vars(cfg, GENERATED_AS_OF)), *_dbt_env_flags(cfg)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "spark"
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) == len(list((PROJECT / "models").rglob("*.sql")))
    assert not (tmp_path / "spark" / "metastore_db").exists()  # no Spark session was started
