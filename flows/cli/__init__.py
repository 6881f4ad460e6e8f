"""The `steward` command: parses, builds the config once, calls a flow, prints a summary.

One module per command group; this one is the table of contents. Commands are registered here,
in the order `steward --help` lists them. Prefect is imported only inside commands, after
flows/environment.py has set up the environment it reads (cli/common.py `_prepare_runtime`).
"""

from __future__ import annotations

import typer
from rich.markup import escape

from flows.cli import alerts, analysis, check, demo, deliver, model, outbox, run, serve, surveys
from flows.cli.preview import preview_emails
from flows.config import ConfigError
from flows.console import console

app = typer.Typer(
    name="steward", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    help="Steward: customer-success automation as a versioned, testable pipeline.",
)

for command in (demo.generate, run.ingest, check.check, run.run, demo.demo, deliver.report, deliver.deliver,
                analysis.bench, analysis.backtest, analysis.sql):
    app.command()(command)
app.command("preview-emails")(preview_emails)
app.command()(serve.serve)
app.command("serve-screenshots")(serve.serve_screenshots)
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(alerts.tasks_app, name="tasks")
app.add_typer(surveys.survey_app, name="survey")
app.add_typer(surveys.campaign_app, name="campaign")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(model.model_app, name="model")


def main() -> None:
    from flows.warehouse import SchemaError

    try:
        app()
    except (SchemaError, ConfigError) as exc:  # from any command (a newer warehouse, a missing link
        # secret while queueing mail, ...): one line, never a traceback
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
