"""Progress reporting that flows emit and the CLI renders (plain log lines by default)."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("steward")


class Reporter(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def resize(self, total: int) -> None: ...
    def done(self, message: str) -> None: ...
    def note(self, message: str) -> None: ...


class LogReporter:
    """Writes stage starts, completions and notes to the `steward` logger."""

    def stage(self, name: str, total: int | None = None) -> None:
        log.info("%s%s", name, f" ({total})" if total else "")

    def advance(self, n: int = 1) -> None:
        pass

    def resize(self, total: int) -> None:
        pass

    def done(self, message: str) -> None:
        log.info("  %s", message)

    def note(self, message: str) -> None:
        log.warning("  %s", message)


_current: Reporter = LogReporter()


def reporter() -> Reporter:
    """The active reporter (the CLI installs a rich one)."""
    return _current


def use(r: Reporter) -> Reporter:
    """Install a reporter; returns the previous one so callers can restore it."""
    global _current
    previous, _current = _current, r
    return previous
