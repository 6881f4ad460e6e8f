"""Synthetic landing data for Steward, with planted ground truth for tests and benchmarks."""

from flows.generate.core import DEFAULT_EVENTS_PER_ACCOUNT_DAY, GenerateResult, generate

__all__ = ["DEFAULT_EVENTS_PER_ACCOUNT_DAY", "GenerateResult", "generate"]
