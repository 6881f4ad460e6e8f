"""`steward check`: gate and profile a landing folder without loading it (the report: check_report.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.common import ConfigOpt, WorkspaceOpt, _guarded, _parse_date, _prepare_runtime, build_config
from flows.console import console


def check(
    path: Annotated[Path, typer.Argument(help="Landing folder to validate.")],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result and profile as JSON.")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Judge source freshness at this as_of "
                                                 "(default: the newest day in the data).")] = None,
) -> None:
    """Validate a landing folder against the contract (mappings applied) without loading it into the
    warehouse, and profile what Steward can compute from it.

    Example: steward check ./exports
    """
    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    from flows.cli.check_report import report
    from flows.quality.flow import check_landing, docs_dir

    landing = path.expanduser().resolve()
    result = _guarded(check_landing, landing, docs_dir(cfg), None, cfg, _parse_date(as_of) if as_of else None)
    code = report(console, result, landing, cfg, json_out)
    if code:
        raise typer.Exit(code)

