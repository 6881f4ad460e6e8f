"""Identity resolution, reported: what dim_identity_crosswalk (dbt) matched, and what it could not.

Records of another system (a Stripe customer, a Segment workspace, a Zendesk organization) that match
no CRM account, or more than one, are never dropped or merged silently: the run summary counts them
with the rows they hold out of the marts, and `steward check` lists them with their candidates
(docs/identity.md).
"""

from __future__ import annotations

import duckdb

from flows.warehouse import apply_resources, open_reader

# the systems whose ids the crosswalk resolves (their tables: marts.fct_identity_held_out)
HELD_SYSTEMS = ("billing", "product", "support")
LIST_LIMIT = 20


def _has_crosswalk(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                            "and table_name = 'dim_identity_crosswalk'").fetchone()[0])


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Per system: matched / ambiguous / unmatched records and landed rows held out; plus the unresolved."""
    if not _has_crosswalk(con):
        return {}
    out: dict = {}
    for system in HELD_SYSTEMS:
        counts = dict(con.execute("select match_status, count(*) from marts.dim_identity_crosswalk where system = ? "
                                  "group by 1", [system]).fetchall())
        if not counts:  # no records of this system: the gate let only CRM account ids through
            continue
        # rows staging held out (unresolved ids): counted in dbt by the rule that drops them
        held = con.execute("select coalesce(sum(count_rows_held_out), 0) from marts.fct_identity_held_out "
                           "where system = ?", [system]).fetchone()[0]
        out[system] = {"matched": counts.get("matched", 0), "ambiguous": counts.get("ambiguous", 0),
                       "unmatched": counts.get("unmatched", 0), "rows_held_out": held}
    if out:
        out["unresolved"] = unresolved(con)
    return out


def unresolved(con: duckdb.DuckDBPyConnection) -> dict:
    """system -> {ambiguous: [...], unmatched: [...]}, for the report and `steward check --json`."""
    out: dict = {}
    rows = con.execute(
        "select system, source_id, source_name, match_status, match_rule, candidate_accounts "
        "from marts.dim_identity_crosswalk where match_status <> 'matched' order by system, source_id").fetchall()
    for system, sid, name, status, rule, cands in rows:
        entry = out.setdefault(system, {"ambiguous": [], "unmatched": []})
        if status == "ambiguous":
            entry["ambiguous"].append({"source_id": sid, "candidates": cands.split(", "), "rule": rule})
        else:
            entry["unmatched"].append({"source_id": sid, "name": name})
    for entry in out.values():
        for k in entry:
            entry[k] = entry[k][:LIST_LIMIT]
    return out


def lines(ident: dict) -> list[str]:
    """One line per system and one per unresolved record, for the run summary and check."""
    out = []
    for system, c in ident.items():
        if system == "unresolved":
            continue
        out.append(f"identity {system}: {c['matched']} matched, {c['ambiguous']} ambiguous, {c['unmatched']} "
                   f"unmatched; {c['rows_held_out']} row(s) held out of the marts until resolved")
    for system, entry in ident.get("unresolved", {}).items():
        for a in entry["ambiguous"]:
            out.append(f"  {system} {a['source_id']}: ambiguous by {a['rule']} between accounts "
                       f"{', '.join(a['candidates'])}; decide in identity_overrides.csv")
        for u in entry["unmatched"]:
            out.append(f"  {system} {u['source_id']} ({u['name'] or 'no name'}): no CRM account matches; "
                       f"add it to identity_overrides.csv or store its id on the CRM record")
    return out


def check_report(config, warehouse, today) -> dict:
    """For `steward check`: build the crosswalk and the held-out counts (and only them) in check's
    throwaway warehouse and report them.

    Costs one small dbt build, so it runs only when the landing has another system's records to match.
    """
    from datetime import date

    from flows.transform import run_dbt

    con = open_reader(warehouse)
    try:
        n = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in ("billing_customers", "product_accounts", "support_organizations", "identity_overrides"))
    finally:
        con.close()
    if not n:
        return {}
    paths = config.paths.model_copy(update={"workspace": warehouse.parent, "warehouse": warehouse})
    scratch = config.model_copy(update={"paths": paths})
    run_dbt(scratch, ["build", "--select", "+dim_identity_crosswalk +fct_identity_held_out",
                      "--indirect-selection", "cautious",
                      "--exclude-resource-type", "unit_test"],
            today or date.today())
    # dbt's in-process connection is read-write: the same configuration, and Steward's memory settings
    con = apply_resources(duckdb.connect(str(warehouse)), warehouse)
    try:
        return summary(con)
    finally:
        con.close()
