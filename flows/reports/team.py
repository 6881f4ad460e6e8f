"""Team reports: weekly performance / leaderboard for the CS leader, daily to-do per CSM.

The leaderboard is marts.rpt_team_performance and the to-do list marts.rpt_csm_todo; alerts in
the to-do are ops.alerts as today's reconcile left them (state, not a computed number).
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from flows.actions.alert_text import RULE_LABELS, describe
from flows.actions.sender import person_name, team_names  # noqa: F401 (reports.flow greets with person_name)
from flows.reports import charts
from flows.reports.formatting import (BAD, BAND_COLOURS, Cell, NEUTRAL, day, delta, health, money, number, pct,
                                      plural)
from flows.reports.model import Chart, Item, Kpi, ReportContent, Table, rows
from flows.reports.revenue import closed_month, closed_week, month_name

SEVERITY_COLOURS = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}
ROLE_LABELS = {"csm": "CSM", "renewal_manager": "Renewal manager", "onboarding_specialist": "Onboarding"}


def team_performance(con: duckdb.DuckDBPyConnection, as_of: date, currency: str = "USD") -> ReportContent:
    """Per team member: book of business, health mix, tasks on time, deadlines kept, retention."""
    month, (monday, sunday) = closed_month(as_of), closed_week(as_of)
    r = ReportContent("team", "Team performance", as_of,
                      period=f"The week of {day(monday)} to {day(sunday)}; book and overdue tasks on {day(as_of)}; "
                             f"retention for {month_name(month)}, the month that closed.")
    data = rows(con, """select * from marts.rpt_team_performance
                        order by case role when 'csm' then 0 else 1 end, t12_nrr desc nulls last,
                                 total_arr desc, member_name""")
    done, prior, year = (sum(d[k] for d in data) for k in ("count_tasks_completed_week",
                                                            "count_tasks_completed_prior_week",
                                                            "count_tasks_completed_year_ago_week"))
    on_time = sum(d["count_tasks_on_time_week"] for d in data)
    late = [d for d in data if d["is_missing_deadlines"]]
    r.kpis += [Kpi("Accounts owned", number(sum(d["count_accounts"] for d in data))),
               Kpi("ARR owned", money(sum(d["total_arr"] for d in data), currency, compact=True)),
               Kpi("Red accounts", number(sum(d["count_red_accounts"] for d in data)),
                   colour=BAND_COLOURS["red"][0]),
               Kpi("Tasks done last week", number(done),
                   [x for x in (delta(done, prior, "count", "the week before"),
                                delta(done, year, "count", "a year earlier")) if x]),
               Kpi("Done on time", pct(on_time / done if done else None, 0)),
               Kpi("Tasks overdue now", number(sum(d["count_tasks_overdue"] for d in data)),
                   colour=BAD if any(d["count_tasks_overdue"] for d in data) else None),
               Kpi("People missing deadlines", number(len(late)), colour=BAD if late else None)]
    if late:
        r.intro = "Missing task deadlines: " + ", ".join(d["member_name"] for d in late) + "."
    books = [d for d in data if d["count_accounts"]]
    if books:
        r.charts.append(Chart("health_mix", "Health of each CSM's paying accounts: red, amber, green, no data",
                              charts.stacked_hbars("Account health by CSM", [d["member_name"] for d in books],
                                                   {"red": [d["count_red_accounts"] for d in books],
                                                    "amber": [d["count_amber_accounts"] for d in books],
                                                    "green": [d["count_green_accounts"] for d in books],
                                                    "no data": [d["count_accounts_without_health"] for d in books]},
                                                   {"red": BAND_COLOURS["red"][0], "amber": "#f5b041",
                                                    "green": "#3d9a6a", "no data": "#cbd2d9"})))
    r.tables.append(Table("Leaderboard", ["Name", "Role", "Accounts", "ARR", "Red", "Done last week (on time)",
                                          "Overdue now", "Deadlines missed", "Alerts resolved last week",
                                          f"12-month NRR, {month:%b %Y}"],
                          [[d["member_name"], ROLE_LABELS.get(d["role"], d["role"]), number(d["count_accounts"]),
                            money(d["total_arr"], currency), Cell(number(d["count_red_accounts"]),
                                                                  BAND_COLOURS["red"][0] if d["count_red_accounts"]
                                                                  else None),
                            f"{d['count_tasks_completed_week']} ({d['count_tasks_on_time_week']})",
                            number(d["count_tasks_overdue"]),
                            Cell(f"{d['count_tasks_late_window']} of {d['count_tasks_due_window']}",
                                 BAD if d["is_missing_deadlines"] else None, bold=d["is_missing_deadlines"]),
                            number(d["count_alerts_resolved_week"]), pct(d["t12_nrr"])] for d in data],
                          "No active team members.", numeric=(2, 3, 4, 5, 6, 7, 8, 9),
                          intro="Deadlines missed: tasks due in the alert window finished late or still open; "
                                "red when it reaches the missed-deadlines alert's threshold."))
    return r


# One query per to-do source: the shared path (every CSM at once, grouped in Python) and the
# per-CSM path add their filter in front of the same ORDER BY, so each CSM's rows come in the same order.
_TODO_SQL = """select * from marts.rpt_csm_todo where {where}
               order by {first}case status when 'due_today' then 0 when 'overdue' then 1
                        when 'due_soon' then 2 else 3 end,
                        case when status = 'overdue' then days_overdue end,
                        due_date, days_since_last_touchpoint desc nulls first, account_name, title"""
_ALERTS_SQL = """select a.owner_id, a.alert_id, a.rule, a.title, a.details, a.severity, a.first_as_of, a.account_id,
                        d.account_name
                 from ops.alerts a left join marts.dim_accounts d using (account_id)
                 where {where} and a.status = 'open'
                   and a.rule not in ('task_due', 'task_overdue')  -- listed as tasks above
                 order by {first}case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end,
                          a.first_as_of, d.account_name, a.alert_id"""


def _by_owner(found: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in found:
        out.setdefault(r["owner_id"], []).append(r)
    return out


def _alert_items(con: duckdb.DuckDBPyConnection, user_id: str, currency: str, alerts: list[dict] | None = None,
                 names: dict[str, str] | None = None) -> list[Item]:
    if alerts is None:
        alerts = rows(con, _ALERTS_SQL.format(where="a.owner_id = ?", first=""), [user_id])
    names = team_names(con) if names is None else names
    items = []
    for a in alerts:
        headline, text = describe(a["rule"], json.loads(a["details"] or "{}"), a["title"], names, currency)
        items.append(Item(headline, a["account_name"] or "", f"{text} Open since {day(a['first_as_of'])}.".strip(),
                          f"{a['severity']} · {RULE_LABELS.get(a['rule'], a['rule'])}",
                          SEVERITY_COLOURS.get(a["severity"], NEUTRAL), links=[], ref=("alert", a["alert_id"])))
    return items


SOURCE_LABELS = {"crm": "from the CRM", "playbook": "playbook step", "pooled_contact": "pooled reach-out",
                 "cadence": "touchpoint cadence"}


def _task_item(t: dict) -> Item:
    when = {"overdue": f"Overdue since {day(t['due_date'])} ({plural(int(t['days_overdue'] or 0), 'day')})",
            "due_today": "Due today", "due_soon": f"Due on {day(t['due_date'])}"}[t["status"]]
    colour = {"overdue": "#b42318", "due_today": "#b54708"}.get(t["status"], "#175cd3")
    source = SOURCE_LABELS.get(t["source"] or "", (t["source"] or "").replace("_", " "))
    return Item(t["title"], t["account_name"] or "", f"{when}; {source}.", t["status"].replace("_", " "),
                colour, links=[], ref=("task", t["item_id"]))  # links: action buttons (steward serve)


MAX_ITEMS = 12  # per section: a to-do list is read on a phone before 9 am


def _capped(items: list[Item], noun: str) -> list[Item]:
    """The first MAX_ITEMS items and one line for the rest (the CSM page lists them all)."""
    if len(items) <= MAX_ITEMS:
        return items
    rest = len(items) - MAX_ITEMS
    return [*items[:MAX_ITEMS], Item(f"And {plural(rest, 'more ' + noun)}", colour="#cbd2d9")]


def todo_digests(con: duckdb.DuckDBPyConnection, as_of: date, currency: str = "USD",
                 shared: bool = True) -> list[tuple[str, ReportContent]]:
    """One to-do digest per active CSM with anything to do: open alerts, due and overdue tasks,
    accounts due a touchpoint (marts.rpt_csm_todo).

    shared: read the to-dos and alerts of every CSM in one query each (at L, 2,000 CSMs: two
    queries instead of 6,000); False queries per CSM (the same pages; kept to test that)."""
    csms = rows(con, "select user_id, display_name, email from marts.dim_team where role = 'csm' and is_active "
                     "order by user_id")
    in_team = "owner_id in (select user_id from marts.dim_team where role = 'csm' and is_active)"
    todo_of = _by_owner(rows(con, _TODO_SQL.format(where=in_team, first="owner_id, "))) if shared else {}
    alerts_of = _by_owner(rows(con, _ALERTS_SQL.format(where="a." + in_team, first="a.owner_id, "))) if shared else {}
    names = team_names(con) if shared else None
    out = []
    for csm in csms:
        # today's first, then the most recently overdue (old CRM leftovers last), then the week ahead
        todo = (todo_of.get(csm["user_id"], []) if shared else
                rows(con, _TODO_SQL.format(where="owner_id = ?", first=""), [csm["user_id"]]))
        tasks = [t for t in todo if t["item_kind"] == "task"]
        touch = [t for t in todo if t["item_kind"] == "touchpoint"]
        alerts = _alert_items(con, csm["user_id"], currency, alerts_of.get(csm["user_id"], []) if shared else None,
                              names)
        overdue = sum(t["status"] == "overdue" for t in tasks)
        r = ReportContent("todo", "Your to-do list", as_of, recipient_name=csm["display_name"],
                          subject_line=f"Your day, {day(as_of)}: {plural(len(tasks), 'task')}"
                                       f"{f' ({overdue} overdue)' if overdue else ''}, "
                                       f"{plural(len(alerts), 'open alert')}")
        r.intro = "Here is what needs you today, most urgent first."
        r.kpis += [Kpi("Tasks overdue", number(overdue), colour=BAD if overdue else None),
                   Kpi("Tasks due in 7 days", number(len(tasks) - overdue)),
                   Kpi("Open alerts", number(len(alerts))),
                   Kpi("Accounts due a touchpoint", number(len(touch)))]
        r.sections.append(("Tasks", _capped([_task_item(t) for t in tasks], "task"),
                           "No tasks due in the next 7 days."))
        r.sections.append(("Open alerts", _capped(alerts, "open alert"), "No open alerts."))
        r.tables.append(Table("Accounts due a touchpoint", ["Account", "Health", "Last touchpoint", "Cadence"],
                              [[t["account_name"], health(t["health_score"], t["health_band"]),
                                f"{t['days_since_last_touchpoint']} days ago"
                                if t["days_since_last_touchpoint"] is not None else "never",
                                f"every {t['cadence_days']} days"] for t in touch],
                              "Every account is within its cadence."))
        if len(touch) > MAX_ITEMS:
            r.tables[-1].rows = r.tables[-1].rows[:MAX_ITEMS]
            r.tables[-1].intro = f"The {MAX_ITEMS} longest without contact of {len(touch)}."
        if alerts or tasks or touch:
            out.append((csm["email"], r))
    return out
