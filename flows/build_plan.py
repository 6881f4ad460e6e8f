"""Which dbt models a daily run must build: what changed since the last build, and why.

A model is rebuilt when something it is computed from changed since the previous run's build:
- a raw source received rows (the load ledger has a load or a supersession since that build);
- an ops source dbt reads back (alerts, tasks, phases, ...) differs from what the previous run
  left at its end (serve actions applied this run, a manual fix): what reads that source;
- as_of moved, for models whose SQL uses as_of (found in dbt's manifest, through macros too).
  Models tagged `as_of_cutoff` use as_of only to leave out later events (the usage models): they
  rebuild when as_of moves back, or when raw usage holds events between the two as_of days;
- the dbt project or the config vars changed, there is no earlier build, `--full-refresh`, or a
  full build was asked for (the weekly deployment): then everything, with every data test.
Everything downstream of a rebuilt model is rebuilt with it (`dbt build --select x+`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from flows.config import Config

AS_OF_MACROS = ("as_of_date",)  # what `var('as_of')` hides behind, besides the var itself
CUTOFF_TAG = "as_of_cutoff"
ALL_ROWS = "0001-01-01"
USAGE_SOURCE = "product.usage_events"


@dataclass
class BuildPlan:
    """What this run's dbt build covers; `select` None means the whole project."""

    as_of: date
    code_hash: str
    ledger_mark: datetime | None
    full: bool
    select: list[str] = field(default_factory=list)
    rebuilt_because: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    models_total: int = 0
    usage_tests_from: str = ALL_ROWS  # the first day the usage models can rewrite: tests check from there

    @property
    def nothing(self) -> bool:
        return not self.full and not self.select

    def summary(self) -> dict[str, Any]:
        return {"mode": "full" if self.full else ("skipped" if self.nothing else "changed"),
                "because": self.rebuilt_because, "skipped": self.skipped, "usage_tests_from": self.usage_tests_from,
                "select": " ".join(self.select) if self.select else None}


def code_hash(config: Config) -> str:
    """The dbt project's files and the config vars dbt is given (as_of is not part of it)."""
    root = Path(config.dbt.project_dir)
    # where the lake lives is not what a build computes: a workspace copied or moved elsewhere
    # (its lake with it) must not look like a changed project and force a full build
    dbt_vars = {k: v for k, v in config.dbt_vars().items() if k != "lake_uri"}
    h = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True, default=str).encode())
    if config.dbt.engine != "duckdb":  # a switch of engine: the other engine has none of the tables yet
        h.update(config.dbt.engine.encode())
    files = [root / "dbt_project.yml"] + [p for d in ("models", "macros", "data-tests", "seeds")
                                          for p in sorted((root / d).rglob("*")) if p.is_file()]
    for p in files:
        if p.exists():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def manifest_graph(manifest_path: Path) -> dict[str, Any]:
    """From dbt's manifest: the models that read as_of (through macros too), the cutoff ones,
    the sources by dbt name (`crm.accounts`) with their relation, and the count of models."""
    m = json.loads(manifest_path.read_text())
    macros = {k: v for k, v in m["macros"].items() if v["package_name"] == "steward"}
    uses = {k for k, v in macros.items() if _reads_as_of(v["macro_sql"]) or v["name"] in AS_OF_MACROS}
    changed = True
    while changed:  # a macro calling one that reads as_of reads it too
        new = {k for k, v in macros.items() if k not in uses and set(v["depends_on"]["macros"]) & uses}
        uses |= new
        changed = bool(new)
    models = {v["name"]: v for v in m["nodes"].values() if v["resource_type"] == "model"}
    as_of_models = sorted(n for n, v in models.items()
                          if _reads_as_of(v["raw_code"]) or set(v["depends_on"]["macros"]) & uses)
    cutoff = {n for n in as_of_models if CUTOFF_TAG in models[n]["config"].get("tags", [])}
    sources = {f"{v['source_name']}.{v['name']}": (v["schema"], v["identifier"]) for v in m["sources"].values()}
    return {"as_of": [n for n in as_of_models if n not in cutoff], "cutoff": sorted(cutoff),
            "sources": sources, "models": len(models)}


def _reads_as_of(code: str) -> bool:
    squeezed = code.replace(" ", "").replace('"', "'")
    return "var('as_of'" in squeezed


def ops_fingerprints(con: duckdb.DuckDBPyConnection, sources: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Rows of each non-raw source dbt reads (ops state, model scores), one hash per source."""
    parts = {}
    for name, (schema, table) in sorted(sources.items()):
        if schema == "raw":
            continue
        try:
            rel = f'"{schema}"."{table}"'
            if (schema, table) == ("ops", "load_ledger"):  # file stats (0013) are ingest's cache, not state
                rel = "(select * exclude (file_size, file_mtime_ns) from ops.load_ledger)"
            n, h = con.execute(f"select count(*), coalesce(sum(hash(t) % 1000000007), 0) from {rel} t").fetchone()
        except duckdb.CatalogException:
            n, h = None, None  # absent (no model trained yet): absent again is no change
        parts[name] = f"{n}:{h}"
    return parts


def ops_fingerprint(con: duckdb.DuckDBPyConnection, sources: dict[str, tuple[str, str]]) -> str:
    """What ops.dbt_build_state keeps: the per-source hashes as JSON."""
    return json.dumps(ops_fingerprints(con, sources), sort_keys=True)


def changed_ops_sources(recorded: str, now: dict[str, str]) -> list[str]:
    """The ops sources whose rows differ from the recorded fingerprint (all of them when it is
    in the single-hash form written before 2026-12-06, which cannot say which one changed)."""
    try:
        before = json.loads(recorded)
    except ValueError:
        before = None
    if not isinstance(before, dict):
        return sorted(now)
    return sorted(n for n in now if before.get(n) != now[n])


def ledger_mark(con: duckdb.DuckDBPyConnection) -> datetime | None:
    return con.execute("select max(greatest(loaded_at, coalesce(superseded_at, loaded_at))) "
                       "from ops.load_ledger").fetchone()[0]


def plan_build(con: duckdb.DuckDBPyConnection, config: Config, manifest_path: Path, as_of: date,
               full_refresh: bool = False, full_build: bool = False) -> BuildPlan:
    """Decide what this run's dbt build covers (see the module docstring)."""
    graph = manifest_graph(manifest_path)
    plan = BuildPlan(as_of=as_of, code_hash=code_hash(config), ledger_mark=ledger_mark(con), full=True,
                     models_total=graph["models"])
    last = con.execute("select as_of, code_hash, ledger_mark, ops_fingerprint from ops.dbt_build_state "
                       "order by built_at desc limit 1").fetchone()
    if full_refresh or full_build:
        plan.rebuilt_because.append("--full-refresh" if full_refresh else "a full build was asked for")
        return plan
    if last is None:
        plan.rebuilt_because.append("no earlier build recorded")
        return plan
    last_as_of, last_code, last_mark, last_ops = last
    if last_code != plan.code_hash:
        plan.rebuilt_because.append("the dbt project or its config changed since the last build")
        return plan
    plan.full = False
    select: list[str] = []
    raw_changed = {r[0] for r in con.execute(
        "select distinct table_name from ops.load_ledger where ? is null or loaded_at > ? or superseded_at > ?",
        [last_mark, last_mark, last_mark]).fetchall()}
    for name, (schema, table) in sorted(graph["sources"].items()):
        if schema == "raw" and table in raw_changed:
            select.append(f"source:{name}+")
    if select:
        plan.rebuilt_because.append("new rows in " + ", ".join(s[7:-1] for s in select))
    ops_now = ops_fingerprints(con, graph["sources"])
    changed_ops = sorted(ops_now) if last_ops is None else changed_ops_sources(last_ops, ops_now)
    if changed_ops:  # only what reads a changed source: new ledger rows alone rebuild no model
        select += [f"source:{n}+" for n in changed_ops]
        plan.rebuilt_because.append(f"ops state changed since the last run ({', '.join(changed_ops)})" if last_ops
                                    else "the last run did not finish after its build")
    if as_of != last_as_of:
        select += [f"{n}+" for n in graph["as_of"]]
        plan.rebuilt_because.append(f"as_of moved from {last_as_of} ({len(graph['as_of'])} models use it)")
        cutoff_why = _cutoff_reason(con, graph, last_as_of, as_of)
        if cutoff_why:
            select += [f"{n}+" for n in graph["cutoff"]]
            plan.rebuilt_because.append(cutoff_why)
        elif graph["cutoff"]:
            plan.skipped.append(f"{', '.join(graph['cutoff'])}: no usage events between {last_as_of} and {as_of}")
    else:
        plan.skipped.append(f"as_of unchanged ({as_of}): models that only depend on as_of")
    if not any(s.startswith(f"source:{USAGE_SOURCE}") for s in select) and graph["cutoff"]:
        plan.skipped.append("usage: no new usage rows loaded, raw events not re-read")
    plan.select = select
    plan.usage_tests_from = _usage_tests_from(con, graph)
    if plan.usage_tests_from != ALL_ROWS and any(n in s for s in select for n in graph["cutoff"] + [USAGE_SOURCE]):
        plan.skipped.append(f"usage data tests before {plan.usage_tests_from} (rows this run cannot rewrite)")
    if plan.nothing:
        plan.skipped.append(f"dbt build: nothing changed since the build for {last_as_of}")
    return plan


def _cutoff_reason(con: duckdb.DuckDBPyConnection, graph: dict, last_as_of: date, as_of: date) -> str | None:
    """Why the as_of-cutoff models must run for this as_of move, or None."""
    if not graph["cutoff"]:
        return None
    if as_of < last_as_of:
        return f"as_of moved back from {last_as_of}: usage after {as_of} is dropped"
    schema, table = graph["sources"].get(USAGE_SOURCE, ("raw", "usage_events"))
    try:  # raw is in load order, so the range check is answered from a few row groups
        found = con.execute(f'select 1 from "{schema}"."{table}" where cast(occurred_at as timestamp) >= ? + 1 '
                            "and cast(occurred_at as timestamp) < ? + 1 limit 1", [last_as_of, as_of]).fetchone()
    except duckdb.CatalogException:
        return None
    return f"usage events dated after {last_as_of} now count" if found else None


def _usage_tests_from(con: duckdb.DuckDBPyConnection, graph: dict) -> str:
    """The first day the usage models can rewrite this run (as their watermark macro decides: days
    after the last one, and days of events loaded after the last load), or every day if unknown."""
    schema, table = graph["sources"].get(USAGE_SOURCE, ("raw", "usage_events"))
    try:
        last_day, last_load = con.execute("select max(usage_date), max(_max_loaded_at) "
                                          "from intermediate.int_usage__user_feature_daily").fetchone()
        if last_day is None or last_load is None:
            return ALL_ROWS
        late = con.execute(f'select min(cast(occurred_at as date)) from "{schema}"."{table}" where _loaded_at > ?',
                           [last_load]).fetchone()[0]
    except duckdb.Error:
        return ALL_ROWS
    first = last_day + timedelta(days=1)
    return min(first, late).isoformat() if late is not None else first.isoformat()


def record_build(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """The build succeeded: the next run compares against it (its ops state is added at run end)."""
    con.execute("insert into ops.dbt_build_state values (now(), ?, ?, ?, null, ?, ?)",
                [plan.as_of, plan.code_hash, plan.ledger_mark, plan.full,
                 None if plan.full else " ".join(plan.select)])


def record_full_build(con: duckdb.DuckDBPyConnection, config: Config, as_of: date) -> None:
    """A whole build made outside the daily run (the bench's full refresh) counts as a build too."""
    record_build(con, BuildPlan(as_of=as_of, code_hash=code_hash(config), ledger_mark=ledger_mark(con), full=True))


def record_run_end(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> None:
    """After reconcile and delivery: the ops state this run leaves, which the next run starts from."""
    fp = ops_fingerprint(con, manifest_graph(manifest_path)["sources"])
    con.execute("update ops.dbt_build_state set ops_fingerprint = ? "
                "where built_at = (select max(built_at) from ops.dbt_build_state)", [fp])
