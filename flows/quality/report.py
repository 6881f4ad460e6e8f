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
        "rules": [{"table": t, "rule": rule_id, "rows": n, "example": v.examples[rule_id]}
                  for t, v in result.tables.items() for rule_id, n in v.by_rule.items()],
        "notes": [f"{t}: {n}" for t, v in result.tables.items() for n in v.notes],
        "docs": result.docs,
    }


def table(result: GateResult) -> Table:
    """One line per table with rows checked and quarantined (the findings follow it, see findings())."""
    t = Table(title=f"Quality gate ({result.rows_checked:,} rows checked in {result.seconds:.1f} s)")
    t.add_column("table")
    t.add_column("rows checked", justify="right")
    t.add_column("quarantined", justify="right")
    for name, v in result.tables.items():
        if v.rows_checked or v.notes:
            t.add_row(name, f"{v.rows_checked:,}", f"{v.quarantined:,}")
    return t


def findings(result: GateResult) -> list[str]:
    """One line per failing rule (its count and first example) and per note, as rich markup.
    Lines rather than table cells, so a rule id is never folded on a narrow terminal."""
    lines = []
    for name, v in result.tables.items():
        for rule_id, n in v.by_rule.items():
            lines.append(f"  [bold]{escape(rule_id)}[/]: {n:,} row(s), e.g. {escape(v.examples[rule_id])}")
        for note in v.notes:
            lines.append(f"  note: {escape(name)}: {escape(note)}")
    return lines
