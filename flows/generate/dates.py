"""Vectorised calendar arithmetic on day numbers (days since 1970-01-01)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def day_of(d: dt.date) -> int:
    """A date as a day number."""
    return int(np.datetime64(d, "D").astype(np.int64))


def month_index(days) -> np.ndarray:
    """Months since 1970-01 for each day number."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(months) -> np.ndarray:
    """First day number of each month index."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def day_in_month(days) -> np.ndarray:
    """Zero-based day of month."""
    days = np.asarray(days, dtype=np.int64)
    return days - month_start(month_index(days))


def month_length(months) -> np.ndarray:
    """Number of days in each month index."""
    months = np.asarray(months, dtype=np.int64)
    return month_start(months + 1) - month_start(months)


def add_months(days, k) -> np.ndarray:
    """Shift day numbers by k months, clipping to the last day of shorter months."""
    days = np.asarray(days, dtype=np.int64)
    target = month_index(days) + np.asarray(k, dtype=np.int64)
    return month_start(target) + np.minimum(day_in_month(days), month_length(target) - 1)


def next_anniversary(start, on_or_after: int, step_months) -> np.ndarray:
    """First date start + k*step (k >= 1) that is on or after on_or_after."""
    start = np.asarray(start, dtype=np.int64)
    step = np.asarray(step_months, dtype=np.int64)
    k = np.maximum(1, (month_index(on_or_after) - month_index(start)) // step)
    cand = add_months(start, k * step)
    return np.where(cand < on_or_after, add_months(start, (k + 1) * step), cand)


def weekday(days) -> np.ndarray:
    """Day of week, Monday = 0."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def iso(day: int) -> str:
    """A day number as YYYY-MM-DD."""
    return str(np.datetime64(int(day), "D"))
