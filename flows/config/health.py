"""The health score (`health:`; docs: dbt_project/docs/health.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt, field_validator

from flows.config.base import Phase, SEGMENTS, Segment, _Section


HEALTH_COMPONENTS = ("usage_depth", "usage_breadth", "sticky_features", "usage_trend", "engagement_recency",
                     "support", "sentiment", "payment_health", "champion")


class HealthBands(_Section):
    """Band thresholds on the 0-100 health total: red below `red_below`, green from `green_from`."""

    red_below: float = Field(40, ge=0, le=100)
    green_from: float = Field(70, ge=0, le=100)


class Health(_Section):
    """The health score (dbt_project/docs/health.md): weighted 0-100 components, bands, feature lists."""

    weights: dict[str, float] = Field(
        {"usage_depth": 15, "usage_breadth": 10, "sticky_features": 10, "usage_trend": 20,
         "engagement_recency": 10, "support": 5, "sentiment": 10, "payment_health": 5, "champion": 15},
        description="Relative weight per component; renormalised over the components with data.")
    bands: HealthBands = HealthBands()
    key_features: list[str] = Field(
        ["dashboards", "reports", "api", "integrations", "alerts", "workflows"], min_length=1,
        description="Features whose 30-day use makes up usage breadth.")
    sticky_features: list[str] = Field(
        ["api", "integrations", "workflows"], min_length=1,
        description="Features that are hard to rip out once adopted.")
    cadence_days: dict[Segment, PositiveInt] = Field(
        {"enterprise": 14, "mid_market": 30, "smb": 60},
        description="Agreed touchpoint cadence by segment; also the health score's engagement_recency yardstick.")
    cadence_days_by_phase: dict[Phase, Any] = Field(
        {}, description="Cadence for accounts in a journey phase (the phase the previous run recorded), "
                        "overriding cadence_days: days for every segment, or days per segment. "
                        "Sets fct_engagement's cadence (touchpoint alerts, team report), not health.")
    full_utilisation: float = Field(0.8, gt=0, le=1, description="Utilisation that earns a full depth score.")
    history_days: int = Field(365, ge=1, description="Days of daily health history kept before as_of.")
    default_cadence_days: PositiveInt = Field(30, description="Cadence of a segment cadence_days does not list.")
    min_history_days: int = Field(
        30, ge=0, description="An account paying for fewer days than this has too little history: its band is "
                              "insufficient_data (never red on day one) and it gets no reach-out cadence email.")
    min_known_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the configured weight that must have data for an account and day; "
                                     "below it the band is insufficient_data.")

    @field_validator("weights")
    @classmethod
    def _weights_valid(cls, v: dict[str, float]) -> dict[str, float]:
        for key, w in v.items():
            if key not in HEALTH_COMPONENTS:
                raise ValueError(f"weights.{key} is not a health component; one of {', '.join(HEALTH_COMPONENTS)}")
            if w < 0:
                raise ValueError(f"weights.{key} = {w} must be non-negative")
        if sum(v.values()) <= 0:
            raise ValueError("weights must sum to more than 0")
        return v

    @field_validator("bands")
    @classmethod
    def _bands_ordered(cls, v: HealthBands) -> HealthBands:
        if v.red_below > v.green_from:
            raise ValueError(f"bands.red_below ({v.red_below}) must not exceed bands.green_from ({v.green_from})")
        return v

    @field_validator("cadence_days_by_phase")
    @classmethod
    def _phase_cadence_days(cls, v: dict[str, Any]) -> dict[str, Any]:
        for phase, days in v.items():
            per_segment = days if isinstance(days, dict) else {None: days}
            for seg, n in per_segment.items():
                key = f"cadence_days_by_phase.{phase}" + (f".{seg}" if seg else "")
                if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                    raise ValueError(f"{key} = {n!r} must be a whole number of days greater than 0"
                                     + ("" if seg else ", or a map of segment to days"))
        return v

    def phase_cadence(self, segments: tuple[str, ...] | list[str] = SEGMENTS) -> dict[str, dict[str, int]]:
        """cadence_days_by_phase spelled out per segment: {phase: {segment: days}}; a segment a
        phase leaves out keeps its cadence_days."""
        return {phase: ({seg: days for seg in segments} if isinstance(days, int) else dict(days))
                for phase, days in self.cadence_days_by_phase.items()}

    def segment_cadence(self, segments: list[str]) -> dict[str, int]:
        """cadence_days for every configured segment; one not listed gets default_cadence_days."""
        return {seg: self.cadence_days.get(seg, self.default_cadence_days) for seg in segments}
