"""Small vectorised sampling helpers shared by the table generators."""

from __future__ import annotations

import numpy as np

from flows.generate import params as P


def between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """A uniform day in [lo, hi] per element, NONE where hi < lo."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, np.int64), np.asarray(hi, np.int64))
    day = lo + np.floor(rng.random(lo.shape) * (hi - lo + 1)).astype(np.int64)
    return np.where(hi >= lo, day, P.NONE)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(parent index, position within parent) for counts[i] children of each parent i."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    return parent, np.arange(len(parent)) - np.repeat(np.cumsum(counts) - counts, counts)


def seconds(days: np.ndarray, rng: np.random.Generator, lo_hour: float = 8,
            hi_hour: float = 18) -> np.ndarray:
    """Timestamps (epoch seconds) at a random time of day between two hours."""
    days = np.asarray(days, dtype=np.int64)
    sec = rng.integers(int(lo_hour * 3600), int(hi_hour * 3600), len(days))
    return np.where(days >= 0, days * 86400 + sec, P.NONE)


def choice_by_row(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows, categories) probability matrix."""
    return (rng.random(len(probs))[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(1)
