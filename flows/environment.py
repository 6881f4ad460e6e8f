"""The process environment, set in one place: the only module under flows/ that writes os.environ.

Called once at each entry point, before Prefect, GX or dbt read their settings: by the `steward`
commands (flows/cli/common.py) and by the flows a Prefect worker starts from a deployment
(daily_run, report_flow, retrain_flow). Everything else receives its settings as arguments:
dbt gets a profile written from the config and command-line flags (flows/transform.py).
"""

from __future__ import annotations

import os

from flows.config import Config


def prepare(config: Config, verbose: bool = False, server: bool = False, deployed: bool = False) -> None:
    """Set what the tools read from the environment (idempotent: values already set stay).

    The CLI (`deployed` False): Prefect gets a per-workspace home, quiet logs unless `verbose`
    (known input errors are printed as one line; Prefect would add a traceback) and no telemetry;
    with `server`, a private Prefect server starts in the background (unless PREFECT_API_URL
    names one) and this process is pointed at it. A deployed flow run (`deployed`) already has
    the worker's Prefect settings, which are left alone. Values the user set are never replaced.
    """
    env = os.environ
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if deployed:
        return
    ws = config.path("workspace")
    ws.mkdir(parents=True, exist_ok=True)
    env.setdefault("PREFECT_HOME", str(ws / "prefect"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:
        env.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    if server:
        from flows.prefect_server import start_background

        url = start_background(config.path("workspace") / "prefect")
        if url is not None:
            env["PREFECT_API_URL"] = url
