"""Source freshness, judged against as_of (the only clock), never against the wall clock.

The declarations live once, in the dbt sources (`config: loaded_at_field / freshness`, see
dbt_project/models/staging/product/_product__sources.yml). A table's age is as_of minus the newest
value of its loaded_at_field on or before as_of, in whole days: a business timestamp the data
carries (occurred_at, issued_at...), so a backfill of a past as_of judges the data as it stood
then. `_loaded_at` is deliberately not used: it is the wall-clock time of the ingest.
A table with no rows up to as_of is `absent` (unknown is not zero): not fresh, not stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import yaml

PERIOD_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}


@dataclass(frozen=True)
class Declared:
    source: str
    table: str
    schema: str
    field: str
    warn_days: float | None
    error_days: float | None


@dataclass(frozen=True)
class Freshness:
    declared: Declared
    newest: date | None  # newest day of loaded_at_field on or before the reference day
    age_days: int | None
    status: str  # fresh | warn | error | absent

    def as_dict(self) -> dict:
        d = self.declared
        return {"source": d.source, "table": d.table, "field": d.field, "warn_after_days": d.warn_days,
                "error_after_days": d.error_days, "newest": self.newest.isoformat() if self.newest else None,
                "age_days": self.age_days, "status": self.status}


def _days(after: dict | None) -> float | None:
    if not after or after.get("count") is None:
        return None
    return after["count"] * PERIOD_DAYS[after.get("period", "day")]


def _merged(outer: dict, inner: dict) -> dict:
    """dbt's precedence: table config over table properties over the source's."""
    out = {}
    for level in outer, outer.get("config") or {}, inner, inner.get("config") or {}:
        for key in ("loaded_at_field", "freshness"):
            if key in level:
                out[key] = level[key]
    return out


def declarations(project_dir: Path) -> list[Declared]:
    """Every source table that declares freshness (warn_after or error_after) and a loaded_at_field."""
    out = []
    for path in sorted((project_dir / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for src in doc.get("sources") or []:
            for tbl in src.get("tables") or []:
                cfg = _merged(src, tbl)
                fresh = cfg.get("freshness") or {}
                warn, error = _days(fresh.get("warn_after")), _days(fresh.get("error_after"))
                if cfg.get("loaded_at_field") and (warn is not None or error is not None):
                    out.append(Declared(src["name"], tbl["name"], src.get("schema", src["name"]),
                                        cfg["loaded_at_field"], warn, error))
    return out


def _newest(con, d: Declared, as_of: date | None) -> date | None:
    where = f"where try_cast(\"{d.field}\" as date) <= ?" if as_of else ""
    try:
        row = con.execute(f"select max(try_cast(\"{d.field}\" as date)) from {d.schema}.\"{d.table}\" {where}",
                          [as_of] if as_of else []).fetchone()
    except duckdb.CatalogException:  # an optional table that was never landed
        return None
    return row[0] if row else None


def evaluate(con, decls: list[Declared], as_of: date | None = None) -> tuple[date | None, list[Freshness]]:
    """Judge each declared table at `as_of`. Without an as_of (a landing checked before any run), the
    reference day is the newest day across the declared tables: which tables lag behind the rest.
    Returns the reference day and one Freshness per declaration."""
    newest = {d: _newest(con, d, as_of) for d in decls}
    reference = as_of or max((n for n in newest.values() if n), default=None)
    out = []
    for d in decls:
        n = newest[d]
        if n is None or reference is None:
            out.append(Freshness(d, None, None, "absent"))
            continue
        age = (reference - n).days
        status = ("error" if d.error_days is not None and age > d.error_days
                  else "warn" if d.warn_days is not None and age > d.warn_days else "fresh")
        out.append(Freshness(d, n, age, status))
    return reference, out


def describe(f: Freshness) -> str:
    """One line per table, e.g. `usage_events: newest occurred_at 2026-06-20, 10 days old (warn >2, error >7)`."""
    d = f.declared
    limits = ", ".join(f"{k} >{v:g}" for k, v in (("warn", d.warn_days), ("error", d.error_days)) if v is not None)
    if f.status == "absent":
        return f"{d.table}: no {d.field} up to the reference day: unknown, not stale ({limits})"
    return f"{d.table}: newest {d.field} {f.newest}, {f.age_days} days old ({limits})"


def reference_note(as_of: date | None, reference: date | None) -> str:
    if as_of is not None:
        return f"freshness as of {as_of} (the run's as_of, not today's date)"
    if reference is None:
        return "freshness: no dated rows in any declared table"
    return f"freshness against the newest day in the data, {reference} (pass --as-of to judge at a run's as_of)"

