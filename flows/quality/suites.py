"""GX expectation suites generated from the contract rules, run on pandas frames of a batch.

GX 1.24 has no DuckDB datasource, so the gate reads the batch's raw rows into a frame and
validates it with GX's pandas datasource in one ephemeral context per process (creating a
context is slow; suites are cached per table and day).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pandas as pd

from flows.ingest.contract import TABLES
from flows.quality.contract_rules import FORMULA, Rule

INDEX = "_ix"  # the frame position GX reports for each unexpected row
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [INDEX],
                 "return_unexpected_index_query": False}
_STATE: dict = {"ctx": None, "defs": {}, "docs": None}


def _import_gx():
    """great_expectations, imported so that an installed pyspark cannot end the process.

    GX imports pyspark.sql.connect when pyspark is installed (the `spark` extra), and pyspark
    calls sys.exit(0) there ("Skipping doctests") when the main module has neither __spec__ nor
    __file__: `python -c`, pytest-xdist workers, embedded interpreters. The gate died that way.
    For the first import only, such a main module gets a placeholder __file__.
    """
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    main = sys.modules.get("__main__")
    bare = main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__")
    if bare:
        main.__file__ = "<steward>"
    try:
        import great_expectations as gx
    finally:
        if bare:
            del main.__file__
    return gx


def value_column(name: str) -> str:
    """The frame column holding a numeric or date column as a number (epoch seconds for dates)."""
    return f"{name}__v"


def _epoch(iso: str | None, end_of_day: bool = False) -> float | None:
    if iso is None:
        return None
    day = date.fromisoformat(iso) + timedelta(days=1 if end_of_day else 0)
    stamp = datetime.combine(day, time(), tzinfo=timezone.utc).timestamp()
    return stamp - 1 if end_of_day else stamp


def frame_sql(table: str, rules: list[Rule], raw_types: dict[str, str] | None = None) -> str:
    """SELECT producing the frame GX validates: trimmed text and numeric views of typed columns.

    Text rules need the text; a column already typed in raw (Parquet) whose rules are all
    type-free (not_null, range on its numeric view) is passed through, not turned into strings
    (at 10M events that conversion was the gate's biggest cost).
    """
    t = TABLES[table]
    cols = sorted({r.column for r in rules if r.engine == "gx"})
    text_rules = {r.column for r in rules if r.engine == "gx" and r.check in ("allowed", "max_length")}
    parts = ["rowid as _rid"]  # file and row are looked up only for failing rows
    for name in cols:
        typed = (raw_types or {}).get(name, "VARCHAR") != "VARCHAR"
        if typed and name not in text_rules:
            parts.append(f"\"{name}\"")  # numbers and timestamps stay numbers (NaN/NaT when missing)
        else:
            parts.append(f"nullif(trim(cast(\"{name}\" as varchar)), '') as \"{name}\"")
    numeric = {r.column for r in rules if r.check == "range"} | {r.column for r in rules if r.check == "order"}
    numeric |= {r.params[0] for r in rules if r.check == "order"}
    for name in sorted(numeric):
        dtype = t.column(name).dtype
        expr = (f"epoch(try_cast(\"{name}\" as timestamp))" if dtype in ("date", "timestamp")
                else f"try_cast(\"{name}\" as double)")
        parts.append(f"{expr}::double as \"{value_column(name)}\"")
    return f"select {', '.join(parts)} from raw.{table} where _batch_id = ?"


def expectation_for(rule: Rule):
    """The GX expectation checking one gx-engine rule; meta carries the rule id back."""
    gx = _import_gx()

    E, meta, col = gx.expectations, {"rule": rule.id}, rule.column
    if rule.check == "not_null":
        return E.ExpectColumnValuesToNotBeNull(column=col, meta=meta)
    if rule.check == "allowed":
        return E.ExpectColumnValuesToBeInSet(column=col, value_set=list(rule.params), meta=meta)
    if rule.check == "max_length":
        return E.ExpectColumnValueLengthsToBeBetween(column=col, max_value=rule.params[0], meta=meta)
    if rule.check == "pattern":
        return E.ExpectColumnValuesToMatchRegex(column=col, regex=rule.params[0], meta=meta)
    if rule.check == "formula":
        return E.ExpectColumnValuesToNotMatchRegex(column=col, regex=FORMULA, meta=meta)
    if rule.check == "order":
        return E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=value_column(col), column_B=value_column(rule.params[0]), or_equal=True,
            ignore_row_if="either_value_is_missing", meta=meta)
    lo, hi = rule.params
    if isinstance(lo, str) or isinstance(hi, str):
        lo, hi = _epoch(lo), _epoch(hi, end_of_day=True)
    return E.ExpectColumnValuesToBeBetween(column=value_column(col), min_value=lo, max_value=hi, meta=meta)


def context():
    """The process's ephemeral GX context, with a data docs site when docs_dir was set."""
    if _STATE["ctx"] is None:
        gx = _import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.WARNING)  # GX logs INFO lines on its own

        # GX fingerprints every pandas batch (md5 over pd.util.hash_pandas_object, ~1 s per 1M
        # rows: a quarter of the gate at 10M events). Our batches are identified by batch_id and
        # the fingerprint is never read, so the threshold below which GX hashes is set to 0.
        from great_expectations.execution_engine import pandas_execution_engine

        pandas_execution_engine.HASH_THRESHOLD = 0
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        _STATE["ctx"] = ctx
        _STATE["source"] = ctx.data_sources.add_pandas("steward_raw")
    return _STATE["ctx"]


def use_docs_dir(path: Path | None) -> None:
    """Write GX data docs (HTML) for the following validations into path."""
    ctx = context()
    if path is None or _STATE["docs"] == str(path):
        return
    name = "steward_gate"
    if name in (ctx.get_site_names() or []):
        ctx.delete_data_docs_site(name)
    ctx.add_data_docs_site(name, {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(path)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    _STATE["docs"] = str(path)


@dataclass
class Suite:
    """A table's suite bound to a checkpoint that validates one frame at a time."""

    definition: object
    checkpoint: object | None  # only when data docs are written (it stores the results)
    rules: dict[str, Rule]


def suite_for(table: str, rules: list[Rule], today: date) -> Suite | None:
    """The table's GX suite for this day's rules (cached), or None if it has no gx rules."""
    gx_rules = [r for r in rules if r.engine == "gx"]
    if not gx_rules:
        return None
    key = (table, today.isoformat(), _STATE["docs"])
    if key not in _STATE["defs"]:
        _STATE["defs"][key] = _build(table, gx_rules, f"{table}-{today.isoformat()}-{len(_STATE['defs'])}")
    return _STATE["defs"][key]


def _build(table: str, rules: list[Rule], name: str) -> Suite:
    gx = _import_gx()

    ctx = context()
    asset = _STATE["source"].add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("batch")
    suite = ctx.suites.add(gx.ExpectationSuite(name=name))
    for rule in rules:
        suite.add_expectation(expectation_for(rule))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    cp = None
    if _STATE["docs"]:  # the checkpoint stores results; build_docs() renders the site once per gate
        cp = ctx.checkpoints.add(gx.Checkpoint(
            name=name, validation_definitions=[vd], result_format=RESULT_FORMAT, actions=[]))
    return Suite(vd, cp, {r.id: r for r in rules})


def build_docs() -> None:
    """Render the data docs site from the stored validation results (once, not per table:
    GX compiles its page templates on every build, ~0.6 s each time)."""
    if _STATE["docs"]:
        context().build_data_docs(site_names=["steward_gate"])


def validate(suite: Suite, frame: pd.DataFrame) -> list[tuple[Rule, list[int]]]:
    """Run the suite on one frame; each failed rule with the frame positions that broke it."""
    frame = frame.reset_index(drop=True)
    frame[INDEX] = frame.index
    params = {"dataframe": frame}
    if suite.checkpoint is not None:
        runs = list(suite.checkpoint.run(batch_parameters=params).run_results.values())
    else:
        runs = [suite.definition.run(batch_parameters=params, result_format=RESULT_FORMAT)]
    out = []
    for run in runs:
        for res in run.results:
            if res.success:
                continue
            rule = suite.rules[res.expectation_config.meta["rule"]]
            rows = [int(item[INDEX]) for item in res.result.get("unexpected_index_list") or []]
            out.append((rule, rows))
    return out
