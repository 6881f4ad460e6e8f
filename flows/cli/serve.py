"""`steward serve` and `steward serve-screenshots` (registered in flows/cli/__init__.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.common import ConfigOpt, WorkspaceOpt, _fail, build_config
from flows.console import console

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (put a TLS proxy in front in production).")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on.")]


def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8765, config: ConfigOpt = None,
          workspace: WorkspaceOpt = None) -> None:
    """Run the web service behind email links: surveys, unsubscribe, alert/task buttons, CSM pages.

    It reads only the published analyst copy and appends what people do to the action log in the
    landing folder; the next `steward run` applies it. Links are signed with $STEWARD_SERVE_SECRET.

    Example: STEWARD_SERVE_SECRET=... steward serve --port 8765 --workspace /tmp/steward-demo
    """
    import uvicorn

    from flows.serve.app import create_app
    from flows.serve.links import LinkError

    cfg = build_config(config, workspace)
    try:
        web = create_app(cfg)
    except LinkError as exc:
        _fail(str(exc))
    console.print(f"steward serve on http://{host}:{port} (public base URL: {cfg.serve.base_url or 'not set'}); "
                  "Ctrl-C stops it")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)


def serve_screenshots(out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the PNGs.")] = None,
                      config: ConfigOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Screenshot every page of `steward serve` at desktop and 375 px widths, for review.

    Uses real rows of the workspace's analyst copy; nothing is submitted and nothing is written.

    Example: steward serve-screenshots --workspace /tmp/steward-demo --out /tmp/pages
    """
    from flows.serve.links import LinkError
    from flows.serve.screenshots import ScreenshotError, take_all

    cfg = build_config(config, workspace)
    folder = (out or cfg.path("workspace") / "screenshots" / "serve").resolve()
    try:
        shots = take_all(cfg, folder)
    except (LinkError, ScreenshotError) as exc:
        _fail(str(exc))
    console.print(f"{len(shots)} screenshots -> {folder}")
