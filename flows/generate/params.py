"""Fixed vocabularies, rates and the run window shared by every table generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from flows.generate.dates import day_of, month_index, month_start

SEGMENTS = ("enterprise", "mid_market", "smb")
SEGMENT_P = (0.10, 0.30, 0.60)
PLANS = ("starter", "growth", "enterprise", "premium_support")  # last one is the add-on
ADDON = 3
SEAT_PRICE = np.array([15.0, 35.0, 60.0])  # per seat per month
ANNUAL_MONTHS_BILLED = 10  # an annual plan costs ten monthly payments
PLAN_P = np.array([[0.0, 0.3, 0.7], [0.2, 0.6, 0.2], [0.7, 0.3, 0.0]])  # by segment
ANNUAL_P = np.array([0.9, 0.5, 0.15])
INDUSTRIES = ("software", "financial_services", "healthcare", "retail", "manufacturing",
              "education", "media", "logistics", "professional_services", "public_sector")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_P = (0.45, 0.30, 0.15, 0.10)
REGION_UTC_HOUR = np.array([14, 7, 0, 12])  # start of the working day in UTC
FEATURES = ("dashboards", "reports", "api", "integrations", "alerts", "exports",
            "workflows", "search", "admin", "mobile")
FEATURE_WEIGHT = np.array([10, 8, 4, 5, 6, 4, 5, 7, 2, 3], dtype=float)
BREADTH_RANGE = np.array([[6, 11], [4, 10], [2, 8]])  # features used, by segment [lo, hi)
CADENCE_DAYS = np.array([14.0, 30.0, 60.0])  # touchpoint cadence by segment
TICKETS_PER_MONTH = np.array([2.0, 0.8, 0.3])
HORIZON_DAYS = 100  # the lifecycle runs past as_of so future churners show signals today
NONE = -1  # missing day or timestamp
OPEN = 10**7  # end day of an open interval


@dataclass(frozen=True)
class Window:
    """The simulated period: history months ending at as_of plus a hidden horizon."""

    as_of: dt.date
    months: int

    @property
    def end(self) -> int:
        """as_of as a day number."""
        return day_of(self.as_of)

    @property
    def start(self) -> int:
        """First day of the first window month."""
        return int(month_start(month_index(self.end) - self.months + 1))

    @property
    def sim_months(self) -> np.ndarray:
        """Month indices simulated: the window and the hidden horizon."""
        first = month_index(self.start)
        last = month_index(self.end + HORIZON_DAYS)
        return np.arange(first, last + 1)

    @property
    def days(self) -> np.ndarray:
        """Every day of the window, as day numbers."""
        return np.arange(self.start, self.end + 1)

