"""How numbers read in emails and reports: money, percentages, deltas, health bands.

Builders pass mart values through these; templates never format numbers themselves, so the
text part and the HTML part say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

DASH = "–"  # an unknown value: never "None", "nan" or 0
BAND_COLOURS = {"green": ("#067647", "#ecfdf3"), "amber": ("#b54708", "#fffaeb"), "red": ("#b42318", "#fef3f2")}
GOOD, BAD, NEUTRAL = "#067647", "#b42318", "#52606d"
SEGMENT_LABELS = {"smb": "SMB", "mid_market": "mid-market", "enterprise": "enterprise"}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "C$", "AUD": "A$"}


def _known(value: Any) -> bool:
    if value is None:
        return False
    try:
        return float(value) == float(value)  # NaN is unknown too
    except (TypeError, ValueError):
        return True


def symbol(currency: str = "USD") -> str:
    return CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")


def money(value: Any, currency: str = "USD", compact: bool = False) -> str:
    """$12,345 (or $1.2M with compact); unknown is a dash."""
    if not _known(value):
        return DASH
    v, sign = abs(float(value)), "-" if float(value) < 0 else ""
    sym = symbol(currency)
    if compact and v >= 1_000_000:
        return f"{sign}{sym}{v / 1_000_000:.2f}M"
    if compact and v >= 10_000:
        return f"{sign}{sym}{v / 1_000:.0f}k"
    return f"{sign}{sym}{v:,.0f}"


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.0234 -> 2.3%."""
    return f"{float(value) * 100:.{digits}f}%" if _known(value) else DASH


def number(value: Any, digits: int = 0) -> str:
    if not _known(value):
        return DASH
    return f"{float(value):,.{digits}f}" if digits or isinstance(value, (float, Decimal)) else f"{int(value):,}"


def day(value: Any) -> str:
    """A date as people read it: 3 Nov 2026."""
    if value is None:
        return DASH
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"


def month_name(value: Any) -> str:
    """November 2026."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%B %Y}"


@dataclass(frozen=True)
class Cell:
    """A table cell with an optional colour (health bands, over-tolerance flags)."""

    text: str
    colour: str | None = None
    background: str | None = None
    bold: bool = False

    def __str__(self) -> str:
        return self.text


def health(score: Any, band: str | None) -> Cell:
    """Health as a coloured cell: '81 green'; unknown health says so instead of a number."""
    if not _known(score):
        return Cell("no data", NEUTRAL)
    if band == "insufficient_data":  # a score from too little data or too new an account: no verdict
        return Cell(f"{float(score):.0f} (too early to judge)", NEUTRAL)
    fg, bg = BAND_COLOURS.get(band or "", (NEUTRAL, None))
    return Cell(f"{float(score):.0f} {band}" if band else f"{float(score):.0f}", fg, bg, bold=True)


def flag(over: bool | None, text: str = "over") -> Cell:
    return Cell(text, BAD, BAND_COLOURS["red"][1], bold=True) if over else Cell("within" if over is False else DASH)


def delta(current: Any, previous: Any, kind: str, against: str, higher_is_better: bool = True,
          currency: str = "USD") -> tuple[str, str] | None:
    """('▲ 1.2 pts vs October 2026', colour), or None when either side is unknown.

    kind: pct (fractions; the change is in percentage points), money, count.
    """
    if not (_known(current) and _known(previous)):
        return None
    change = float(current) - float(previous)
    if abs(change) < 1e-9:
        return f"= vs {against}", NEUTRAL
    arrow = "▲" if change > 0 else "▼"
    size = {"pct": f"{abs(change) * 100:.1f} pts", "money": money(abs(change), currency, compact=True)}.get(
        kind, f"{abs(change):,.0f}")
    good = (change > 0) == higher_is_better
    return f"{arrow} {size} vs {against}", GOOD if good else BAD


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
