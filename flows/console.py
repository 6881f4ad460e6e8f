"""Rich rendering for the CLI: a progress reporter and the run summary."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(highlight=False)


class RichReporter:
    """Stage lines with a progress bar for stages that know their size."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task = None
        self._started = time.perf_counter()

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage(self, name: str, total: int | None = None) -> None:
        self._close()
        self._started = time.perf_counter()
        console.print(f"[bold cyan]▸ {escape(name)}[/]")
        if total:
            self.resize(total)

    def resize(self, total: int) -> None:
        """Show a bar of `total` steps for the current stage (once its size is known)."""
        if self._progress is None:
            self._progress = Progress(TextColumn("  "), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("", total=total)
        else:
            self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def done(self, message: str) -> None:
        self._close()
        seconds = time.perf_counter() - self._started
        console.print("  [green]✓[/] " + escape(message) + f" [dim]({seconds:.1f} s)[/]")

    def note(self, message: str) -> None:
        console.print("  [yellow]![/] " + escape(message))


def print_summary(summary: dict, seconds: float) -> None:
    """The end-of-run summary: what was loaded, built, opened and sent, and where to look."""
    t = Table(title=f"Steward run for as-of {summary['as_of']} ({seconds:.1f} s)", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    act = summary.get("actions") or {}
    if act.get("applied") or act.get("rejected") or act.get("unchanged"):  # steward serve's action log
        done = ", ".join(f"{k} {v}" for k, v in sorted(act["applied"].items())) or "none"
        t.add_row("serve actions", f"applied: {done}; {act['unchanged']} unchanged, {act['rejected']} rejected "
                                   "(ops.serve_actions)")
    loaded = summary["rows_loaded"]
    t.add_row("rows loaded", ", ".join(f"{k} {v:,}" for k, v in loaded.items() if v) or "0 (all files already loaded)")
    if summary.get("files_skipped"):
        t.add_row("files skipped", f"{summary['files_skipped']} unchanged (load ledger)")
    if summary.get("missing_tables"):
        t.add_row("not in landing", ", ".join(summary["missing_tables"]))
    q = summary.get("quality")
    if q:
        bad = ", ".join(f"{k} {v:,}" for k, v in q["quarantined"].items())
        t.add_row("quality gate", f"{q['rows_checked']:,} rows checked, "
                                  + (f"quarantined: {bad} (see quarantine.<table>)" if bad else "0 quarantined"))
        for r in q.get("rules", []):  # why rows were moved, without querying quarantine.<table>
            t.add_row("", escape(f"{r['rule']}: {r['rows']:,} row(s), e.g. {r['example']}"))
        for note in q.get("notes", []):
            t.add_row("", escape(note))
        if q.get("docs"):
            t.add_row("quality page", q["docs"])
    t.add_row("dbt", f"{summary['models_built']} models built, {summary['tests_passed']} tests passed"
              + (f", {summary['dbt']['models_skipped']} skipped" if summary.get("dbt", {}).get("models_skipped") else ""))
    for line in summary.get("dbt", {}).get("because", []) if summary.get("dbt", {}).get("mode") != "full" else []:
        t.add_row("", escape(f"built: {line}"))
    for line in summary.get("dbt", {}).get("skipped", []):
        t.add_row("", escape(f"skipped {line}"))
    if summary.get("identity"):  # other systems' ids matched onto CRM accounts (docs/identity.md)
        from flows.identity import lines as identity_lines

        for i, line in enumerate(identity_lines(summary["identity"])):
            t.add_row("identity" if i == 0 else "", escape(line))
    ph = summary.get("phases")
    if ph:
        t.add_row("journey phases", "skipped (a later day is already recorded)" if ph.get("skipped_backfill") else
                  f"{ph['entered']} new, {ph['changed']} changed, {ph['unchanged']} unchanged")
    o = summary.get("assignments") or {}
    if o:
        t.add_row("ownership", f"skipped: {o['skipped']}" if o.get("skipped") else
                  f"{o['assigned']} assigned, {o['released']} released, {o['kept']} kept, {o['unfilled']} unfilled; "
                  f"pooled to-dos {o['contacts_created']} created, {o['contacts_open']} open")
    a = summary["alerts"]
    t.add_row("alerts", "skipped (a later day is already reconciled)" if a.get("skipped_backfill") else
              f"{a['opened']} opened, {a['reopened']} reopened, {a['resolved']} resolved, "
              f"{a['persisting']} still active")
    pb = summary.get("playbooks")
    if pb:
        t.add_row("playbooks", "skipped (a later day is already recorded)" if pb.get("skipped_backfill") else
                  f"{pb['started']} started, {pb['held_out']} held out, {pb['tasks_created']} tasks, "
                  f"{pb['emails_queued']} emails, {sum(pb['closed'].values())} closed")
    sv = summary.get("surveys")
    if sv:
        invited = ", ".join(f"{k} {v}" for k, v in sorted(sv["invited"].items())) or "0"
        later = sum(sv.get("not_yet", {}).values())
        t.add_row("surveys", "skipped (a later day already has invitations)" if sv.get("skipped_backfill") else
                  f"invited: {invited}; {sv['responses_recorded']} answer(s) recorded"
                  + (f"; {later} NPS due later (max_per_run)" if later else ""))
    cp = summary.get("campaigns")
    if cp:
        t.add_row("campaigns", _campaign_cell(cp))
    e = summary["emails"]
    queued = (a.get("digests_queued") or 0) + sum(
        (summary.get(k) or {}).get("emails_queued") or 0 for k in ("playbooks", "campaigns", "surveys"))
    line = f"{queued} queued, {e['sent']} sent, {e['failed']} failed"
    extra = {"recovered": "recovered after an interrupted send", "deferred": "deferred",
             "suppressed": "suppressed", "unconfirmed": "unconfirmed (settled after SendGrid's activity window)",
             "resent": "resent (policy resend)", "held": "held for review (steward outbox list --status held)"}
    line += "".join(f", {e[k]} {label}" for k, label in extra.items() if e.get(k))
    if e.get("aborted"):
        line += f"; sending stopped: {e['aborted']}"
    waiting = [p for p in e.get("pending") or [] if p["status"] != "queued" or p["reason"].startswith("deferred")]
    if waiting:  # still waiting from any run, by reason: held mail is never invisible
        from flows.delivery.held import describe_pending

        line += "\nnot sent yet: " + "; ".join(describe_pending(waiting))
    t.add_row("emails", line)
    sh = summary.get("shadow")
    if sh:
        t.add_row("shadow mode", f"{sh['emails_held']} email(s) held back, nothing sent to customers or CSMs; "
                                 "summary to recipients.data_team")
    t.add_row("warehouse", summary["warehouse"])
    pub = summary.get("published") or {}
    if pub:
        t.add_row("analyst copy", f"{pub['path']} ({pub['tables']} tables, published in {pub['seconds']:.1f} s)")
    t.add_row("outbox", summary["outbox"])
    console.print(t)
    console.print(
        "Query the marts:  [bold]steward sql \"select * from marts.dim_accounts limit 5\"[/]\n"
        f"  or in Python:   duckdb.connect('{pub.get('path', summary['warehouse'])}', read_only=True)"
    )


def _campaign_cell(cp: dict) -> str:
    """Campaign emails scheduled and queued this run, and why some wait (window, rate, cap)."""
    if cp.get("skipped_backfill"):
        return "skipped (a later day is already scheduled)"
    per = ", ".join(f"{k} {v}" for k, v in sorted(cp["queued"].items()))
    line = f"{sum(cp['scheduled'].values())} scheduled, "
    line += (f"none queued: outside the send window {cp['window']}" if cp.get("window_closed")
             else f"{sum(cp['queued'].values())} queued" + (f" ({per})" if per else ""))
    if cp.get("pending"):
        line += f", {cp['pending']} pending"
    left_out = sum(cp.get("excluded", {}).values())
    if left_out:
        line += f", {left_out} left out (unsubscribed, left, suppressed)"
    return line
