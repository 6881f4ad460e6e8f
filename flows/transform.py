"""dbt invocation: one Prefect task for the whole build, or (dbt.node_tasks) one task per node.

The default runs dbt-core's programmatic runner inside a single Prefect task: the build is
visible and timed in Prefect, dbt's own run_results.json has per-node detail, and a
progress bar counts nodes. `dbt.node_tasks: true` hands the invocation to prefect-dbt's
PrefectDbtRunner, which wraps every model, test and unit test as its own Prefect task (and
asset) — finer observability, at ~0.15 s of API traffic per node (measured: the 259-node demo
build takes 20 s plain and ~65 s with node tasks).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import get_current_settings

from flows import progress, spark_engine
from flows.config import Config
from flows.config.dbt_vars import project_vars
from flows.warehouse import session

if TYPE_CHECKING:
    from dbt_common.events.base_types import EventLevel


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
    failed_incremental: list[str] = field(default_factory=list)  # incremental models among the failures


def dbt_profile(config: Config) -> dict:
    """The `steward` dbt profile for this config: warehouse path, threads, DuckDB memory settings.

    Written into the workspace (profiles_dir) and passed to dbt by flag, so no process
    environment is involved; the committed dbt_project/profiles.yml is for analysts by hand."""
    ws = config.path("workspace")
    # memory_limit may be SET on every cursor dbt opens; the spill folder only once per database
    # (flows/dbt_plugin.py: DuckDB refuses a second SET once it has spilled)
    output = {"type": "duckdb", "path": str(config.path("warehouse")), "threads": config.dbt.threads,
              "settings": {"memory_limit": config.duckdb.memory_limit},
              "plugins": [{"module": "flows.dbt_plugin",
                           "config": {"temp_directory": str(config.duckdb.temp_path(ws))}}]}
    outputs = {"duckdb": output}
    if config.dbt.engine == "spark":  # the in-process Spark session (flows/spark_engine.py)
        outputs["spark"] = spark_engine.spark_output(config)
    return {"steward": {"target": config.dbt.engine, "outputs": outputs}}


def profiles_dir(config: Config) -> Path:
    """<workspace>/dbt holding this config's profiles.yml (JSON is YAML); rewritten only on change."""
    folder = config.path("workspace") / "dbt"
    path = folder / "profiles.yml"
    text = json.dumps(dbt_profile(config), indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def _dbt_env_flags(config: Config) -> list[str]:
    """What dbt would otherwise read from the environment: its log folder, no usage stats."""
    return ["--log-path", str(config.path("workspace") / "dbt" / "logs"), "--no-send-anonymous-usage-stats"]


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
    from dbt_common.events.base_types import EventLevel

    level = get_current_settings().logging.level.upper()
    return EventLevel.INFO if level in ("DEBUG", "INFO") else EventLevel.WARN


def dbt_vars(config: Config, as_of: date | None) -> dict[str, Any]:
    """Every var the dbt project reads: from the config only (dbt_project.yml has no defaults)."""
    return project_vars(config, as_of)


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
            if kind == "model" and getattr(node.config, "materialized", None) == "incremental":
                out.failed_incremental.append(node.name)
        elif status == "warn":
            out.warnings.append(line)
    return out


def _progress_callback(rep: progress.Reporter):
    """A dbt event callback that sizes the progress bar on the first start line, then counts nodes."""
    sized = threading.Event()

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "LogStartLine" and not sized.is_set():
            sized.set()
            rep.resize(int(event.data.total))
        elif name == "NodeFinished":
            rep.advance()

    return on_event


@task(name="dbt", cache_policy=NO_CACHE)
def _invoke_dbt(config: Config, full: list[str]) -> Any:
    """Run dbt-core in-process as one Prefect task; returns dbt's dbtRunnerResult."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventLevel

    runner = dbtRunner(callbacks=[_progress_callback(progress.reporter())])
    return runner.invoke(full + _dbt_flags(config, quiet=_dbt_log_level() != EventLevel.INFO))


def _dbt_flags(config: Config, quiet: bool) -> list[str]:
    """Steward's project, profile and workspace target; dbt's console output only when verbose."""
    return ["--project-dir", str(config.dbt.project_dir), "--profiles-dir", str(profiles_dir(config)),
            "--target-path", str(config.paths.dbt_target),
            "--log-level", "none" if quiet else "info", "--log-level-file", "info"] + _dbt_env_flags(config)


def _with_vars(config: Config, args: list[str], as_of: date | None,
               run_vars: dict[str, Any] | None = None) -> list[str]:
    """The dbt command with this run's vars: the config's always, as_of when given, and vars that
    describe this run only (usage_tests_from: the first day a selective build rewrote)."""
    return list(args) + ["--vars", json.dumps(dbt_vars(config, as_of) | (run_vars or {}))]


def parse_ahead(config: Config, as_of: date, reuse: bool = False) -> bool:
    """`dbt parse` with the vars the build will use, outside any flow (no Prefect API needed).

    The following build then only re-checks files (partial parsing), so the CLI runs this while
    the Prefect server is still starting. Problems are left for the build to report.
    `reuse`: skip dbt (1-3 s) when the manifest comes from a parse of the same project files and
    vars for this as_of (a same-day rerun; the build plan only needs the manifest's graph).
    """
    from flows.build_plan import code_hash

    marker = Path(config.paths.dbt_target) / "steward_parse.json"
    key = json.dumps({"code_hash": code_hash(config), "as_of": as_of.isoformat()})
    if reuse and (marker.parent / "manifest.json").exists() and marker.exists() and marker.read_text() == key:
        return True
    from dbt.cli.main import dbtRunner  # imported here: a run that builds nothing never loads dbt (~1 s)

    res = dbtRunner().invoke(_with_vars(config, ["parse"], as_of) + _dbt_flags(config, quiet=True))
    if res.success:
        marker.write_text(key)
    return bool(res.success)


def _invoke_with_node_tasks(config: Config, full: list[str]) -> Any:
    """Run dbt through prefect-dbt, one Prefect task per node."""
    from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

    settings = PrefectDbtSettings(
        project_dir=config.dbt.project_dir,
        profiles_dir=profiles_dir(config),
        target_path=config.paths.dbt_target,
        log_level=_dbt_log_level(),
    )
    runner = PrefectDbtRunner(settings=settings, raise_on_failure=False)
    before = set(threading.enumerate())
    try:
        return runner.invoke(full + _dbt_env_flags(config))
    except ValueError as exc:  # prefect-dbt wraps dbt's compilation/runtime exceptions
        raise DbtBuildError(str(exc)) from None
    finally:
        _join_node_task_threads(before)


def run_dbt(config: Config, args: list[str], as_of: date | None = None,
            run_vars: dict[str, Any] | None = None) -> DbtResult:
    """Invoke dbt with Steward's project, profile, workspace target path and vars."""
    full = _with_vars(config, args, as_of, run_vars)
    if config.dbt.node_tasks:
        res = _invoke_with_node_tasks(config, full)
    else:
        res = _invoke_dbt(config, full)
    if res.exception is not None:
        raise DbtBuildError(f"dbt {' '.join(args)} could not run: {res.exception}")
    result = summarise(res.result)
    if not res.success or result.failures:
        hint = ""
        if result.failed_incremental:
            # the usual cause: an upgrade changed the columns of a table built incrementally before
            # (dbt says "out of sync", or the model's own read of its table fails to bind)
            hint = (f"\n  {', '.join(result.failed_incremental)} is built incrementally: if Steward was upgraded "
                    "since the last run, rebuild once with `steward run --full-refresh`")
        raise DbtBuildError(
            f"dbt {args[0]} failed for as_of {as_of}:\n  " + "\n  ".join(result.failures or ["(see dbt logs)"])
            + hint + f"\n  logs: {config.path('workspace') / 'dbt' / 'logs'}"
        )
    return result


@flow(name="steward-dbt-build")
def dbt_build(config: Config, as_of: date, select: str | None = None, full_refresh: bool = False,
              for_run: bool = False, usage_tests_from: str | None = None) -> DbtResult:
    """`dbt build` of the whole project (or a selection) for one as_of date.

    for_run: the daily run's build (a selection of what changed): the marts stand for as_of after it.
    usage_tests_from: test the big usage tables only from this day (the days the build rewrote).
    """
    rep = progress.reporter()
    rep.stage("dbt build")
    args = ["build"] + (["--select", select] if select else []) + (["--full-refresh"] if full_refresh else [])
    if not config.dbt.unit_tests:  # fixed-row tests of the SQL: the test suite's job, not every run's
        args += ["--exclude-resource-type", "unit_test"]
    run_vars = {"usage_tests_from": usage_tests_from} if usage_tests_from else None
    if config.dbt.engine == "spark":  # models on Spark, their tables' data tests on DuckDB (flows/spark_engine.py)
        from dbt_common.events.base_types import EventLevel

        result = spark_engine.build(config, args, as_of, run_dbt, run_vars,
                                    verbose=_dbt_log_level() == EventLevel.INFO)
    else:
        result = run_dbt(config, args, as_of, run_vars)
    if not select or for_run:
        with session(config.path("warehouse")) as con:
            con.execute("insert into ops.dbt_builds values (?, now(), ?, ?)",
                        [as_of, result.models, result.tests + result.unit_tests])
    rep.done(f"{result.models} models, {result.tests} data tests"
             + (f", {result.unit_tests} unit tests" if config.dbt.unit_tests else "") + " passed")
    return result
