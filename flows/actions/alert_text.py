"""What an alert says to a person: a headline and one or two sentences per rule.

fct_alert_candidates carries each alert's facts as JSON `details` (keys per rule, see
dbt_project/docs/alerts.md); this module turns them into prose with names, money and dates,
so no digest shows a key/value dump, an internal id or a Python None. A rule without a
wording here falls back to its title alone (never a dump).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from flows.reports.formatting import SEGMENT_LABELS, day, money, month_name, plural

Names = dict[str, str]  # user_id -> person's name
Wording = Callable[[dict, Names, str], tuple[str, str]]


def _num(v: Any, digits: int = 0) -> str:
    return f"{float(v):,.{digits}f}" if v is not None else "–"


def _label(key: str | None) -> str:
    return (key or "").replace("_", " ")


def health_dip(d: dict, names: Names, cur: str) -> tuple[str, str]:
    drop = abs(float(d.get("change_7d") or 0))
    text = f"Health fell {_num(drop, 1)} points in 7 days, to {_num(d.get('health_score'))} ({d.get('band')})."
    if d.get("top_mover"):
        text += f" The component that moved most: {_label(d['top_mover'])}."
    return f"Health down {_num(drop)} points in a week", text


def health_trend(d: dict, names: Names, cur: str) -> tuple[str, str]:
    weeks = d.get("weeks")
    return (f"Health falling for {weeks} weeks",
            f"Health has fallen {weeks} weeks in a row, from {_num(d.get('score_weeks_ago'))} "
            f"to {_num(d.get('health_score'))}.")


def renewal_window(d: dict, names: Names, cur: str) -> tuple[str, str]:
    text = (f"Renews on {day(d.get('renewal_date'))}, in {plural(int(d['days_to_renewal']), 'day')}, "
            f"with {money(d.get('arr'), cur)} ARR.")
    if d.get("is_cancelling"):
        text += " The customer has set the subscription to cancel."
    head = f"Renewal in {plural(int(d['days_to_renewal']), 'day')}"
    return (head + ", set to cancel" if d.get("is_cancelling") else head), text


def touchpoint_trend(d: dict, names: Names, cur: str) -> tuple[str, str]:
    if "sentiment_90d" in d:
        return ("Touchpoint sentiment falling",
                f"Average sentiment of touchpoints fell from {float(d['sentiment_prior_90d']):+.2f} to "
                f"{float(d['sentiment_90d']):+.2f} (last 90 days against the 90 before; -1 to +1).")
    cadence = f"the agreed cadence is every {d.get('cadence_days')} days"
    if d.get("cadence_phase"):
        cadence += f" in the {_label(d['cadence_phase'])} phase"
    if not d.get("last_touchpoint_date"):
        return "No touchpoint on record", f"No touchpoint is on record; {cadence}."
    days = int(d["days_since_last_touchpoint"])
    return (f"No touchpoint for {days} days",
            f"The last touchpoint was on {day(d['last_touchpoint_date'])}, {days} days ago; {cadence}.")


def champion_lost(d: dict, names: Names, cur: str) -> tuple[str, str]:
    return ("Champion lost",
            f"The last champion left on {day(d.get('champion_lost_date'))}. Find a new one before the "
            "next renewal conversation.")


def mrr_dip(d: dict, names: Names, cur: str) -> tuple[str, str]:
    drop = abs(float(d.get("change_pct") or 0))
    return (f"MRR down {drop:.0f}%",
            f"MRR fell {drop:.1f}% in {month_name(d['month'])}, from {money(d.get('previous_mrr'), cur)} "
            f"to {money(d.get('mrr'), cur)}.")


def churn_scope(slice_: str, value: str, names: Names) -> str:
    """'the portfolio', 'the mid market segment', 'Maya Martin's book', 'unassigned accounts'."""
    if slice_ == "portfolio":
        return "the portfolio"
    if slice_ == "segment":
        return f"the {SEGMENT_LABELS.get(value, _label(value))} segment"
    if value == "unassigned":
        return "accounts without a CSM"
    return f"{names.get(value, 'an unnamed CSM')}'s book"


def churn_tolerance(d: dict, names: Names, cur: str) -> tuple[str, str]:
    scope = churn_scope(d.get("slice", ""), d.get("slice_value", ""), names)

    def part(what: str, rate: Any, tol: Any) -> str:
        over = float(rate) > float(tol)
        return f"{what} churn {float(rate):.2f}% ({'over' if over else 'within'} its {float(tol):.1f}% tolerance)"

    return (f"Churn over tolerance in {month_name(d['month'])}: {scope}",
            f"In {month_name(d['month'])}, {scope} had "
            f"{part('logo', d['logo_churn_pct'], d['logo_tolerance_pct'])} and "
            f"{part('revenue', d['revenue_churn_pct'], d['revenue_tolerance_pct'])}.")


def _tasks(d: dict, names: Names, cur: str, overdue: bool) -> tuple[str, str]:
    n = int(d.get("count") or 1)
    when = f"overdue since {day(d['due_date'])}" if overdue else f"due on {day(d['due_date'])}"
    if n == 1 and d.get("tasks"):
        late = f" ({plural(int(d['days_overdue']), 'day')})" if overdue and d.get("days_overdue") else ""
        return d["tasks"], f"{when[0].upper()}{when[1:]}{late}."
    return f"{plural(n, 'task')} {when}", (d.get("tasks") or "").replace("; ", "\n")


def task_due(d: dict, names: Names, cur: str) -> tuple[str, str]:
    return _tasks(d, names, cur, overdue=False)


def task_overdue(d: dict, names: Names, cur: str) -> tuple[str, str]:
    return _tasks(d, names, cur, overdue=True)


def csm_late_tasks(d: dict, names: Names, cur: str) -> tuple[str, str]:
    who = d.get("csm") or "A CSM"
    window = f"the last {d['window_days']} days" if d.get("window_days") else "the alert window"
    return (f"{who} is missing task deadlines",
            f"{who} finished {d['late_or_open']} of {d['tasks_due']} tasks due in {window} late, "
            f"or has not finished them ({float(d['late_pct']):.0f}%).")


def payment_overdue(d: dict, names: Names, cur: str) -> tuple[str, str]:
    n, amount = int(d.get("overdue_invoices") or 0), money(d.get("overdue_amount"), cur)
    due = f"{day(d.get('oldest_due_date'))}, {d.get('days_overdue')} days ago"
    if n == 1:
        return f"Invoice unpaid, {amount}", f"An invoice of {amount} is unpaid; it was due on {due}."
    return (f"{n} invoices unpaid, {amount}",
            f"{n} invoices totalling {amount} are unpaid; the oldest was due on {due}.")


def feature_dip(d: dict, names: Names, cur: str) -> tuple[str, str]:
    feature = _label(d.get("feature"))
    text = (f"Use of {feature} fell {float(d['drop_pct']):.0f}%: {d['events_30d']} events in the last 30 days "
            f"against {d['events_prior_30d']} in the 30 before.")
    if d.get("last_used_date"):
        text += f" Last used on {day(d['last_used_date'])}."
    return f"Use of {feature} down {float(d['drop_pct']):.0f}%", text


def churn_risk(d: dict, names: Names, cur: str) -> tuple[str, str]:
    pct = round(100 * float(d["churn_probability"]))
    drivers = d.get("drivers")
    texts = [x["text"] for x in (json.loads(drivers) if isinstance(drivers, str) else drivers or [])]
    text = (f"The churn model puts the chance this account churns within 90 days at {pct}% "
            f"({d.get('churn_band')} risk).")
    if texts:
        text += " What moves it most: " + "; ".join(texts) + "."
    return f"Churn risk {pct}% within 90 days", text


RULES: dict[str, Wording] = {
    "health_dip": health_dip, "health_trend": health_trend, "renewal_window": renewal_window,
    "touchpoint_trend": touchpoint_trend, "champion_lost": champion_lost, "mrr_dip": mrr_dip,
    "churn_tolerance": churn_tolerance, "task_due": task_due, "task_overdue": task_overdue,
    "csm_late_tasks": csm_late_tasks, "payment_overdue": payment_overdue, "feature_dip": feature_dip,
    "churn_risk": churn_risk,
}


RULE_LABELS = {
    "health_dip": "Health", "health_trend": "Health", "renewal_window": "Renewal",
    "touchpoint_trend": "Engagement", "champion_lost": "Champion", "mrr_dip": "Revenue",
    "churn_tolerance": "Churn", "feature_dip": "Usage", "task_due": "Tasks", "task_overdue": "Tasks",
    "csm_late_tasks": "Team", "payment_overdue": "Billing", "churn_risk": "Churn risk",
}


def describe(rule: str, details: dict, title: str, names: Names, currency: str = "USD") -> tuple[str, str]:
    """(headline, sentence) for one alert; the rule's title when the facts are missing."""
    wording = RULES.get(rule)
    if wording is None:
        return title, ""
    try:
        return wording(details, names, currency)
    except (KeyError, TypeError, ValueError):
        return title, ""  # facts of an older alert version: the stored title still reads well
