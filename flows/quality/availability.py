"""What the landed data can and cannot tell: per signal, feature, health component and alert rule.

Shared by the run summary (one warning per configured thing the data never shows) and by
`steward check` (the onboarding profile). Reads raw.<table> only, so it works on a throwaway
check database as well as on the warehouse after ingest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb

from flows.config import Config
from flows.ingest.contract import TABLES

# Per health component: the table it needs, and (optionally) a SQL condition its rows must meet.
COMPONENT_SOURCES = {
    "usage_depth": ("usage_events", "user_id is not null"),  # (table, condition) -> reason below
    "usage_breadth": ("usage_events", "feature in ({key})"),
    "sticky_features": ("usage_events", "feature in ({sticky})"),
    "usage_trend": ("usage_events", None),
    "engagement_recency": ("touchpoints", None),
    "support": ("support_tickets", None),
    "sentiment": ("survey_responses", None),
    "payment_health": ("invoices", None),
    "champion": ("contacts", None),
}
SKIP_REASONS = {"usage_depth": "usage_events carry no user ids",
                "usage_breadth": "no health.key_features in usage_events",
                "sticky_features": "no health.sticky_features in usage_events"}
# Per alert rule: the tables its signal comes from (all must have rows for it to ever fire).
RULE_SOURCES = {
    "health_dip": ("subscriptions",), "health_trend": ("subscriptions",),
    "renewal_window": ("subscriptions",), "mrr_dip": ("subscriptions",), "churn_tolerance": ("subscriptions",),
    "touchpoint_trend": ("touchpoints",), "champion_lost": ("contacts",), "feature_dip": ("usage_events",),
    "task_due": ("tasks",), "task_overdue": ("tasks",), "csm_late_tasks": ("tasks", "team"),
    "payment_overdue": ("invoices",),
}
DATE_COLUMNS = {"accounts": "created_at", "contacts": None, "team": None, "touchpoints": "occurred_at",
                "tasks": "due_at", "subscriptions": "start_date", "invoices": "issued_at",
                "usage_events": "occurred_at", "support_tickets": "opened_at", "survey_responses": "responded_at"}


@dataclass
class Profile:
    """The data profile `steward check` prints (and `--json` emits)."""

    tables: dict[str, dict] = field(default_factory=dict)  # rows, first, last
    signals: dict[str, dict] = field(default_factory=dict)  # accounts with data / of accounts
    features: dict[str, bool] = field(default_factory=dict)  # configured feature -> ever seen
    components: dict[str, str] = field(default_factory=dict)  # active | skipped: reason
    alert_rules: dict[str, str] = field(default_factory=dict)  # active | inactive: reason
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _rows(con, table: str, where: str | None = None) -> int:
    try:
        return con.execute(f"select count(*) from raw.{table}" + (f" where {where}" if where else "")).fetchone()[0]
    except duckdb.Error:
        return 0


def _quote(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def feature_warnings(con, config: Config) -> list[str]:
    """One line per feature list whose configured features the usage data never shows."""
    if not _rows(con, "usage_events"):
        return []
    seen = {r[0] for r in con.execute("select distinct cast(feature as varchar) from raw.usage_events").fetchall()}
    out = []
    for key, names, component in (("key_features", config.health.key_features, "usage_breadth"),
                                  ("sticky_features", config.health.sticky_features, "sticky_features")):
        missing = [f for f in names if f not in seen]
        if len(missing) == len(names):
            out.append(f"health.{key} ({', '.join(names)}) never seen in usage_events: {component} skipped")
        elif missing:
            out.append(f"health.{key} {', '.join(missing)} never seen in usage_events: {component} counts "
                       f"only the {len(names) - len(missing)} seen")
    if not _rows(con, "usage_events", "user_id is not null"):
        out.append("usage_events carry no user ids: active users, utilisation and usage_depth are unknown (null)")
    return out


def profile(con, config: Config) -> Profile:
    """Profile the raw tables of a landing just loaded into `con`."""
    p = Profile()
    for name, table in TABLES.items():
        n = _rows(con, name)
        col = DATE_COLUMNS.get(name)
        first = last = None
        if n and col:
            first, last = con.execute(f"select min(try_cast(\"{col}\" as date)), max(try_cast(\"{col}\" as date)) "
                                      f"from raw.{name}").fetchone()
        p.tables[name] = {"rows": n, "first": str(first) if first else None, "last": str(last) if last else None}
    accounts = _rows(con, "accounts")
    for name, table in TABLES.items():
        if name == "accounts" or not any(c.name == "account_id" for c in table.columns):
            continue
        with_data = con.execute(f"select count(distinct account_id) from raw.{name}").fetchone()[0] if \
            p.tables[name]["rows"] else 0
        p.signals[name] = {"accounts_with_data": with_data, "accounts": accounts}
    if p.tables["usage_events"]["rows"]:
        with_users = con.execute("select count(distinct account_id) from raw.usage_events "
                                 "where user_id is not null").fetchone()[0]
        p.signals["usage_events (with user ids)"] = {"accounts_with_data": with_users, "accounts": accounts}
    seen = set()
    if p.tables["usage_events"]["rows"]:
        seen = {r[0] for r in con.execute("select distinct cast(feature as varchar) from raw.usage_events").fetchall()}
    for f in dict.fromkeys(config.health.key_features + config.health.sticky_features):
        p.features[f] = f in seen
    fmt = {"key": _quote(config.health.key_features), "sticky": _quote(config.health.sticky_features)}
    for comp, (table, cond) in COMPONENT_SOURCES.items():
        weight = config.health.weights.get(comp, 0)
        if not weight:
            p.components[comp] = "skipped: weight 0"
        elif not p.tables[table]["rows"]:
            p.components[comp] = f"skipped: no {table}"
        elif cond and not _rows(con, table, cond.format(**fmt)):
            p.components[comp] = "skipped: " + SKIP_REASONS.get(comp, f"no {table} rows with {cond}")
        else:
            p.components[comp] = "active"
    for rule, settings in config.alerts.rules().items():
        missing = [t for t in RULE_SOURCES.get(rule, ()) if not p.tables[t]["rows"]]
        if not settings.enabled:
            p.alert_rules[rule] = "inactive: disabled in steward.yml"
        elif missing:
            p.alert_rules[rule] = f"inactive: no {', '.join(missing)}"
        elif rule.startswith("health_") and not any(v == "active" for v in p.components.values()):
            p.alert_rules[rule] = "inactive: no health component has data"
        else:
            p.alert_rules[rule] = "active"
    p.warnings = feature_warnings(con, config)
    return p
