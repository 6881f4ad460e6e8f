"""The gate's report: a rich table for the CLI and a plain dict for the run summary."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from flows.quality.gate import GateResult


def summary(result: GateResult) -> dict:
    """Rows checked and quarantined per table, for RunSummary and ops.runs."""
    return {
        "seconds": round(result.seconds, 2),
        "rows_checked": result.rows_checked,
        "quarantined": {t: v.quarantined for t, v in result.tables.items() if v.quarantined},
        "notes": [f"{t}: {n}" for t, v in result.tables.items() for n in v.notes],
        "docs": result.docs,
    }


def table(result: GateResult) -> Table:
    """One line per table with rows checked and quarantined, then one per failing rule."""
    t = Table(title=f"Quality gate ({result.rows_checked:,} rows checked in {result.seconds:.1f} s)")
    for col in ("table", "rows checked", "quarantined", "rule / note", "example"):
        t.add_column(col, overflow="fold")
    for name, v in result.tables.items():
        if not v.rows_checked and not v.notes:
            continue
        t.add_row(name, f"{v.rows_checked:,}", f"{v.quarantined:,}", "", "")
        for rule_id, n in v.by_rule.items():
            t.add_row("", "", f"{n:,}", escape(rule_id), escape(v.examples[rule_id]))
        for note in v.notes:
            t.add_row("", "", "", escape(note), "")
    return t
