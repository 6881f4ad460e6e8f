"""Benchmark tiers (issue targets) and the generator knob that reaches each event volume."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    name: str
    accounts: int
    events: int  # target usage events
    months: int

    @property
    def events_per_account_day(self) -> float:
        """Generator rate that lands near `events` (about 55% of account-days are active customers)."""
        return self.events / (self.accounts * self.months * 30.4 * 0.55)


TIERS = {
    # XS: the harness's own smoke test (tests/unit/test_bench_report.py); too small to mean anything.
    "XS": Tier("XS", 100, 50_000, 12),
    "S": Tier("S", 1_000, 1_000_000, 12),
    "M": Tier("M", 10_000, 10_000_000, 24),
    "L": Tier("L", 100_000, 100_000_000, 24),
}
