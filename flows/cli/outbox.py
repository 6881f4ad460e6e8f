"""`steward outbox`: see the mail that is not sent yet and why; release what a person checked."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.cli.common import ConfigOpt, WorkspaceOpt, _fail, build_config
from flows.console import console

outbox_app = typer.Typer(no_args_is_help=True, help=(
    "List unsent email with its reason and age; release held email after checking SendGrid.\n\n"
    "Example: steward outbox list --status held; steward outbox release m3f2a9c0e1d4b5a6c7d8e9f0"))

STATUSES = ("queued", "sending", "unconfirmed", "held", "failed", "suppressed", "sent")


@outbox_app.command("list")
def list_(
    status: Annotated[Optional[list[str]], typer.Option(
        "--status", help="Only these statuses (repeatable; default: every unsent one): "
                         "queued, sending, unconfirmed, held, failed, suppressed, sent.")] = None,
    limit: Annotated[int, typer.Option(help="Rows shown at most.", min=1)] = 50,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Messages by status, oldest first, each with its age and the reason it waits.

    Example: steward outbox list --status held --status unconfirmed
    """
    from flows.delivery.held import UNSENT, age, list_rows
    from flows.warehouse import session

    wanted = status or [*UNSENT, "failed"]
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        _fail(f"--status {bad[0]!r} is not a status; expected one of {', '.join(STATUSES)}")
    cfg = build_config(config, workspace)
    with session(cfg.path("warehouse")) as con:
        rows = list_rows(con, wanted)
    if not rows:
        console.print(f"no {' or '.join(wanted)} messages")
        return
    for mid, st, category, to, minutes, reason in rows[:limit]:  # lines, not a table: ids copy whole
        console.print(f"{mid}  {st:<11} {age(minutes):>7}  {category}  {escape(to)}", highlight=False)
        if reason:
            console.print(f"    {escape(reason)}", highlight=False, soft_wrap=True)
    more = f" (first {limit} shown)" if len(rows) > limit else ""
    console.print(f"{len(rows)} message(s){more}")
    if any(r[1] in ("held", "unconfirmed") for r in rows):
        console.print("held or unconfirmed: check SendGrid's Email Activity for the recipient, then "
                      "`steward outbox release ID…` to send it, or `--as-sent` if it arrived")


@outbox_app.command()
def release(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Message ids or idempotency keys (from `list`).")] = None,
    all_unconfirmed: Annotated[bool, typer.Option(
        "--all-unconfirmed", help="Every held and unconfirmed message.")] = False,
    as_sent: Annotated[bool, typer.Option(
        "--as-sent", help="You found it delivered: record it as sent instead of sending it again.")] = False,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Queue held or unconfirmed messages to send on the next drain, after you checked they never arrived.

    Example: steward outbox release m3f2a9c0e1d4b5a6c7d8e9f0 (then `steward deliver`)
    """
    from flows.delivery.held import release as do_release
    from flows.warehouse import session

    if bool(ids) == all_unconfirmed:
        _fail("name the message ids to release, or pass --all-unconfirmed (not both)")
    cfg = build_config(config, workspace)
    with session(cfg.path("warehouse")) as con:
        n, unknown = do_release(con, ids or [], as_sent)
    if unknown:
        _fail(f"not held or unconfirmed (see `steward outbox list`): {', '.join(unknown)}; nothing released")
    console.print(f"[green]✓[/] {n} message(s) " + ("recorded as sent" if as_sent else
                                                     "queued again: `steward deliver` sends them"))
