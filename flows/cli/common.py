"""Helpers every `steward` command shares: the options, config loading, one-line errors,
the runtime set-up before Prefect is imported, and a writable warehouse session."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.config import Config, ConfigError, load_config
from flows.console import console

AsOf = Annotated[Optional[str], typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: today).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Config file (default: steward.yml).")]
WorkspaceOpt = Annotated[Optional[Path], typer.Option(
    "--workspace", "-w", help="Workspace folder (default .steward; env STEWARD_WORKSPACE).")]
LandingOpt = Annotated[Optional[Path], typer.Option("--landing", help="Landing folder (default <workspace>/landing).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect and dbt logs.")]


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-01-31")


def build_config(config: Path | None, workspace: Path | None, landing: Path | None = None) -> Config:
    """Load and validate the config once, applying command-line path overrides."""
    paths = {k: str(v.expanduser().resolve()) for k, v in (("workspace", workspace), ("landing", landing))
             if v is not None}
    try:
        return load_config(config, overrides={"paths": paths} if paths else None)
    except ConfigError as exc:
        _fail(str(exc))


def _prepare_runtime(cfg: Config, verbose: bool, prefect: bool = False) -> None:
    """The process environment (flows/environment.py; with `prefect`, a private Prefect server
    starts in the background unless PREFECT_API_URL names one), then rich progress lines.
    `_prefect_ready()` waits for the server before the first flow."""
    from flows import environment, progress
    from flows.console import RichReporter

    environment.prepare(cfg, verbose=verbose, server=prefect)
    progress.use(RichReporter())


def _prefect_ready() -> None:
    from flows.prefect_server import ensure_ready

    try:
        ensure_ready()
    except RuntimeError as exc:
        _fail(str(exc))


def _guarded(fn, *args, **kwargs):
    """Run a pipeline step; known input errors become one red line, never a traceback."""
    from flows.ingest.discover import LandingError
    from flows.quality.gate import GateError
    from flows.runlock import RunLockHeld
    from flows.transform import DbtBuildError
    from flows.warehouse import SchemaError, WarehouseBusy

    try:
        return fn(*args, **kwargs)
    except (ConfigError, LandingError, DbtBuildError, GateError, SchemaError, RunLockHeld, WarehouseBusy) as exc:
        _fail(str(exc))


def _writable_session(cfg: Config):
    """A writable warehouse connection, or one clear line when there is none or it is busy."""
    import duckdb

    from flows.warehouse import session

    path = cfg.path("warehouse")
    if not path.exists():
        _fail(f"no warehouse at {path}; run `steward demo` or `steward run` first")
    try:
        return session(path)
    except duckdb.IOException as exc:
        _fail(f"the warehouse is busy (a run holds it?): {str(exc).splitlines()[0]}")

