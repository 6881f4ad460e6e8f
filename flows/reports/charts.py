"""Charts as PNG bytes (matplotlib, headless), sized for a 640-px email column."""

from __future__ import annotations

import io
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

PALETTE = {"new": "#2f6f4f", "expansion": "#5fa37e", "reactivation": "#9cc9ad",
           "contraction": "#e0a458", "churn": "#b42318", "line": "#1f4e79", "line2": "#7b8794"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    # No timestamp/software metadata: the same data renders to the same bytes.
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def money_axis(ax, symbol: str = "$") -> None:
    """Currency on the y axis: $850k, $1.2M, never matplotlib's 1e6 offset."""
    def label(v, _):
        a = abs(v)
        sign = "-" if v < 0 else ""
        if a >= 1_000_000:
            return f"{sign}{symbol}{a / 1_000_000:.1f}M"
        if a >= 1_000:
            return f"{sign}{symbol}{a / 1_000:.0f}k"
        return f"{sign}{symbol}{a:.0f}"
    ax.yaxis.set_major_formatter(label)


def sparkline(values: Sequence[float | None], colour: str = PALETTE["line"]) -> bytes:
    """A tiny trend line for a KPI tile (no axes; the last point marked)."""
    fig, ax = plt.subplots(figsize=(1.5, 0.4))
    ys = [float("nan") if v is None else float(v) for v in values]
    ax.plot(range(len(ys)), ys, color=colour, linewidth=1.4)
    known = [(i, y) for i, y in enumerate(ys) if y == y]
    if known:
        ax.plot([known[-1][0]], [known[-1][1]], "o", color=colour, markersize=2.5)
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    return _png(fig)


def _axes(title: str):
    fig, ax = plt.subplots(figsize=(5.8, 2.8))
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return fig, ax


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]],
               percent: bool = False, reference: float | None = None) -> bytes:
    """One or more lines over the same x labels; None values leave gaps."""
    fig, ax = _axes(title)
    colours = [PALETTE["line"], PALETTE["line2"], PALETTE["new"], PALETTE["churn"]]
    for (name, values), colour in zip(series.items(), colours):
        ys = [float("nan") if v is None else float(v) * (100 if percent else 1) for v in values]
        ax.plot(list(labels), ys, marker="o", markersize=3, linewidth=1.6, label=name, color=colour)
    if reference is not None:
        ax.axhline(reference * (100 if percent else 1), color="#b42318", linewidth=0.8, linestyle="--")
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(axis="x", labelrotation=45)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    return _png(fig)


def stacked_bars(title: str, labels: Sequence[str], positive: dict[str, Sequence[float]],
                 negative: dict[str, Sequence[float]], symbol: str = "$") -> bytes:
    """Gains stacked above zero and losses below, per period (an MRR movement chart)."""
    fig, ax = _axes(title)
    x = list(range(len(labels)))
    for group, sign in ((positive, 1), (negative, -1)):
        bottom = [0.0] * len(x)
        for name, values in group.items():
            vals = [sign * float(v or 0) for v in values]
            ax.bar(x, vals, bottom=bottom, label=name, color=PALETTE.get(name, "#999"), width=0.7)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.axhline(0, color="#52606d", linewidth=0.6)
    ax.set_xticks(x, list(labels), rotation=45)
    ax.legend(fontsize=7, frameon=False, ncol=5)
    money_axis(ax, symbol)
    return _png(fig)


def bars(title: str, labels: Sequence[str], values: Sequence[float], secondary: Sequence[float] | None = None,
         names: tuple[str, str] = ("", ""), symbol: str | None = "$", horizontal: bool = False) -> bytes:
    """Vertical bars, optionally a second series beside the first."""
    fig, ax = _axes(title)
    x = list(range(len(labels)))
    width = 0.4 if secondary is not None else 0.7
    ax.bar([i - (width / 2 if secondary is not None else 0) for i in x], [float(v or 0) for v in values],
           width=width, color=PALETTE["line"], label=names[0] or None)
    if secondary is not None:
        ax.bar([i + width / 2 for i in x], [float(v or 0) for v in secondary], width=width,
               color=PALETTE["expansion"], label=names[1] or None)
        ax.legend(fontsize=7, frameon=False)
    crowded = sum(len(str(t)) + 2 for t in labels) > 60
    ax.set_xticks(x, list(labels), rotation=45 if crowded else 0)
    if symbol is not None:
        money_axis(ax, symbol)
    return _png(fig)


def stacked_hbars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]],
                  colours: dict[str, str]) -> bytes:
    """One horizontal bar per label, its parts stacked (the team's health mix per CSM)."""
    fig, ax = plt.subplots(figsize=(5.8, 0.7 + 0.42 * max(len(labels), 1)))
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    left = [0.0] * len(labels)
    for name, values in series.items():
        vals = [float(v or 0) for v in values]
        ax.barh(range(len(labels)), vals, left=left, height=0.6, color=colours.get(name, "#999"), label=name)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(range(len(labels)), list(labels))
    ax.invert_yaxis()
    ax.legend(fontsize=7, frameon=False, ncol=len(series), loc="upper left", bbox_to_anchor=(0, -0.12))
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)
