"""Compare two Steward workspaces run on the same data: marts, ops rows, outbox and report pages.

Used to show a refactor changed nothing a user can see: run `steward demo --as-of D --workspace A`
on the old tree and `--workspace B` on the new one, then

    python scripts/compare_runs.py A B

Every table present in both warehouses (schemas marts, actions, ops, and the outbox) is compared
row for row over the columns both have (as multisets: order does not matter). Values that record
the wall clock of a run and not its result are masked: timestamp columns named like
`created_at`/`sent_at`/..., load-time watermarks (`_max_loaded_at`), the file transport's path,
random request ids and survey tokens, the `Date:` header, MIME boundaries. Doubles are compared to
nine decimals (DuckDB's parallel sums do not add in a fixed order). Signed links are compared by what they allow (action and subject), not by their
signature and expiry: the link secret is generated per workspace. The script prints what it masked,
tables and columns only one side has, and the first differing rows. Exit 0 when everything shared
is equal, 1 otherwise.
"""

from __future__ import annotations

import base64
import email
import json
import re
import sys
from pathlib import Path

import duckdb

SCHEMAS = ("marts", "actions", "ops")
# ops tables that describe the run itself (when, how long, which dbt invocation), not its result
RUN_METADATA = {"runs", "dbt_builds", "schema_migrations"}
WALL_CLOCK = re.compile(
    r"^(created|sent|loaded|superseded|started|finished|applied|notified|unconfirmed|held|"
    r"held_alerted|acted|acknowledged|updated|published)_at$"
)
RANDOM = {"request_id", "provider_message_id", "batch_id", "token"}  # token: a random survey secret
LINK = re.compile(r"/([a-z]+)/([A-Za-z0-9_-]{20,})\.[A-Za-z0-9_-]{20,}")
SURVEY_LINK = re.compile(r"/s/[A-Za-z0-9_-]{16,}")
DATE_HEADER = re.compile(r"^Date: .*$", re.M)
BOUNDARY = re.compile(r"=+\d{10,}==")


def _link_subject(m: re.Match) -> str:
    """A signed link stands for what it allows; its id, expiry and signature depend on the secret."""
    raw = m.group(2)
    try:
        claims = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return f"/{m.group(1)}/<{claims.get('p')}:{claims.get('s')}>"
    except ValueError:
        return f"/{m.group(1)}/<link>"


def normalise_text(text: str) -> str:
    text = BOUNDARY.sub("<boundary>", text)
    text = text.replace("=\n", "")  # quoted-printable soft breaks split links at random places
    text = LINK.sub(_link_subject, text)
    text = SURVEY_LINK.sub("/s/<token>", text)
    text = DATE_HEADER.sub("Date: <masked>", text)
    return BOUNDARY.sub("<boundary>", text)


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema in ('marts', 'actions', 'ops') "
        "order by table_schema, table_name, ordinal_position",
        [db],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        if schema == "ops" and table in RUN_METADATA:
            continue
        out.setdefault(f"{schema}.{table}", []).append((column, dtype))
    return out


def _masked(column: str, dtype: str, workspace_prefix: str) -> str | None:
    """The SQL expression compared for a column, or None when the column is masked."""
    if column in RANDOM or (WALL_CLOCK.match(column) and "TIMESTAMP" in dtype):
        return None
    if column.startswith("_") and "TIMESTAMP" in dtype:  # load-time watermarks such as _max_loaded_at
        return None
    q = f'"{column}"'
    if column == "provider_message_id" or dtype == "VARCHAR" and column.endswith("_path"):
        return f"replace({q}, '{workspace_prefix}', '<ws>')"
    if dtype in ("DOUBLE", "FLOAT"):
        # DuckDB sums doubles in parallel, in no fixed order: equal to 1e-9, like the Spark check
        return f"round({q}, 9)"
    if dtype in ("VARCHAR", "JSON"):
        return f"normalise(cast({q} as varchar))"
    return q


def _copy(con: duckdb.DuckDBPyConnection, workspace: Path, side: str,
          only: set[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Copy every compared relation into memory as <side>.<schema>__<table>.

    The warehouse's views name their catalog (`warehouse`), so each side is attached under that
    name in turn rather than both at once.
    """
    con.execute(f"attach '{workspace / 'warehouse.duckdb'}' as warehouse (read_only)")
    con.execute(f"create schema {side}")
    tables = {k: v for k, v in _tables(con, "warehouse").items() if only is None or k in only}
    for name in tables:
        schema, table = name.split(".")
        con.execute(f'create table {side}."{schema}__{table}" as select * from warehouse.{schema}."{table}"')
    con.execute("detach warehouse")
    return {k.replace(".", "__"): v for k, v in tables.items()}


def compare(a: Path, b: Path, show: int = 3, only: set[str] | None = None,
            folders: tuple[str, ...] = ("outbox", "reports")) -> int:
    """Exit status 0 when equal. `only` limits the tables ("ops.alerts", ...), `folders` the files."""
    con = duckdb.connect()
    con.create_function("normalise", lambda s: None if s is None else normalise_text(s), ["VARCHAR"], "VARCHAR")
    ta, tb = _copy(con, a, "a", only), _copy(con, b, "b", only)
    failures = 0
    masked_seen: set[str] = set()
    for name in sorted(set(ta) - set(tb)):
        print(f"only before: {name}")
    for name in sorted(set(tb) - set(ta)):
        print(f"only after:  {name}")
    for name in sorted(set(ta) & set(tb)):
        cols_a, cols_b = dict(ta[name]), dict(tb[name])
        for c in sorted(set(cols_a) ^ set(cols_b)):
            print(f"  {name}: column {c} only {'before' if c in cols_a else 'after'}")
        exprs_a, exprs_b = [], []
        for c in [c for c in cols_a if c in cols_b]:
            ea = _masked(c, cols_a[c], str(a))
            eb = _masked(c, cols_b[c], str(b))
            if ea is None or eb is None:
                masked_seen.add(c)
                continue
            exprs_a.append(f"{ea} as \"{c}\"")
            exprs_b.append(f"{eb} as \"{c}\"")
        qa = f"select {', '.join(exprs_a)} from a.\"{name}\""
        qb = f"select {', '.join(exprs_b)} from b.\"{name}\""
        n_a = con.execute(f"select count(*) from a.\"{name}\"").fetchone()[0]
        n_b = con.execute(f"select count(*) from b.\"{name}\"").fetchone()[0]
        only_a = con.execute(f"select count(*) from ({qa} except all {qb})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({qb} except all {qa})").fetchone()[0]
        if only_a or only_b or n_a != n_b:
            failures += 1
            print(f"DIFF {name}: {n_a} rows before, {n_b} after; {only_a} only before, {only_b} only after")
            for row in con.execute(f"{qa} except all {qb} limit {show}").fetchall():
                print(f"  - {str(row)[:300]}")
            for row in con.execute(f"{qb} except all {qa} limit {show}").fetchall():
                print(f"  + {str(row)[:300]}")
        else:
            print(f"same {name}: {n_a} rows")
    for folder in folders:
        failures += _compare_files(a, b, folder)
    print(f"masked columns: {', '.join(sorted(masked_seen))}")
    print("RESULT:", "equal" if not failures else f"{failures} difference(s)")
    return 1 if failures else 0


def _file_text(path: Path, workspace: Path) -> str:
    """A file's comparable text; an .eml is compared part by part, decoded (attachments are base64)."""
    raw = path.read_text(errors="replace")
    if path.suffix == ".eml":
        msg = email.message_from_string(raw)
        parts = [f"{k}: {v}" for k, v in msg.items() if k not in ("Date", "Content-Type")]
        for part in msg.walk():
            if not part.is_multipart():
                payload = part.get_payload(decode=True) or b""
                parts.append(f"--{part.get_content_type()} {part.get_filename()}\n"
                             + payload.decode("utf-8", errors="replace"))
        raw = "\n".join(parts)
    return normalise_text(raw).replace(str(workspace), "<ws>")


def _compare_files(a: Path, b: Path, folder: str) -> int:
    fa = {p.relative_to(a / folder): p for p in (a / folder).rglob("*") if p.is_file()}
    fb = {p.relative_to(b / folder): p for p in (b / folder).rglob("*") if p.is_file()}
    diffs = sorted(set(fa) ^ set(fb))
    for rel in sorted(set(fa) & set(fb)):
        if _file_text(fa[rel], a) != _file_text(fb[rel], b):
            diffs.append(rel)
    for rel in diffs[:10]:
        print(f"DIFF {folder}/{rel}")
    print(f"{'same' if not diffs else 'DIFF'} {folder}/: {len(fa)} files before, {len(fb)} after, "
          f"{len(diffs)} differing")
    return 1 if diffs else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/compare_runs.py BEFORE_WORKSPACE AFTER_WORKSPACE")
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
