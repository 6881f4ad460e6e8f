"""The whole of steward.yml (`Config`) and the vars dbt reads from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from flows.config.alerts import Alerts
from flows.config.base import _Section, _require_unique_names
from flows.config.campaigns import Campaigns
from flows.config.delivery import Delivery, Recipients
from flows.config.health import Health
from flows.config.journey import Journey
from flows.config.ownership import Ownership
from flows.config.paths import Paths
from flows.config.playbooks import Playbook
from flows.config.reports import Reports
from flows.config.revenue import Revenue
from flows.config.runtime import Dbt, DuckDbSettings, ModelSettings, Publish, RunSettings, Serve
from flows.config.sources import Actions, Enumerations, SourceMapping
from flows.config.surveys import Surveys


class Config(_Section):
    """The whole of steward.yml."""

    reporting_currency: str = "USD"
    paths: Paths = Paths()
    alerts: Alerts = Alerts()
    journey: Journey = Journey()
    playbooks: list[Playbook] = Field(default_factory=list, description="See dbt_project/docs/playbooks.md.")

    @field_validator("playbooks")
    @classmethod
    def _unique_playbooks(cls, v: list[Playbook]) -> list[Playbook]:
        return _require_unique_names(v, "playbook")
    ownership: Ownership = Ownership()
    campaigns: Campaigns = Campaigns()
    recipients: Recipients = Recipients()
    delivery: Delivery = Delivery()
    reports: Reports = Reports()
    revenue: Revenue = Revenue()
    health: Health = Health()
    dbt: Dbt = Dbt()
    duckdb: DuckDbSettings = DuckDbSettings()
    surveys: Surveys = Surveys()
    run: RunSettings = RunSettings()
    publish: Publish = Publish()
    enumerations: Enumerations = Enumerations()
    actions: Actions = Actions()
    serve: Serve = Serve()
    model: ModelSettings = ModelSettings()
    sources: dict[str, SourceMapping] = Field(
        default_factory=dict, description="Per landing table, how an export's shape maps onto the contract.")

    @field_validator("sources", mode="before")
    @classmethod
    def _expand_presets(cls, v):
        """`sources: {billing: stripe}` names a preset (flows/ingest/presets/stripe.yml, or a path to a
        mapping file); its per-table mappings join the per-table entries, which win key by key."""
        from flows.ingest.presets import expand

        return expand(v)

    @field_validator("sources")
    @classmethod
    def _known_tables(cls, v: dict[str, SourceMapping]) -> dict[str, SourceMapping]:
        from flows.ingest.contract import TABLES

        for name, m in v.items():
            if name not in TABLES:
                raise ValueError(f"sources.{name}: not a landing table; one of {', '.join(TABLES)}")
            cols = set(TABLES[name].column_names)
            for key in ("columns", "constants", "values", "date_formats", "cents", "epochs", "optional", "multiply", "fallbacks"):
                for col in getattr(m, key):
                    if col not in cols:
                        raise ValueError(f"sources.{name}.{key}.{col}: {name} has no column {col}; "
                                         f"one of {', '.join(TABLES[name].column_names)}")
        return v

    @model_validator(mode="after")
    def _segments_known(self) -> "Config":
        """Every segment named in config must be a configured segment. A default that names one the
        company does not have (pooled ["smb"] with own segment names) is dropped, not an error."""
        known = set(self.enumerations.segments)
        problems: list[str] = []

        def check(owner: BaseModel, field: str, key: str) -> None:
            value = getattr(owner, field)
            if value is None:
                return
            names = list(value)
            unknown = [(i, n) for i, n in enumerate(names) if n not in known]
            if not unknown:
                return
            if field in owner.model_fields_set:
                problems.extend(f"`{key}.{n}`" if isinstance(value, dict) else f"`{key}.{i}` is {n!r}"
                                for i, n in unknown)
                return
            kept = [n for n in names if n in known]
            setattr(owner, field, {k: value[k] for k in kept} if isinstance(value, dict) else kept)

        check(self.ownership, "pooled_segments", "ownership.pooled_segments")
        check(self.ownership, "named_csms", "ownership.named_csms")
        check(self.campaigns.pooled_reach_out, "segments", "campaigns.pooled_reach_out.segments")
        check(self.health, "cadence_days", "health.cadence_days")
        for i, pb in enumerate(self.playbooks):
            check(pb.trigger, "segments", f"playbooks.{i}.trigger.segments")
        for i, c in enumerate(self.campaigns.bulk):
            check(c.audience, "segments", f"campaigns.bulk.{i}.audience.segments")
        for i, sv in enumerate(self.surveys.adhoc):
            check(sv.audience, "segments", f"surveys.adhoc.{i}.audience.segments")
        for phase, days in self.health.cadence_days_by_phase.items():
            for seg in (days if isinstance(days, dict) else {}):
                if seg not in known:
                    problems.append(f"`health.cadence_days_by_phase.{phase}.{seg}`")
        if problems:
            segs = [repr(s) for s in self.enumerations.segments]
            allowed = segs[0] if len(segs) == 1 else ", ".join(segs[:-1]) + " or " + segs[-1]
            raise ValueError("a segment must be one of enumerations.segments (" + allowed + "): "
                             + "; ".join(problems))
        return self

    def path(self, name: str) -> Path:
        return self.paths.resolve(name)

    def dbt_vars(self) -> dict[str, Any]:
        """Config values the dbt models read as vars (everything but as_of)."""
        return {
            "renewal_alert_windows": self.alerts.renewal.windows_days,
            "renewal_alert_intervals": self.alerts.renewal.billing_intervals,
            "alert_rules": {name: rule.model_dump() for name, rule in self.alerts.rules().items()},
            "cs_leader_recipient": self.recipients.cs_leader,
            "reporting_currency": self.reporting_currency,
            "unassigned_recipient": self.recipients.unassigned,
            **{f"revenue_{k}": v for k, v in self.revenue.model_dump().items()},
            **self._health_vars(),
            **{f"journey_{k}": v for k, v in self.journey.model_dump().items()},
            "playbooks": [{"name": p.name, "trigger": p.trigger.model_dump()} for p in self.playbooks if p.enabled],
            **self.ownership.dbt_vars(self.journey),
            **self.surveys.dbt_vars(),
            "campaigns": self.campaigns.dbt_vars(),
            **{f"enum_{k}": v for k, v in self.enumerations.model_dump().items()},
            "lake_uri": self.dbt.spark.lake_uri or str(self.path("workspace") / "lake"),  # Spark's sources
        }

    def _health_vars(self) -> dict[str, Any]:
        h = self.health
        return {
            "health_weights": h.weights, "health_red_below": h.bands.red_below,
            "health_green_from": h.bands.green_from, "health_key_features": h.key_features,
            "health_sticky_features": h.sticky_features,
            "health_cadence_days": h.segment_cadence(self.enumerations.segments),
            "health_cadence_days_by_phase": h.phase_cadence(self.enumerations.segments),
            "health_min_history_days": h.min_history_days, "health_min_known_weight": h.min_known_weight,
            "health_full_utilisation": h.full_utilisation, "health_history_days": h.history_days,
        }
