"""Survey answers from a token file: `steward survey import FILE` (and steward serve's answers).

Turns a token file (token, score, comment, responded_at) into a survey_responses contract file
in the landing folder, so imported answers pass the same ingest, ledger and quality gate as any
other.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from flows.actions.surveys import SurveyError

IMPORT_DIR = Path("surveys") / "survey_responses"  # under the landing folder: table by folder name
IMPORT_COLUMNS = ("token", "score", "comment", "responded_at")
CONTRACT_COLUMNS = ("response_id", "account_id", "contact_id", "survey", "score", "comment", "responded_at")
MAX_PROBLEMS_SHOWN = 20


@dataclass
class ImportResult:
    path: Path | None = None            # the landing file written (None: nothing new)
    rows_read: int = 0
    written: int = 0
    already: int = 0                    # tokens answered before (or in an earlier import file)
    existed: bool = False               # the same content was imported before
    by_survey: dict[str, int] = field(default_factory=dict)


def _parse_when(text: str) -> datetime | None:
    """An ISO date or date-time (space or T, optional seconds, Z or ±HH:MM) as naive UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _parse_score(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value == int(value) else None  # NaN and fractions fail


def _read_rows(file: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not file.is_file():
        raise SurveyError(f"{file}: no such file")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SurveyError(f"{file}: not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start:,} (line {line}); "
                          "re-export the file as UTF-8") from None
    if not text.strip():
        raise SurveyError(f"{file}: the file is empty; expected a header row: {', '.join(IMPORT_COLUMNS)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in ("token", "score", "responded_at") if c not in header]
    if missing:
        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, header, n=1, cutoff=0.6)
            hints.append(f"`{col}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise SurveyError(f"{file}: missing required column(s) {', '.join(hints)}; file has: "
                          f"{', '.join(header) or '(no columns)'}; expected {', '.join(IMPORT_COLUMNS)}")
    return header, list(reader)


def _pending_imports(landing: Path) -> set[str]:
    """response_ids already written by earlier imports (loaded or still waiting for a run)."""
    folder = landing / IMPORT_DIR
    seen: set[str] = set()
    for f in sorted(folder.glob("import-*.csv")) if folder.is_dir() else []:
        with f.open(newline="", encoding="utf-8") as fh:
            seen.update(r["response_id"] for r in csv.DictReader(fh))
    return seen


def _show_token(token: str) -> str:
    return repr(token[:6] + "…") if len(token) > 8 else repr(token)


def import_responses(con: duckdb.DuckDBPyConnection, landing: Path, file: Path) -> ImportResult:
    """Validate a token file and write its new answers as a survey_responses landing file.

    Every problem is reported as `<file> row N column C: ...` (N counts data rows, like the gate)
    and nothing is written while any remains. Tokens answered before are skipped, so importing
    the same file twice adds nothing. Checks here are the ones only an invitation can answer
    (token, its scale, sent before); what the landing contract says of any survey_responses row
    (an answer not in the future of the run's as_of) the quality gate checks when the run ingests it.
    """
    header, rows = _read_rows(file)
    tokens = {r["token"].strip() for r in rows if (r.get("token") or "").strip()}
    invitations = {}
    if tokens:
        for row in con.execute(
                "select token, invitation_id, account_id, contact_id, kind, survey, scale_min, scale_max, "
                "sent_as_of, response_id from ops.survey_invitations where list_contains(?, token)",
                [sorted(tokens)]).fetchall():
            invitations[row[0]] = row[1:]
    pending = _pending_imports(landing)
    out = ImportResult(rows_read=len(rows))
    problems: list[str] = []
    first_row: dict[str, int] = {}
    contract_rows: list[list[str]] = []
    by_survey: Counter = Counter()

    def bad(n: int, column: str, message: str) -> None:
        problems.append(f"{file} row {n} column {column}: {message}")

    for n, r in enumerate(rows, start=1):
        if None in r:  # more fields than the header
            bad(n, "(row)", f"{len(r) - 1 + len(r[None])} fields but the header has {len(header)}: "
                            "an unquoted comma inside a comment?")
            continue
        token = (r.get("token") or "").strip()
        if not token:
            bad(n, "token", "is empty")
            continue
        if token in first_row:
            bad(n, "token", f"repeats row {first_row[token]} (one answer per invitation)")
            continue
        first_row[token] = n
        inv = invitations.get(token)
        if inv is None:
            bad(n, "token", f"unknown token {_show_token(token)}: no invitation has it")
            continue
        inv_id, account_id, contact_id, kind, survey, lo, hi, sent, answered = inv
        score_text = (r.get("score") or "").strip()
        score = _parse_score(score_text)
        if score is None:
            bad(n, "score", f"{score_text!r} is not a whole number")
        elif not lo <= score <= hi:
            bad(n, "score", f"{score_text} is outside {lo}-{hi}, the scale of survey {survey}")
        when_text = (r.get("responded_at") or "").strip()
        when = _parse_when(when_text)
        if when is None:
            bad(n, "responded_at", f"{when_text!r} is not a date; expected YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]")
        elif when.date() < sent:
            bad(n, "responded_at", f"{when_text} is before the invitation was sent ({sent})")
        if answered is not None or inv_id in pending:  # answered before, or in an earlier import file
            out.already += 1
            continue
        if score is None or when is None:
            continue
        comment = (r.get("comment") or "").strip()
        contract_rows.append([inv_id, account_id, contact_id, kind, str(int(score)), comment,
                              when.strftime("%Y-%m-%d %H:%M:%S")])
        by_survey[survey] += 1
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise SurveyError(f"{file}: {len(problems)} problem(s); nothing imported:\n  " + "\n  ".join(shown)
                          + (f"\n  ... and {more} more" if more else ""))
    out.by_survey = dict(by_survey)
    if not contract_rows:
        return out
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CONTRACT_COLUMNS)
    writer.writerows(contract_rows)
    content = buf.getvalue().encode("utf-8")
    target = landing / IMPORT_DIR / f"import-{hashlib.sha256(content).hexdigest()[:16]}.csv"
    out.path = target
    if target.exists():
        out.existed = True
        return out
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name("." + target.name + ".tmp")  # dot files are ignored by discovery
    tmp.write_bytes(content)
    os.replace(tmp, target)
    out.written = len(contract_rows)
    return out
