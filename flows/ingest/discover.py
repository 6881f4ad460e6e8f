"""Find each contract table's files in a landing folder, and name what does not fit."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from flows.ingest.contract import TABLES

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json", ".json": "json"}


class LandingError(Exception):
    """Landing data cannot be loaded; the message names the file and what is wrong."""


@dataclass
class Discovery:
    """Files per table, plus the files and tables that did not match the contract."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    unknown: list[tuple[Path, str]] = field(default_factory=list)  # (file, hint)
    missing_optional: list[str] = field(default_factory=list)


def _table_for(path: Path, root: Path, aliases: dict[str, str] | None = None) -> str | None:
    """A file belongs to table T if its stem is T or any parent folder below root is T (or a
    name a `sources:` mapping gives for T)."""
    names = {**{t: t for t in TABLES}, **(aliases or {})}
    if path.stem in names:
        return names[path.stem]
    for part in path.relative_to(root).parts[:-1]:
        if part in names:
            return names[part]
    return None


def _hint(path: Path) -> str:
    if path.suffix.lower() not in FORMATS:
        return f"unsupported format {path.suffix or '(none)'}; use .csv, .parquet or .jsonl"
    close = difflib.get_close_matches(path.stem, list(TABLES), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}{path.suffix}?"
    return "not a landing table; expected one of: " + ", ".join(TABLES)


def discover(landing: Path, aliases: dict[str, str] | None = None) -> Discovery:
    """Map every file under `landing` to its table; raise if a required table is absent."""
    if not landing.is_dir():
        raise LandingError(
            f"landing folder {landing} does not exist; run `steward generate` or point "
            "--landing at a folder of CSV/Parquet/JSONL files"
        )
    found = Discovery()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        if path.name.startswith((".", "_")) or path.relative_to(landing).parts[0] == "steward_actions":
            continue  # steward_actions/: steward serve's action log, applied by the run itself
        table = _table_for(path, landing, aliases)
        if table is None or path.suffix.lower() not in FORMATS:
            found.unknown.append((path, _hint(path)))
            continue
        found.files.setdefault(table, []).append(path)
    absent = [t for t in TABLES if t not in found.files]
    required = [t for t in absent if TABLES[t].required]
    if required:
        raise LandingError(
            f"landing folder {landing} has no file for required table(s) {', '.join(required)}; "
            f"expected e.g. {landing}/{required[0]}.csv"
        )
    found.missing_optional = absent
    return found


def file_format(path: Path) -> str:
    return FORMATS[path.suffix.lower()]
