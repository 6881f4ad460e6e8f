"""Jinja filters and helpers for the service's pages: dates, money, health pills, sparklines."""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup, escape

DASH = "—"
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def day(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%-d %b %Y") if isinstance(value, date) else str(value)


def month(value) -> str:
    return value.strftime("%b %Y") if isinstance(value, (date, datetime)) else DASH


def money_for(currency: str):
    symbol = SYMBOLS.get(currency)

    def money(value) -> str:
        if value is None:
            return DASH
        amount = f"{float(value):,.0f}"
        return f"{symbol}{amount}" if symbol else f"{amount} {currency}"
    return money


def score(value) -> str:
    return DASH if value is None else f"{float(value):.0f}"


def segment(value) -> str:
    return {"smb": "SMB", "mid_market": "Mid-market", "enterprise": "Enterprise"}.get(value or "", value or "")


def sentiment(value) -> str:
    if value is None:
        return DASH
    v = float(value)
    return "positive" if v > 0.2 else "negative" if v < -0.2 else "neutral"


def health(value, band) -> Markup:
    """A coloured pill: '72 · green'; unknown health says so (never 0)."""
    if value is None:
        return Markup('<span class="pill band-none">not known</span>')
    b = band if band in ("red", "amber", "green") else "none"
    return Markup(f'<span class="pill band-{b}">{float(value):.0f} · {escape(band or "")}</span>')


def spark(rows: list[dict], key: str, lo: float | None, hi: float | None) -> Markup:
    """A small inline SVG line of rows[key] in order (numbers only, so nothing to escape)."""
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    if len(values) < 2:
        return Markup("")
    low = min(values) if lo is None else lo
    high = max(values) if hi is None else hi
    span = (high - low) or 1.0
    n = len(values) - 1
    points = " ".join(f"{i * 300 / n:.1f},{56 - (v - low) / span * 52:.1f}" for i, v in enumerate(values))
    return Markup(f'<svg class="spark" viewBox="0 0 300 60" preserveAspectRatio="none" role="img" '
                  f'aria-label="trend"><polyline fill="none" stroke="#2f6f4f" stroke-width="2" '
                  f'vector-effect="non-scaling-stroke" points="{points}"/></svg>')


def install(env, currency: str) -> None:
    env.filters.update(day=day, month=month, money=money_for(currency), score=score, segment=segment,
                       sentiment=sentiment)
    env.globals.update(health=health, spark=spark)
