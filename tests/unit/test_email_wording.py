"""What people read: alert sentences per rule, number formatting, and the rendered text of a digest
and a report, pinned word for word (update the expected text when the wording is meant to change)."""

from __future__ import annotations

from datetime import date

import pytest

from flows.actions.alert_text import RULES, describe
from flows.reports.formatting import delta, health, money, pct
from flows.reports.model import Item, Kpi, ReportContent, Table

NAMES = {"U001": "Maya Martin"}

# one case per rule of the catalogue: (rule, details as fct_alert_candidates writes them, headline, sentence)
CASES = [
    ("health_dip", {"health_score": 44.0, "change_7d": -35.0, "band": "amber", "top_mover": "usage_trend"},
     "Health down 35 points in a week",
     "Health fell 35.0 points in 7 days, to 44 (amber). The component that moved most: usage trend."),
    ("health_trend", {"weeks": 3, "health_score": 54.6, "score_weeks_ago": 70.3},
     "Health falling for 3 weeks", "Health has fallen 3 weeks in a row, from 70 to 55."),
    ("renewal_window", {"window_days": 30, "days_to_renewal": 20, "renewal_date": "2026-12-21", "arr": 24000.0,
                        "is_cancelling": True},
     "Renewal in 20 days, set to cancel",
     "Renews on 21 Dec 2026, in 20 days, with $24,000 ARR. The customer has set the subscription to cancel."),
    ("touchpoint_trend", {"last_touchpoint_date": "2026-10-29", "days_since_last_touchpoint": 33,
                          "cadence_days": 30, "cadence_phase": None},
     "No touchpoint for 33 days",
     "The last touchpoint was on 29 Oct 2026, 33 days ago; the agreed cadence is every 30 days."),
    ("champion_lost", {"champion_lost_date": "2026-11-15"}, "Champion lost",
     "The last champion left on 15 Nov 2026. Find a new one before the next renewal conversation."),
    ("mrr_dip", {"month": "2026-11-01", "previous_mrr": 1000.0, "mrr": 750.0, "change_pct": -25.0},
     "MRR down 25%", "MRR fell 25.0% in November 2026, from $1,000 to $750."),
    ("churn_tolerance", {"month": "2026-11-01", "slice": "owner_csm", "slice_value": "U001", "logo_churn_pct": 1.67,
                         "revenue_churn_pct": 3.46, "logo_tolerance_pct": 2.0, "revenue_tolerance_pct": 1.5},
     "Churn over tolerance in November 2026: Maya Martin's book",
     "In November 2026, Maya Martin's book had logo churn 1.67% (within its 2.0% tolerance) and revenue churn "
     "3.46% (over its 1.5% tolerance)."),
    ("feature_dip", {"feature": "api", "events_30d": 40, "events_prior_30d": 100, "drop_pct": 60.0,
                     "last_used_date": "2026-11-28"},
     "Use of api down 60%", "Use of api fell 60%: 40 events in the last 30 days against 100 in the 30 before. "
     "Last used on 28 Nov 2026."),
    ("task_due", {"due_date": "2026-12-02", "count": 2, "tasks": "Call back (Acme Inc); Send deck (Acme Inc)",
                  "task_ids": ["K1", "K2"]},
     "2 tasks due on 2 Dec 2026", "Call back (Acme Inc)\nSend deck (Acme Inc)"),
    ("task_overdue", {"due_date": "2026-11-15", "count": 1, "tasks": "Schedule next check-in (Delta Robotics Co)",
                      "days_overdue": 16, "task_ids": ["K0001232"]},
     "Schedule next check-in (Delta Robotics Co)", "Overdue since 15 Nov 2026 (16 days)."),
    ("csm_late_tasks", {"csm": "Maya Martin", "tasks_due": 47, "late_or_open": 33, "late_pct": 70.2,
                        "window_days": 90},
     "Maya Martin is missing task deadlines",
     "Maya Martin finished 33 of 47 tasks due in the last 90 days late, or has not finished them (70%)."),
    ("payment_overdue", {"overdue_invoices": 2, "overdue_amount": 1380.0, "days_overdue": 52,
                         "oldest_due_date": "2026-10-10"},
     "2 invoices unpaid, $1,380",
     "2 invoices totalling $1,380 are unpaid; the oldest was due on 10 Oct 2026, 52 days ago."),
    ("churn_risk", {"churn_probability": 0.342, "churn_band": "high", "scored_on": "2026-11-30", "model_version": "v1",
                    "drivers": '[{"feature": "events_30d_change", "text": "usage in 30 days -45% \u2191 churn risk"}, '
                               '{"feature": "tickets_30d", "text": "ticket load in 30 days 9 \u2191 churn risk"}]'},
     "Churn risk 34% within 90 days",
     "The churn model puts the chance this account churns within 90 days at 34% (high risk). What moves it most: "
     "usage in 30 days -45% ↑ churn risk; ticket load in 30 days 9 ↑ churn risk."),
]


def test_every_rule_of_the_catalogue_has_a_wording():
    assert {c[0] for c in CASES} == set(RULES)


@pytest.mark.parametrize("rule,details,headline,sentence", CASES, ids=[c[0] for c in CASES])
def test_alert_reads_as_a_sentence(rule, details, headline, sentence):
    assert describe(rule, details, "stored title", NAMES) == (headline, sentence)


def test_unknown_facts_fall_back_to_the_title_never_a_dump():
    assert describe("mrr_dip", {}, "MRR down 25%", NAMES) == ("MRR down 25%", "")
    assert describe("a_new_rule", {"x_y": 1}, "Something happened", NAMES) == ("Something happened", "")


def test_churn_scope_names_people_not_ids():
    head, text = describe("churn_tolerance", {**CASES[6][1], "slice_value": "U999"}, "t", NAMES)
    assert "U999" not in head + text and "an unnamed CSM's book" in text
    head, _ = describe("churn_tolerance", {**CASES[6][1], "slice": "segment", "slice_value": "mid_market"}, "t", {})
    assert head.endswith("the mid-market segment")


@pytest.mark.parametrize("value,expected", [(None, "–"), (float("nan"), "–"), (1234567.4, "$1,234,567"),
                                            (-50, "-$50")])
def test_money(value, expected):
    assert money(value) == expected


def test_compact_money_percent_delta_and_health():
    assert money(1_234_567, compact=True) == "$1.23M" and money(85_000, "EUR", compact=True) == "€85k"
    assert pct(0.01234) == "1.2%" and pct(None) == "–"
    assert delta(0.03, 0.02, "pct", "October 2026", higher_is_better=False) == ("▲ 1.0 pts vs October 2026",
                                                                                "#b42318")
    assert delta(1.0, None, "pct", "x") is None  # unknown is not a change
    assert str(health(81.15, "green")) == "81 green" and health(None, None).text == "no data"


def test_digest_text_snapshot():
    from flows.delivery.render import render

    alerts = [dict(severity="critical", label="Churn", reminder=False, headline="Churn over tolerance",
                   account_name=None, scope="", owner_name=None, sentence="In November 2026, the portfolio had ...",
                   since="1 Dec 2026", links=[("Acknowledge", "https://steward.example/a/t1")], colour="#b42318"),
              dict(severity="info", label="Tasks", reminder=True, headline="2 tasks due on 2 Dec 2026",
                   account_name=None, scope="Your tasks", owner_name=None,
                   sentence="Call back (Acme Inc)\nSend deck (Acme Inc)",
                   since="1 Dec 2026", links=[], colour="#175cd3")]
    text, html = render("alert_digest", title="1 new alert and 1 reminder, 1 Dec 2026", recipient_name="Gita Rossi",
                        alerts=alerts, as_of=date(2026, 12, 1), leader=True)
    assert text == """Hello Gita Rossi,

These need your attention as CS leader. Each CSM has the alerts for their own accounts.

[CRITICAL · Churn] Churn over tolerance
  In November 2026, the portfolio had ...
  Open since 1 Dec 2026
  Acknowledge: https://steward.example/a/t1

[INFO · Tasks] Reminder: 2 tasks due on 2 Dec 2026
  Your tasks
  Call back (Acme Inc)
  Send deck (Acme Inc)
  Open since 1 Dec 2026

-- 
Sent by Steward for as-of date 2026-12-01."""
    assert "steward alerts" not in text + html  # never a CLI command in an email
    assert 'href="https://steward.example/a/t1"' in html and "Send deck (Acme Inc)" in html


def test_report_text_snapshot():
    r = ReportContent("todo", "Your to-do list", date(2026, 12, 1), recipient_name="Aisha Khan",
                      intro="Here is what needs you today, most urgent first.")
    r.kpis += [Kpi("Tasks overdue", "1", [("▲ 1 vs the 7 days before", "#b42318")]), Kpi("Open alerts", "0")]
    r.sections.append(("Tasks", [Item("Renewal call", "Acme Inc", "Overdue since 28 Nov 2026 (3 days).",
                                      "overdue")], "No tasks due."))
    r.sections.append(("Open alerts", [], "No open alerts."))
    r.tables.append(Table("Accounts due a touchpoint", ["Account", "Health"], [["Acme Inc", health(35.2, "red")]]))
    text, html, _ = r.render()
    assert text == """Your to-do list (as of 2026-12-01)
==================================

Hello Aisha Khan,

Here is what needs you today, most urgent first.

Tasks overdue: 1 (▲ 1 vs the 7 days before)
Open alerts: 0

Tasks
-----
- [overdue] Renewal call — Acme Inc
  Overdue since 28 Nov 2026 (3 days).

Open alerts
-----------
No open alerts.

Accounts due a touchpoint
-------------------------
Account | Health
Acme Inc | 35 red

-- 
Sent by Steward for as-of date 2026-12-01."""
    assert "background:#fef3f2" in html  # the red band is coloured in the HTML
