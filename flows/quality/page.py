"""Steward's own quality page: one self-contained HTML file per gate run (no scripts, no network).

GX's data docs load their styling and scripts from the internet and show date bounds as epoch
seconds, so offline they are blank. This page is what the gate itself knows: per table, rows
checked and quarantined, and per contract rule its words (dates as dates), severity, failing rows
and first example. It is written next to the GX docs (`<workspace>/quality/index.html`).
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from flows.ingest.contract import TABLES
from flows.quality.contract_rules import table_rules
from flows.quality.gate import GateResult

_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2933;margin:0;background:#f5f7fa}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:24px 0 6px}
p.meta{color:#52606d;margin:0 0 12px}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.n{text-align:right;white-space:nowrap}
.bad{color:#b42318;font-weight:bold}.ok{color:#2f6f4f}.muted{color:#7b8794}
.note{background:#fffbea;border-left:4px solid #b54708;padding:6px 10px;margin:6px 0;font-size:13px}
"""


def _rows(cells: list[list[str]], head: list[str], numeric: set[int]) -> str:
    out = ["<div class='wrap'><table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for row in cells:
        out.append("<tr>" + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</table></div>")
    return "".join(out)


def render(result: GateResult, batch_id: str, today: date) -> str:
    """The page's HTML: every value that came from data is escaped."""
    summary = []
    sections = []
    for name, verdict in result.tables.items():
        status = (f"<span class='bad'>{verdict.quarantined:,} quarantined</span>" if verdict.quarantined
                  else "<span class='ok'>all passed</span>" if verdict.rows_checked else "<span class='muted'>no new rows</span>")
        summary.append([f"<a href='#{escape(name)}'>{escape(name)}</a>", f"{verdict.rows_checked:,}", status])
        rules = []
        for rule in table_rules(TABLES[name], today):
            failed = verdict.by_rule.get(rule.id, 0)
            rules.append([escape(rule.column or "(table)"), escape(rule.describe()), escape(rule.severity),
                          f"<span class='bad'>{failed:,}</span>" if failed else "0",
                          escape(verdict.examples.get(rule.id, ""))])
        notes = "".join(f"<div class='note'>{escape(n)}</div>" for n in verdict.notes)
        sections.append(f"<h2 id='{escape(name)}'>{escape(name)}</h2>{notes}"
                        + _rows(rules, ["column", "rule", "severity", "failing rows", "first example"], {3}))
    errors = "".join(f"<div class='note'>{escape(e)}</div>" for e in result.errors)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Steward data quality, batch {escape(batch_id)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>Data quality</h1><p class='meta'>Batch {escape(batch_id)}: {result.rows_checked:,} rows checked, "
        f"{result.quarantined:,} quarantined with their reason in <code>quarantine.&lt;table&gt;</code>; "
        f"dates after {today.isoformat()} count as in the future.</p>{errors}"
        + _rows(summary, ["table", "rows checked", "verdict"], {1})
        + "".join(sections)
        + "<p class='meta'>Great Expectations' own data docs are in <a href='data_docs/index.html'>data_docs/</a> "
          "(they need an internet connection for their styling).</p></main></body></html>")


def write(result: GateResult, batch_id: str, today: date, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result, batch_id, today), encoding="utf-8")
    return path
