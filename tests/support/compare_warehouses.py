"""Compare two built Steward warehouses: a refactor must leave marts, ops rows and the outbox as they were.

    python -m tests.support.compare_warehouses BEFORE/warehouse.duckdb AFTER/warehouse.duckdb

Every base table in marts, actions, intermediate and ops is compared as a multiset of rows over the
columns both sides have, leaving out what differs between any two runs (load and send timestamps,
message and batch ids, random survey tokens; doubles to 9 decimals); outbox bodies are compared with tokens and signed
links masked. Tables or columns only one side has are listed. Exit status 1 when anything differs.
"""

from __future__ import annotations

import re
import sys

import duckdb

SCHEMAS = ("marts", "actions", "intermediate", "ops")
VOLATILE = re.compile(r"(_at|_id_at|token|batch_id|message_id|request_id|last_error|attempts|html_body|text_body|"
                      r"headers)$")
# run bookkeeping: different in every run by nature
SKIP = {"ops.dbt_builds", "ops.load_ledger", "ops.schema_migrations", "ops.runs", "ops.run_log",
        "ops.delivery_attempts"}
MASK = r"(t=|/a/|/s/|token=)[A-Za-z0-9_\-.~%]+"


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ? "
        "and table_type = 'BASE TABLE' and list_contains(?, table_schema)", [db, list(SCHEMAS)]).fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    return dict(con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position", [db, schema, name]).fetchall())


def _value(column: str, data_type: str) -> str:
    # floating-point sums depend on the order threads add them in: 1e-17 apart is the same number
    return f'round("{column}", 9)' if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'


def _differs(con, select_b: str, select_a: str) -> tuple[int, int]:
    only_b = con.execute(f"select count(*) from ({select_b} except all {select_a})").fetchone()[0]
    only_a = con.execute(f"select count(*) from ({select_a} except all {select_b})").fetchone()[0]
    return only_b, only_a


def compare(before: str, after: str) -> list[str]:
    con = duckdb.connect()
    con.execute(f"attach '{before}' as b (read_only)")
    con.execute(f"attach '{after}' as a (read_only)")
    tb, ta = _tables(con, "b"), _tables(con, "a")
    lines = [f"only before: {t}" for t in sorted(tb - ta)] + [f"only after: {t}" for t in sorted(ta - tb)]
    diffs = 0
    for t in sorted((tb & ta) - SKIP):
        cb, ca = _columns(con, "b", t), _columns(con, "a", t)
        if set(cb) ^ set(ca):
            lines.append(f"{t}: columns only before {sorted(set(cb) - set(ca))}, only after {sorted(set(ca) - set(cb))}")
        cols = ", ".join(_value(c, t_) for c, t_ in cb.items() if c in ca and not VOLATILE.search(c))
        only_b, only_a = _differs(con, f"select {cols} from b.{t}", f"select {cols} from a.{t}")
        if t == "ops.outbox":
            body = f"select idempotency_key, regexp_replace(text_body, '{MASK}', '\\1X', 'g') from {{}}.ops.outbox"
            ob, oa = _differs(con, body.format("b"), body.format("a"))
            only_b, only_a = only_b + ob, only_a + oa
        if only_b or only_a:
            diffs += 1
            lines.append(f"DIFF {t}: {only_b} row(s) only before, {only_a} only after")
    lines.append(f"{len((tb & ta) - SKIP) - diffs} table(s) the same, {diffs} differ")
    return lines


if __name__ == "__main__":
    out = compare(*sys.argv[1:3])
    print("\n".join(out))
    sys.exit(1 if any(line.startswith("DIFF") for line in out) else 0)
