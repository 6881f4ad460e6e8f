"""Product usage events: one Parquet partition per day, built with numpy and written with pyarrow."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from flows.generate import params as P
from flows.generate.accounts import Accounts
from flows.generate.dates import iso, month_index, weekday
from flows.generate.lifecycle import Lifecycle
from flows.generate.signals import Signals

SCHEMA = pa.schema([("event_id", pa.int64()), ("account_id", pa.string()), ("user_id", pa.int64()),
                    ("feature", pa.string()), ("occurred_at", pa.timestamp("us")),
                    ("quantity", pa.float64())])
API = P.FEATURES.index("api")
US_PER_DAY = 86_400_000_000
# Dictionary-encode only the low-cardinality columns: trying it on ids and times costs half the
# write time for nothing; zstd makes the files ~40% smaller than snappy for a little CPU.
WRITE_OPTIONS = {"use_dictionary": ["account_id", "feature"], "compression": "zstd"}
SIZE_EXPONENT = 0.7  # volume grows sub-linearly with seats, so small accounts still show daily usage


@dataclass
class _Plan:
    """Per-account arrays reused every day."""

    acc: Accounts
    lc: Lifecycle
    sig: Signals
    scale: float
    start: np.ndarray
    end: np.ndarray
    react: np.ndarray
    day_start_us: np.ndarray
    account_ids: pa.Array
    features: pa.Array


def partition_path(landing: Path, day: int) -> Path:
    """Where one day of usage events lands."""
    return landing / "product" / "usage_events" / f"date={iso(day)}" / "part-0.parquet"


def _size(lc: Lifecycle, sig: Signals, col: int) -> np.ndarray:
    """Relative daily volume per account from seats and utilisation in a simulated month."""
    return (lc.seats_by_month[:, col] * sig.utilisation) ** SIZE_EXPONENT


def _plan(acc, lc, sig, window: P.Window, per_account_day: float) -> _Plan:
    """Calibrate volume so an average active account-day has per_account_day events."""
    days = window.days[:: max(1, len(window.days) // 12)]
    sizes = [_size(lc, sig, c)[lc.active_on(d)] for c, d in zip(month_index(days) - lc.months[0], days)]
    mean_size = np.concatenate(sizes).mean() if sum(map(len, sizes)) else 1.0
    weekday_mean = (5 + 2 * 0.35) / 7
    start, end = lc.first_span()
    hour = np.where(acc.region >= 0, P.REGION_UTC_HOUR[np.maximum(acc.region, 0)], 12)
    return _Plan(acc=acc, lc=lc, sig=sig, scale=per_account_day / (mean_size * weekday_mean),
                 start=start, end=end, react=np.where(lc.reactivation >= 0, lc.reactivation, P.OPEN),
                 day_start_us=hour.astype(np.int64) * 3_600_000_000,
                 account_ids=pa.array(acc.ids), features=pa.array(P.FEATURES))


def _intensity(p: _Plan, day: int, col: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected events per account on a day, and the decline multiplier behind it."""
    active = ((p.start <= day) & (day < p.end)) | (p.react <= day)
    health = p.sig.decline(day)
    ramp = np.clip(0.4 + 0.6 * (day - p.start) / 21, 0.4, 1.0)
    week = 0.35 if weekday(day) >= 5 else 1.0
    lam = p.scale * _size(p.lc, p.sig, col) * health * p.sig.noise(day) * ramp * week
    return np.where(active, lam, 0.0), health


def day_events(p: _Plan, day: int, first_id: int, rng: np.random.Generator) -> tuple[pa.Table, int]:
    """One day of events and the number of active accounts behind them."""
    col = int(month_index(day) - p.lc.months[0])
    lam, health = _intensity(p, day, col)
    counts = rng.poisson(lam * rng.gamma(4.0, 0.25, len(lam)))
    acct = np.repeat(np.arange(len(lam)), counts)
    seats = p.lc.seats_by_month[:, col]
    users = np.clip(np.round(seats * p.sig.utilisation * health**0.7), 1, np.maximum(seats, 1))
    user_n = 1 + (rng.random(len(acct)) * users[acct]).astype(np.int64)
    breadth = np.maximum(1, np.ceil(p.sig.breadth * np.maximum(0.3, health))).astype(np.int64)
    rank = (breadth[acct] * rng.random(len(acct)) ** 1.5).astype(np.int64)
    feature = p.sig.feature_order[acct, rank].astype(np.int64)
    keep = ~((feature == p.sig.dip_feature[acct]) & (day >= p.sig.dip_start[acct]))
    acct, user_n, feature = acct[keep], user_n[keep], feature[keep]
    m = len(acct)
    spread = ((rng.random(m) + rng.random(m)) * 5.5 * 3_600_000_000).astype(np.int64)
    at = day * US_PER_DAY + (p.day_start_us[acct] + spread) % US_PER_DAY
    quantity = np.where(feature == API, np.ceil(rng.exponential(25.0, m)), 1.0)
    order = np.argsort(at)  # ties are rare and the default sort is deterministic
    acct, feature = acct[order], feature[order]
    table = pa.table([
        pa.array(np.arange(first_id, first_id + m, dtype=np.int64)),
        p.account_ids.take(pa.array(acct)),
        pa.array(p.acc.number[acct] * 100_000 + user_n[order]),
        p.features.take(pa.array(feature)),
        pa.array(at[order]).view(pa.timestamp("us")),  # zero-copy; type= takes a slow per-value path
        pa.array(quantity[order]),
    ], schema=SCHEMA)
    return table, int(np.count_nonzero(lam))


def _remove_stale(landing: Path, keep: set[Path]) -> None:
    """Delete generator-named day partitions that this run does not write."""
    for old in (landing / "product" / "usage_events").glob("date=*/part-0.parquet"):
        if old not in keep:
            old.unlink()
            if not any(old.parent.iterdir()):
                old.parent.rmdir()


def write_usage(landing: Path, acc, lc, sig, window: P.Window, per_account_day: float,
                rng: np.random.Generator, progress: Callable[[str, int, int], None]) -> dict[str, int]:
    """Write every day's partition; return counts. Writing overlaps building the next day."""
    plan = _plan(acc, lc, sig, window, per_account_day)
    days = window.days
    paths = [partition_path(landing, int(d)) for d in days]
    _remove_stale(landing, set(paths))
    total, active_days, pending = 0, 0, []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for i, (day, path) in enumerate(zip(days, paths)):
            table, active = day_events(plan, int(day), total + 1, rng)
            total, active_days = total + table.num_rows, active_days + active
            path.parent.mkdir(parents=True, exist_ok=True)
            pending.append(pool.submit(pq.write_table, table, path, **WRITE_OPTIONS))
            if len(pending) > 2:
                pending.pop(0).result()
            progress("usage_events", i + 1, len(days))
        for f in pending:
            f.result()
    return {"events": total, "files": len(paths), "active_account_days": active_days}
