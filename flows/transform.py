"""dbt invocation through prefect-dbt: each dbt node runs as its own Prefect task."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dbt_common.events.base_types import EventLevel
from prefect import flow
from prefect.settings import get_current_settings
from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

from flows import progress
from flows.config import Config
from flows.warehouse import session


class DbtBuildError(Exception):
    """dbt reported failing nodes; the message lists each node and dbt's reason."""


@dataclass
class DbtResult:
    """Counts of what `dbt build` did, and the failures if any."""

    models: int = 0
    tests: int = 0
    unit_tests: int = 0
    seeds: int = 0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def dbt_env(config: Config) -> dict[str, str]:
    """Environment the dbt profile and dbt itself read (warehouse path, threads, log location)."""
    ws = config.path("workspace")
    return {
        "STEWARD_DUCKDB_PATH": str(config.path("warehouse")),
        "STEWARD_DBT_THREADS": str(config.dbt.threads),
        "DBT_LOG_PATH": str(ws / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _join_node_task_threads(before: set[threading.Thread], timeout: float = 120.0) -> None:
    """Wait for prefect-dbt's per-node task threads to report their final state.

    prefect-dbt runs each node's Prefect task in a daemon thread that can outlive invoke();
    left running, they race the flow's end and, at interpreter exit, abort the process
    ("FATAL: exception not rethrown") while inside native code.
    """
    deadline = time.monotonic() + timeout
    for thread in set(threading.enumerate()) - before:
        if thread.name.endswith("(run_task)"):
            thread.join(max(0.0, deadline - time.monotonic()))


def _dbt_log_level() -> EventLevel:
    """dbt events at INFO only when Prefect itself logs at INFO or below (steward --verbose)."""
    level = get_current_settings().logging.level.upper()
    return EventLevel.INFO if level in ("DEBUG", "INFO") else EventLevel.WARN


def dbt_vars(config: Config, as_of: date) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(), **config.dbt_vars()}


def summarise(run_results: Any) -> DbtResult:
    """Turn dbt's RunExecutionResult into counts and readable failure lines."""
    out = DbtResult()
    for r in getattr(run_results, "results", []) or []:
        node = r.node
        kind = node.resource_type.value if hasattr(node.resource_type, "value") else str(node.resource_type)
        status = str(getattr(r.status, "value", r.status))
        if kind == "model":
            out.models += 1
        elif kind == "test":
            out.tests += 1
        elif kind == "unit_test":
            out.unit_tests += 1
        elif kind == "seed":
            out.seeds += 1
        line = f"{kind} {node.name}: {r.message or status}"
        if status in ("error", "fail", "runtime error"):
            out.failures.append(line)
        elif status == "warn":
            out.warnings.append(line)
    return out


def run_dbt(config: Config, args: list[str], as_of: date | None = None) -> DbtResult:
    """Invoke dbt with Steward's project, profile, workspace target path and vars."""
    os.environ.update(dbt_env(config))
    settings = PrefectDbtSettings(
        project_dir=config.dbt.project_dir,
        profiles_dir=config.dbt.project_dir,
        target_path=config.paths.dbt_target,
        log_level=_dbt_log_level(),
    )
    runner = PrefectDbtRunner(settings=settings, raise_on_failure=False)
    full = list(args)
    if as_of is not None:
        full += ["--vars", json.dumps(dbt_vars(config, as_of))]
    before = set(threading.enumerate())
    try:
        res = runner.invoke(full)
    except ValueError as exc:  # prefect-dbt wraps dbt's compilation/runtime exceptions
        raise DbtBuildError(str(exc)) from None
    finally:
        _join_node_task_threads(before)
    if res.exception is not None:
        raise DbtBuildError(f"dbt {' '.join(args)} could not run: {res.exception}")
    result = summarise(res.result)
    if not res.success or result.failures:
        raise DbtBuildError(
            f"dbt {args[0]} failed for as_of {as_of}:\n  " + "\n  ".join(result.failures or ["(see dbt logs)"])
            + f"\n  logs: {config.path('workspace') / 'dbt' / 'logs'}"
        )
    return result


@flow(name="steward-dbt-build")
def dbt_build(config: Config, as_of: date, select: str | None = None, full_refresh: bool = False) -> DbtResult:
    """`dbt build` of the whole project (or a selection) for one as_of date."""
    rep = progress.reporter()
    rep.stage("dbt build")
    args = ["build"] + (["--select", select] if select else []) + (["--full-refresh"] if full_refresh else [])
    result = run_dbt(config, args, as_of)
    if not select:
        with session(config.path("warehouse")) as con:
            con.execute("insert into ops.dbt_builds values (?, now(), ?, ?)",
                        [as_of, result.models, result.tests + result.unit_tests])
    rep.done(f"{result.models} models, {result.tests} data tests, {result.unit_tests} unit tests passed")
    return result
