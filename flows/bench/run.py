"""Run every benchmark stage for a tier in its own process; write JSON and a markdown table."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flows.bench.stage import reset_dataset
from flows.bench.tiers import TIERS
from flows.config import REPO_ROOT
from flows.prefect_server import PrefectServer

PIPELINE = ("generate", "ingest", "gate", "dbt_full", "dbt_core", "reconcile_deliver", "reports", "day_end",
            "incremental", "empty_day")
COMPARE = ("floor", "peer")
# On Spark only the stages dbt runs in, around the load and the control plane: the floor, the pandas
# peer, dbt_core and the reports do not depend on the engine (DuckDB's results file has them).
SPARK_STAGES = ("generate", "ingest", "gate", "dbt_full", "reconcile_deliver", "day_end", "incremental", "empty_day")


@dataclass
class StageResult:
    stage: str
    seconds: float
    peak_rss_mib: float
    ok: bool
    detail: dict


def run_stage(stage: str, ws: Path, tier: str, env: dict, mem_limit_gib: float | None = None) -> StageResult:
    """Spawn one stage; wall time and that process's own peak RSS via wait4."""
    cmd = [sys.executable, "-m", "flows.bench.stage", stage, str(ws), tier]

    def limit() -> None:  # the peer runs under a memory cap so "does not fit" is a result, not a crash
        if mem_limit_gib:
            import resource

            cap = int(mem_limit_gib * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    logs = ws / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(logs / f"{stage}.out", "w") as fout, open(logs / f"{stage}.err", "w") as ferr:
        proc = subprocess.Popen(cmd, env=env, stdout=fout, stderr=ferr, preexec_fn=limit if mem_limit_gib else None)
        # wait4 reaps this child and returns its own rusage: the stage's peak RSS, not a running max.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    rss = usage.ru_maxrss / 1024
    out, err = (logs / f"{stage}.out").read_text(), (logs / f"{stage}.err").read_text()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if lines:
        detail = json.loads(lines[-1])
    else:
        said = " / ".join((err or out).strip().splitlines()[-3:])
        if mem_limit_gib and proc.returncode != 0:  # a native allocation failed under the cap: no MemoryError
            detail = {"did_not_fit": f"died under the {mem_limit_gib:g} GiB memory cap (exit {proc.returncode})"
                                     + (f": {said}" if said else "")}
        else:
            detail = {"error": said or f"exit {proc.returncode}, nothing printed"}
    return StageResult(stage, seconds, rss, proc.returncode == 0 and bool(lines), detail)


def ratios(results: dict[str, StageResult]) -> dict[str, float | None]:
    """Headline ratios against the targets of issue 10."""
    def sec(name: str) -> float | None:
        r = results.get(name)
        return r.seconds if r and r.ok else None

    full = sec("dbt_full")
    peer = results.get("peer")
    # whole-process wall times on both sides: each pays its own start-up (Python, DuckDB, pandas;
    # for the pipeline also Prefect and dbt), as a user running it would
    floor_transform = sec("floor")
    peer_transform = sec("peer") if peer and "did_not_fit" not in peer.detail else None
    # the full day: load, gate, build, then the rest of that day's run (every reconciler, delivery,
    # the first analyst copy: day_end), as the next day's run does them too
    ingest_full = (sec("ingest") or 0) + (sec("gate") or 0) + (full or 0) + (sec("day_end") or 0)
    core = sec("dbt_core")

    def detail_ratio(key: str, stage: str) -> float | None:  # the next day's dbt figure over the full build's
        num = results[stage].detail.get(key) if stage in results and results[stage].ok else None
        den = results["dbt_full"].detail.get(key) if full else None
        return num / den if num is not None and den else None

    return {
        "dbt_core_over_floor": core / floor_transform if core and floor_transform else None,
        "peer_over_dbt_core": peer_transform / core if peer_transform and core else None,
        "dbt_full_over_floor": full / floor_transform if full and floor_transform else None,
        "pipeline_full_over_floor": ingest_full / floor_transform if floor_transform else None,
        "peer_over_dbt_full": peer_transform / full if peer_transform and full else None,
        "incremental_over_full": sec("incremental") / ingest_full if sec("incremental") and ingest_full else None,
        "dbt_incremental_over_full": detail_ratio("dbt_seconds", "incremental"),
        "chain_incremental_over_full": detail_ratio("chain_model_seconds", "incremental"),
        "peak_rss_gib": max(r.peak_rss_mib for r in results.values()) / 1024,
        # Steward's own stages, the 8 GiB target's subject (the floor and the peer are comparators)
        "steward_peak_rss_gib": max((r.peak_rss_mib for k, r in results.items() if k not in COMPARE),
                                    default=0) / 1024,
    }


def markdown(tier: str, results: dict[str, StageResult], r: dict) -> str:
    lines = [f"### Tier {tier} — {date.today()} on {platform.node()} ({os.cpu_count()} cores)", "",
             "| stage | seconds | peak RSS (MiB) | detail |", "|---|---:|---:|---|"]
    for s in results.values():
        detail = ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.detail.items())
        lines.append(f"| {s.stage}{'' if s.ok else ' (failed)'} | {s.seconds:.1f} | {s.peak_rss_mib:.0f} | "
                     f"{detail[:400]} |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {'–' if v is None else f'{v:.2f}'} |" for k, v in r.items()]
    return "\n".join(lines) + "\n"


def stage_env(api_url: str, engine: str = "duckdb") -> dict:
    """The environment every stage process runs in: this checkout, the given Prefect API, the engine."""
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(REPO_ROOT),
           "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # the run signs email links (steward serve): a throwaway key for bench data, unless one is set
    env.setdefault("STEWARD_SERVE_SECRET", "steward-bench-" + os.urandom(16).hex())
    env["STEWARD_DBT__ENGINE"] = engine
    return env


def bench(tier: str, root: Path, out_dir: Path, reuse: bool = True, peer_mem_gib: float = 16,
          progress=None, engine: str = "duckdb") -> dict:
    """Run the tier; returns the results dict also written to out_dir/<tier>-<date>.json and .md."""
    server = PrefectServer(root / "prefect")
    server_start = server.wait()
    env = stage_env(server.url, engine)
    try:
        return _bench(tier, root, out_dir, reuse, peer_mem_gib, progress, env, server_start, engine)
    finally:
        server.stop()


def _bench(tier: str, root: Path, out_dir: Path, reuse: bool, peer_mem_gib: float, progress, env: dict,
           server_start: float, engine: str = "duckdb") -> dict:
    name = tier if engine == "duckdb" else f"{tier}-{engine}"  # its own dataset copy and results file
    ws = root / name
    cached = reuse and (ws / "held").exists()
    results: dict[str, StageResult] = {}
    stages = [s for s in PIPELINE if not (cached and s == "generate")] + list(COMPARE)
    if engine == "spark":
        stages = [s for s in stages if s in SPARK_STAGES]
    if cached:
        reset_dataset(ws)  # a previous run's incremental stage moved the next day in
        # the .wal too: a log left by a killed run would be replayed into the new warehouse
        for p in ("warehouse.duckdb", "warehouse.duckdb.wal", "floor.duckdb", "floor.duckdb.wal", "tmp",
                  "outbox", "reports", "dbt", "lake", "spark", "analyst"):
            target = ws / p
            subprocess.run(["rm", "-rf", str(target)], check=False)
    for i, stage in enumerate(stages):
        if progress:
            progress(stage, i, len(stages))
        results[stage] = run_stage(stage, ws, tier, env, peer_mem_gib if stage == "peer" else None)
        if not results[stage].ok and stage in ("generate", "ingest"):
            break
    r = ratios(results)
    r["prefect_server_start_seconds"] = server_start
    payload = {"tier": tier, "engine": engine, "date": str(date.today()), "cached_dataset": cached,
               "stages": {k: vars(v) for k, v in results.items()}, "ratios": r}
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{name}-{date.today()}"
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2, default=str))
    stem.with_suffix(".md").write_text(markdown(name, results, r))
    return payload
