"""The quality gate: validate a batch's raw rows, quarantine `warn` failures, stop on `error`.

Runs after ingest and before dbt. Nothing is dropped: every row the batch read is either still
in raw.<table> or moved to quarantine.<table> with its rule and reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from flows.ingest.contract import TABLES
from flows.ingest.load import META_COLUMNS
from flows.quality import suites
from flows.quality.contract_rules import FORMULA, SQL_TYPES, Rule, gate_order, table_rules

CHUNK_VECTORS = 500  # 500 x 2048 rows: about 1M rows per GX validation
TZ_SUFFIX = r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"


class GateError(Exception):
    """An `error` rule failed; the message names file, row, column, rule and a bad value."""


@dataclass(frozen=True)
class Failure:
    rule: Rule
    file: str
    row: int
    value: object


@dataclass
class TableVerdict:
    """What the gate found in one table's batch."""

    rows_checked: int = 0
    quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class GateResult:
    tables: dict[str, TableVerdict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    docs: str | None = None

    @property
    def rows_checked(self) -> int:
        return sum(t.rows_checked for t in self.tables.values())

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())


def show(value: object, limit: int = 60) -> str:
    """A bad value as it appears in messages: quoted, control characters visible, shortened."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "(empty)"
    text = repr(str(value))
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value)):,} characters)"


def where(f: Failure) -> str:
    return f"{f.file} row {f.row}" + (f" column {f.rule.column}" if f.rule.column else "")


def reason(f: Failure) -> str:
    return f"{f.rule.column or f.rule.table} {f.rule.describe()} (got {show(f.value)})"


def raw_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in table order (CSV columns land VARCHAR, Parquet ones typed)."""
    return dict(con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall())


def raw_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return list(raw_types(con, schema, table))


def normalise_timestamps(con, table: str, batch_id: str) -> int:
    """Rewrite timestamps with a zone suffix (Z, +02:00) as UTC; staging's cast would drop the zone."""
    n = 0
    text_columns = {c for c, t in raw_types(con, "raw", table).items() if t == "VARCHAR"}
    for col in TABLES[table].columns:
        if col.dtype != "timestamp" or col.name not in text_columns:
            continue  # Parquet timestamps land typed: no zone suffix to rewrite
        cond = f"_batch_id = ? and regexp_matches(\"{col.name}\", '{TZ_SUFFIX}')"
        count = con.execute(f"select count(*) from raw.{table} where {cond}", [batch_id]).fetchone()[0]
        if count:
            con.execute(
                f"update raw.{table} set \"{col.name}\" = coalesce(cast(try_cast(\"{col.name}\" as timestamptz) "
                f"at time zone 'UTC' as varchar), \"{col.name}\") where {cond}", [batch_id])
            n += count
    return n


def sql_failures(con, rule: Rule, batch_id: str) -> list[Failure]:
    """Rows of the batch breaking one DuckDB-engine rule."""
    t, c = rule.table, rule.column
    if rule.check == "rows":
        empty = con.execute(f"select count(*) = 0 from raw.{t}").fetchone()[0]
        files = [r[0] for r in con.execute(
            "select path from ops.load_ledger where table_name = ? and superseded_at is null", [t]).fetchall()]
        return [Failure(rule, ", ".join(files) or f"(no {t} file)", 0, "0 rows")] if empty else []
    if rule.check == "type":
        bad = f"try_cast(\"{c}\" as {SQL_TYPES[rule.params[0]]}) is null"
        if rule.params[0] == "integer":  # a cast rounds 2.5 to 3: a fraction is not an integer
            bad += f" or try_cast(\"{c}\" as double) <> try_cast(try_cast(\"{c}\" as double) as bigint)"
        sql = (f"select _source_file, _source_row, \"{c}\" from raw.{t} where _batch_id = ? "
               f"and \"{c}\" is not null and ({bad})")
    elif rule.check == "unique":
        sql = (f"select _source_file, _source_row, \"{c}\" from (select *, count(*) over (partition by \"{c}\") n "
               f"from raw.{t} where _batch_id = ? and \"{c}\" is not null) where n > 1")
    elif rule.check == "formula":
        sql = (f"select _source_file, _source_row, \"{c}\" from raw.{t} where _batch_id = ? "
               f"and regexp_matches(cast(\"{c}\" as varchar), ?)")
        return [Failure(rule, f, int(r), v) for f, r, v in con.execute(sql, [batch_id, FORMULA]).fetchall()]
    elif rule.check == "reference":
        target, key = rule.params[0].split(".")
        if not con.execute(f"select count(*) from raw.{target}").fetchone()[0]:
            return []  # the referenced optional table is absent: nothing to check against
        sql = (f"select _source_file, _source_row, \"{c}\" from raw.{t} r where _batch_id = ? and \"{c}\" is not null "
               f"and not exists (select 1 from raw.{target} x where x.\"{key}\" = r.\"{c}\")")
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
        for also in rule.params[1:]:  # another system's id, resolved onto an account by the crosswalk
            at, ak = also.split(".")
            if at in present:  # an optional table a folder may not have (e.g. gated without ingest)
                sql += f" and not exists (select 1 from raw.{at} y where y.\"{ak}\" = r.\"{c}\")"
    else:
        raise ValueError(rule.check)
    return [Failure(rule, f, int(r), v) for f, r, v in con.execute(sql, [batch_id]).fetchall()]


def gx_failures(con, table: str, rules: list[Rule], batch_id: str, today: date) -> list[Failure]:
    """Rows of the batch breaking the table's GX suite, read from DuckDB in ~1M-row frames."""
    suite = suites.suite_for(table, rules, today)
    if suite is None:
        return []
    hits = []  # (rule, rowid, value)
    cur = con.execute(suites.frame_sql(table, rules, raw_types(con, "raw", table)), [batch_id])
    while True:
        frame = cur.fetch_df_chunk(CHUNK_VECTORS)
        if frame.empty:
            break
        for rule, positions in suites.validate(suite, frame):
            rows = frame.iloc[positions]
            hits += [(rule, int(rid), v) for rid, v in zip(rows["_rid"], rows[rule.column])]
    if not hits:
        return []
    ids = sorted({h[1] for h in hits})
    where_ = dict((rid, (f, r)) for rid, f, r in con.execute(
        f"select rowid, _source_file, _source_row from raw.{table} where rowid in (select unnest(?))",
        [ids]).fetchall())
    return [Failure(rule, *where_[rid], value) for rule, rid, value in hits]


def extra_columns(con, table: str, batch_id: str) -> list[str]:
    """Columns outside the contract that this batch's files filled (kept in raw, reported)."""
    known = set(TABLES[table].column_names) | set(META_COLUMNS)
    extra = [c for c in raw_columns(con, "raw", table) if c not in known]
    # a hive partition key (product/usage_events/date=2026-01-01/...) is not drift
    return [c for c in extra if con.execute(
        f"select count(\"{c}\") from raw.{table} where _batch_id = ? "
        f"and _source_file not like '%/' || ? || '=%'", [batch_id, c]).fetchone()[0]]


def formula_notes(con, table: str, batch_id: str) -> list[str]:
    """Text that looks like a spreadsheet formula is kept (it is data) and said once per column."""
    notes = []
    for col in TABLES[table].columns:
        if col.dtype != "string" or col.allowed or col.name.endswith("_id"):
            continue
        hits = con.execute(f"select count(*), min(_source_row) from raw.{table} where _batch_id = ? "
                           f"and regexp_matches(cast(\"{col.name}\" as varchar), ?)", [batch_id, FORMULA]).fetchone()
        if hits[0]:
            notes.append(f"{hits[0]} {col.name} value(s) look like spreadsheet formulas (first at row {hits[1]}): "
                         "kept as data, neutralised when written to CSV")
    return notes


def quarantine(con, table: str, failures: list[Failure], batch_id: str) -> int:
    """Move failing rows from raw.<table> to quarantine.<table> with rule and reason; returns rows."""
    con.execute("create schema if not exists quarantine")
    con.execute(f"create table if not exists quarantine.{table} as select *, null::varchar as _rule, "
                f"null::varchar as _reason, null::timestamp as _quarantined_at from raw.{table} where false")
    have = set(raw_columns(con, "quarantine", table))
    for c in raw_columns(con, "raw", table):
        if c not in have:
            con.execute(f'alter table quarantine.{table} add column "{c}" varchar')
    frame = pd.DataFrame([(f.file, f.row, f.rule.id, reason(f)) for f in failures],
                         columns=["_source_file", "_source_row", "rule", "reason"])
    con.register("gate_failures", frame)
    con.execute("begin transaction")
    try:
        con.execute("create or replace temp table gate_moved as select _source_file, _source_row, "
                    "string_agg(distinct rule, '; ' order by rule) as _rule, string_agg(distinct reason, '; ' order by reason) as _reason "
                    "from gate_failures group by all")
        con.execute(f"insert into quarantine.{table} by name select r.*, m._rule, m._reason, now()::timestamp "
                    f"as _quarantined_at from raw.{table} r join gate_moved m using (_source_file, _source_row) "
                    f"where r._batch_id = ?", [batch_id])
        moved = con.execute("select count(*) from gate_moved").fetchone()[0]
        con.execute(f"delete from raw.{table} r where _batch_id = ? and exists (select 1 from gate_moved m "
                    f"where m._source_file = r._source_file and m._source_row = r._source_row)", [batch_id])
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    finally:
        con.unregister("gate_failures")
    return moved


def clear_quarantine(con, table: str, batch_id: str) -> None:
    """A reloaded file's earlier quarantined rows go: its new version is judged afresh."""
    if raw_columns(con, "quarantine", table):
        con.execute(f"delete from quarantine.{table} where _source_file in "
                    f"(select distinct _source_file from raw.{table} where _batch_id = ?)", [batch_id])


def error_message(table: str, errors: list[Failure]) -> str:
    """One readable line per failing error rule: where, what, the bad value, how many more."""
    lines = []
    for rule_id in dict.fromkeys(f.rule.id for f in errors):
        hits = [f for f in errors if f.rule.id == rule_id]
        first = hits[0]
        more = f"; {len(hits) - 1} more row(s): " + ", ".join(str(f.row) for f in hits[1:6]) if len(hits) > 1 else ""
        lines.append(f"{where(first)}: rule {rule_id} (error): {reason(first)}{more}")
    return f"quality gate stopped the run before dbt ({table}): " + " | ".join(lines)


def check_table(con, table: str, batch_id: str, today: date) -> TableVerdict:
    """Validate one table's batch; quarantine warn failures; raise GateError on error failures."""
    verdict = TableVerdict()
    verdict.rows_checked = con.execute(f"select count(*) from raw.{table} where _batch_id = ?",
                                       [batch_id]).fetchone()[0]
    fixed = normalise_timestamps(con, table, batch_id)
    if fixed:
        verdict.notes.append(f"{fixed} timestamp(s) with a zone suffix normalised to UTC")
    for c in extra_columns(con, table, batch_id):
        verdict.notes.append(f"extra column `{c}` kept in raw.{table} (not in the contract)")
    verdict.notes += formula_notes(con, table, batch_id)
    rules = table_rules(TABLES[table], today)
    failures = [f for r in rules if r.engine == "sql" for f in sql_failures(con, r, batch_id)]
    if verdict.rows_checked:
        failures += gx_failures(con, table, rules, batch_id, today)
    errors = [f for f in failures if f.rule.severity == "error"]
    if errors:
        raise GateError(error_message(table, errors))
    clear_quarantine(con, table, batch_id)
    for f in failures:
        verdict.by_rule[f.rule.id] = verdict.by_rule.get(f.rule.id, 0) + 1
        verdict.examples.setdefault(f.rule.id, f"{where(f)}: {reason(f)}")
    if failures:
        verdict.quarantined = quarantine(con, table, failures, batch_id)
    return verdict


def run_gate(con: duckdb.DuckDBPyConnection, batch_id: str, today: date | None = None,
             docs_dir: Path | None = None) -> GateResult:
    """Check every landed table's batch rows in dependency order (accounts first)."""
    started = time.perf_counter()
    today = today or date.today()
    present = set(r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'").fetchall())
    tables = [t for t in gate_order() if t in present]
    # A day with nothing new (a rerun) needs no GX context, which costs seconds to create, and the
    # data docs of the last batch with rows stay as they are.
    has_rows = any(con.execute(f"select exists (select 1 from raw.{t} where _batch_id = ?)", [batch_id]).fetchone()[0]
                   for t in tables)
    if has_rows:
        suites.use_docs_dir(docs_dir)
    # Steward's own page (flows/quality/page.py) beside GX's data docs, which need the internet
    index = docs_dir.parent / "index.html" if docs_dir else None
    result = GateResult(docs=str(index) if index and (has_rows or index.exists()) else None)
    for table in tables:
        result.tables[table] = check_table(con, table, batch_id, today)
    if has_rows:
        suites.build_docs()
        if index:
            from flows.quality import page

            page.write(result, batch_id, today, index)
    result.seconds = time.perf_counter() - started
    return result
