"""A report is data (KPIs, charts, tables) rendered by one template into HTML + plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from flows.delivery.message import Attachment
from flows.delivery.render import render
from flows.reports.formatting import day


@dataclass
class Chart:
    cid: str
    alt: str  # also the plain-text stand-in, so the report reads without images
    png: bytes


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Any]]  # str or formatting.Cell per cell
    empty: str = "Nothing to show."
    numeric: tuple[int, ...] = ()  # right-aligned columns
    intro: str = ""


@dataclass
class Kpi:
    """A headline tile: value, change against a comparison period, and an optional sparkline."""

    label: str
    value: str
    deltas: list[tuple[str, str]] = field(default_factory=list)  # (text, colour)
    spark: Chart | None = None
    colour: str | None = None


@dataclass
class Item:
    """One line people act on (a to-do, an alert): the place for per-item action links."""

    headline: str
    account: str = ""
    text: str = ""
    tag: str = ""
    colour: str = "#175cd3"
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url): steward serve buttons
    ref: tuple[str, str] | None = None  # what the item is, for action links: ("alert", id) | ("task", id)


@dataclass
class ReportContent:
    """Everything one report says; builders fill it, templates render it."""

    name: str
    title: str
    as_of: date
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recipient_name: str | None = None
    period: str = ""  # what the headline covers, e.g. "November 2026 (the month that closed)"
    sections: list[tuple[str, list[Item], str]] = field(default_factory=list)  # (heading, items, empty)
    intro: str = ""
    subject_line: str = ""

    @property
    def subject(self) -> str:
        return self.subject_line or f"{self.title}, {day(self.as_of)}"
    # steward serve buttons (flows/serve/todo.py): [(what, [(button label, url)])], one block at the end
    actions: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    def render(self) -> tuple[str, str, tuple[Attachment, ...]]:
        """(text, html, inline attachments)."""
        text, html = render("report", r=self, title=self.title, as_of=self.as_of)
        images = [*self.charts, *(k.spark for k in self.kpis if k.spark)]
        atts = tuple(Attachment(f"{c.cid}.png", c.png, "image/png", c.cid) for c in images)
        return text, html, atts


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]
