"""`steward check`: the onboarding tool. Gate a landing folder without loading it, list what was
ignored and why, show the mappings applied, and profile what Steward can compute from the data."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.config import Config
from flows.ingest import mapping
from flows.ingest.contract import IDENTITY_TABLES


def _profile_tables(check) -> list[Table]:
    p = check.profile
    t = Table(title="Data profile: tables")
    for col in ("table", "rows", "from", "to", "mapping"):
        t.add_column(col, justify="right" if col == "rows" else "left")
    for name, info in p.tables.items():
        t.add_row(name, f"{info['rows']:,}" if info["rows"] else "[dim]absent[/]", info["first"] or "",
                  info["last"] or "", "sources." + name if name in mapping.MAPPINGS else "")
    s = Table(title="Signals: accounts with data")
    s.add_column("signal")
    s.add_column("accounts", justify="right")
    for name, info in p.signals.items():
        s.add_row(name, f"{info['accounts_with_data']:,} of {info['accounts']:,}")
    h = Table(title="Health components and alert rules")
    h.add_column("component / rule")
    h.add_column("state")
    for name, state in list(p.components.items()) + [(f"alert {k}", v) for k, v in p.alert_rules.items()]:
        h.add_row(name, ("[green]" if state == "active" else "[yellow]") + escape(state) + "[/]")
    f = Table(title="Configured features")
    f.add_column("feature")
    f.add_column("in usage_events")
    for name, seen in p.features.items():
        f.add_row(name, "seen" if seen else "[yellow]never seen[/]")
    return [t, s, h, f]


def as_json(check) -> dict:
    gate = check.gate
    return {
        "passes": not gate.quarantined,
        "rows_checked": gate.rows_checked,
        "quarantined": {t: v.quarantined for t, v in gate.tables.items() if v.quarantined},
        "rules": [{"table": t, "rule": r, "rows": n, "example": v.examples[r]}
                  for t, v in gate.tables.items() for r, n in v.by_rule.items()],
        "notes": [f"{t}: {n}" for t, v in gate.tables.items() for n in v.notes],
        "ignored_files": [{"file": str(p), "hint": h} for p, h in check.found.unknown],
        "missing_tables": check.found.missing_optional,
        "mappings": {t: mapping.describe(t) for t in mapping.MAPPINGS},
        "profile": check.profile.as_dict(),
        "freshness": {"note": check.freshness_note, "tables": [f.as_dict() for f in check.freshness]},
        "identity": {system: {"counts": c, **check.identity["unresolved"].get(system, {"ambiguous": [], "unmatched": []})}
                     for system, c in check.identity.items() if system != "unresolved"},
    }


def _print_freshness(console: Console, check) -> None:
    """Source freshness against as_of (flows/quality/freshness.py); informational, never the exit code."""
    from flows.quality.freshness import describe

    if not check.freshness:
        return
    console.print(escape(check.freshness_note))
    colour = {"fresh": "green", "warn": "yellow", "error": "red", "absent": "dim"}
    for f in check.freshness:
        console.print(f"  [{colour[f.status]}]{f.status}[/] {escape(describe(f))}")


def report(console: Console, check, landing: Path, cfg: Config, as_json_out: bool) -> int:
    """Print the check (human or JSON); returns the exit code (1 when rows would be quarantined)."""
    from flows.quality.report import findings, table

    if as_json_out:
        print(json.dumps(as_json(check), indent=2, default=str))
        return 1 if check.gate.quarantined else 0
    console.print(table(check.gate))
    for line in findings(check.gate):
        console.print(line)
    for path, hint in check.found.unknown:
        console.print(f"  [yellow]ignored[/] {escape(str(path.relative_to(landing)))}: {escape(hint)}")
    for name in check.found.missing_optional:
        if name not in IDENTITY_TABLES:  # absent unless ids differ across systems: nothing is skipped
            console.print(f"  [dim]no {name}: features that need it are skipped[/]")
    for name in mapping.MAPPINGS:
        console.print(f"  mapping sources.{name}: " + escape("; ".join(mapping.describe(name))))
    for t in _profile_tables(check):
        console.print(t)
    from flows.identity import lines as identity_lines

    for line in identity_lines(check.identity):
        console.print(("  [yellow]![/] " if line.startswith("  ") else "  ") + escape(line.strip()))
    for w in check.profile.warnings:
        console.print(f"  [yellow]![/] {escape(w)}")
    _print_freshness(console, check)
    console.print(f"quality page: {check.gate.docs}")
    if check.gate.quarantined:
        console.print(f"[yellow]![/] {check.gate.quarantined:,} row(s) would be quarantined")
        return 1
    extra = f"; {len(check.found.unknown)} file(s) ignored (see above)" if check.found.unknown else ""
    console.print(f"[green]✓[/] landing folder passes the quality gate{extra}")
    return 0
