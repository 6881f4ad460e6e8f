"""Prefect task around the gate, and `check_landing` for `steward check` (nothing is loaded)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from prefect import task

from flows import progress
from flows.config import Config
from flows.ingest import mapping
from flows.identity import check_report as identity_check
from flows.ingest.contract import configure
from flows.ingest.discover import Discovery, discover
from flows.ingest.ledger import content_hash
from flows.ingest.load import ensure_empty_tables, load_file
from flows.quality.availability import Profile, feature_warnings, profile
from flows.quality.freshness import declarations
from flows.quality.freshness import evaluate as evaluate_freshness
from flows.quality.freshness import reference_note as freshness_note
from flows.quality.gate import GateResult, run_gate
from flows.warehouse import connect, session


def docs_dir(config: Config) -> Path:
    return config.path("workspace") / "quality" / "data_docs"


@task(name="quality-gate")
def gate_task(config: Config, batch_id: str, as_of: date) -> GateResult:
    """Validate the batch just ingested; quarantines warn rows, raises GateError on error rules.

    "In the future" means after as_of plus `run.future_grace_days`, never after the wall clock,
    so replaying a past day judges its rows as that day's run did."""
    rep = progress.reporter()
    rep.stage("quality gate")
    latest = as_of + timedelta(days=config.run.future_grace_days)
    configure(config.enumerations.model_dump())
    with session(config.path("warehouse")) as con:
        result = run_gate(con, batch_id, today=latest, docs_dir=docs_dir(config))
        # configured features the data never shows, user-less usage: said once per run, not faked
        if "usage_events" in result.tables:
            result.tables["usage_events"].notes += feature_warnings(con, config)
    for name, v in result.tables.items():
        for rule_id, n in v.by_rule.items():
            rep.note(f"{rule_id}: {n:,} row(s) quarantined, e.g. {v.examples[rule_id]}")
        for note in v.notes:
            rep.note(f"{name}: {note}")
    docs = f"quality page: {result.docs}" if result.docs else "no quality page yet"
    rep.done(f"{result.rows_checked:,} rows checked, {result.quarantined:,} quarantined; {docs}")
    return result


@dataclass
class CheckResult:
    """What `steward check` found: the gate's verdict, the files it ignored, the data profile."""

    gate: GateResult
    found: Discovery
    profile: Profile | None = None
    identity: dict = field(default_factory=dict)  # crosswalk report (flows/identity.py), when there is one
    freshness: list = field(default_factory=list)  # flows/quality/freshness.py, one per declared table
    freshness_note: str = ""  # the day freshness was judged at, and why that day


def check_landing(landing: Path, docs: Path | None = None, today: date | None = None,
                  config: Config | None = None, as_of: date | None = None) -> GateResult | CheckResult:
    """Load a landing folder into a throwaway DuckDB file and gate it; the warehouse is untouched.

    With a config: its enumerations and `sources:` mappings apply, and the result also carries
    the ignored files and the data profile (what Steward can and cannot compute from this data).
    """
    if config is not None:
        configure(config.enumerations.model_dump())
        mapping.configure(config.sources)
    found = discover(landing, mapping.aliases() if config is not None else None)
    with tempfile.TemporaryDirectory(prefix="steward-check-") as tmp:
        con = connect(Path(tmp) / "check.duckdb")
        try:
            for table, files in found.files.items():
                for path in files:
                    load_file(con, table, path, path.relative_to(landing).as_posix(), content_hash(path), "check")
            ensure_empty_tables(con, found.missing_optional)
            gate = run_gate(con, "check", today=today, docs_dir=docs)
            if config is None:
                return gate
            result = CheckResult(gate, found, profile(con, config))
            reference, result.freshness = evaluate_freshness(con, declarations(config.dbt.project_dir), as_of)
            result.freshness_note = freshness_note(as_of, reference)
        finally:
            con.close()
        result.identity = identity_check(config, Path(tmp) / "check.duckdb", today)
        return result
