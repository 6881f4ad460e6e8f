"""The gate's rules, derived from the landing contract: one Rule per (column, check).

Each rule names its engine: `gx` rules become expectations in the table's GX suite and run
on a pandas frame of the batch; `sql` rules run in DuckDB because they need the exact cast
dbt staging uses (type), other rows of the batch (unique) or other tables (reference, rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flows.ingest.contract import TABLES, Column, Table

EARLIEST = date(1990, 1, 1)  # no date or timestamp in any export is older than this
MAX_TEXT = 4096  # default length limit of a text value
LATEST_YEARS = 30  # no date in any export is further than this after the load date
ID_PATTERN = r"^(?!\s)[^\x00-\x1f\x7f]*(?<!\s)$"  # no control character, no space at either end
SQL_TYPES = {"integer": "bigint", "decimal": "decimal(18, 2)", "double": "double",
             "date": "date", "timestamp": "timestamp", "boolean": "boolean"}
# A value that a spreadsheet would execute: =cmd|..., =HYPERLINK(...), @SUM(...), +cmd|...
# Only dangerous when pasted into a spreadsheet: such text is data (a company may be called that),
# reported by the gate and neutralised when Steward writes CSV (neutralise_cell), never quarantined.
FORMULA = r"^\s*[=+\-@][A-Za-z_.]+\s*[(|!]"
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ' so it shows as text."""
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Rule:
    """One check of the contract, with the severity that decides quarantine or stop."""

    table: str
    column: str | None  # None for table-level rules
    check: str  # not_null | type | allowed | range | max_length | formula | order | unique | reference | rows
    severity: str
    engine: str  # gx | sql
    params: tuple = ()

    @property
    def id(self) -> str:
        return f"{self.table}.{self.column or '*'}:{self.check}"

    def describe(self) -> str:
        """The rule in words, used in messages and the report."""
        p = self.params
        words = {
            "not_null": lambda: "a value is required",
            "type": lambda: f"must be {'an' if str(p[0])[0] in 'aeiou' else 'a'} {p[0]}",
            "allowed": lambda: "must be one of " + ", ".join(map(str, p)),
            "range": lambda: _range_words(p),
            "max_length": lambda: f"at most {p[0]:,} characters",
            "formula": lambda: "must not look like a spreadsheet formula (CSV injection)",
            "pattern": lambda: f"must be {p[1]}",
            "order": lambda: f"must not be before {p[0]}",
            "unique": lambda: "the key must be unique within the batch",
            "reference": lambda: f"must exist in {p[0]}",
            "rows": lambda: "a required table must have at least one row",
        }
        return words[self.check]()


def _range_words(p: tuple) -> str:
    lo, hi = p[0], p[1]
    if lo is not None and hi is not None:
        return f"must be between {lo} and {hi}"
    return f"must be >= {lo}" if lo is not None else f"must be <= {hi}"


def _is_text(col: Column) -> bool:
    return col.dtype == "string" and not col.allowed


def column_rules(table: Table, col: Column, today: date) -> list[Rule]:
    """Every rule one contract column implies."""
    def rule(check, engine, *params):
        return Rule(table.name, col.name, check, col.severity, engine, tuple(params))

    out = []
    if not col.nullable:
        out.append(rule("not_null", "gx"))
    if col.dtype in SQL_TYPES:
        out.append(rule("type", "sql", col.dtype))
    if col.allowed:
        out.append(rule("allowed", "gx", *col.allowed))
    if col.min is not None or col.max is not None:
        out.append(rule("range", "gx", col.min, col.max))
    if col.dtype in ("date", "timestamp"):
        # an event that happened is not after the load date; no date is centuries away (9999-12-31
        # placeholders and typos such as 2206 would otherwise load and sit in every window)
        latest = today if col.not_future else today.replace(year=today.year + LATEST_YEARS, day=min(today.day, 28))
        out.append(rule("range", "gx", EARLIEST.isoformat(), latest.isoformat()))
    if col.not_before:
        out.append(rule("order", "gx", col.not_before))
    if col.dtype == "string":
        out.append(rule("max_length", "gx", col.max_length or MAX_TEXT))
    if col.pattern:
        out.append(rule("pattern", "gx", *col.pattern))
    elif col.dtype == "string" and (col.name == table.key or col.references):
        # an id with a control character or a stray space would join nothing and print badly: named,
        # not silently trimmed (warn: the row is quarantined with this reason, the run goes on)
        out.append(Rule(table.name, col.name, "pattern", "warn", "gx",
                        (ID_PATTERN, "an id without control characters or leading/trailing spaces")))
    if col.references and col.references.split(".")[0] in TABLES:
        out.append(rule("reference", "sql", col.references, *col.also_references))
    return out


def table_rules(table: Table, today: date) -> list[Rule]:
    """All rules of one landing table: per column, then the key and required-rows rules."""
    rules = [r for col in table.columns for r in column_rules(table, col, today)]
    rules.append(Rule(table.name, table.key, "unique", "warn", "sql"))
    if table.required:
        rules.append(Rule(table.name, None, "rows", "error", "sql"))
    return rules


def gate_order() -> list[str]:
    """Tables ordered so every referenced table is checked (and quarantined) before its users."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for col in TABLES[name].columns:
            for ref in (col.references, *col.also_references):
                target = (ref or "").split(".")[0]
                if target and target != name and target in TABLES:
                    visit(target)
        done.append(name)

    for name in TABLES:
        visit(name)
    return done
