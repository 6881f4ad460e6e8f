"""Source mappings (steward.yml `sources:`): an export's shape onto the landing contract, as SQL.

A mapping turns the file's reader into a query that renames columns, adds constants, maps values
(`medium` -> `normal`), parses dates in the export's format and turns cents into amounts. The load
then sees contract columns, so the gate and dbt never know a mapping was there. A mapping that does
not fit the file (a source column it does not have) is a LandingError naming file, column and key.

A vendor preset (Stripe, HubSpot, ...) is the same data: a file of `sources:` entries.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from flows.config import SourceMapping
from flows.ingest.contract import TABLES
from flows.ingest.discover import LandingError

# Set by configure() at the start of check and run: table -> mapping.
MAPPINGS: dict[str, SourceMapping] = {}


def configure(sources: dict[str, SourceMapping] | None) -> None:
    MAPPINGS.clear()
    MAPPINGS.update(sources or {})


def fingerprint(table: str) -> str:
    """A suffix for the load ledger's content hash: a changed mapping makes the file 'changed'."""
    import hashlib

    m = MAPPINGS.get(table)
    return "" if m is None else "+map:" + hashlib.sha256(m.model_dump_json().encode()).hexdigest()[:12]


def aliases() -> dict[str, str]:
    """Export file or folder name -> contract table, for mappings that name their file."""
    return {m.file: table for table, m in MAPPINGS.items() if m.file}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _as_text(expr: str) -> str:
    return f"cast({expr} as varchar)"


def mapped_reader(table: str, path: Path, reader: str, file_columns: list[str]) -> str:
    """The reader wrapped in the table's mapping (the reader itself when there is none)."""
    m = MAPPINGS.get(table)
    if m is None:
        return reader
    reader, file_columns = _with_paths(reader, file_columns, m)
    have = set(file_columns)
    for col, src in m.columns.items():
        if src not in have:
            close = difflib.get_close_matches(src, file_columns, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise LandingError(f"{path}: column `{src}` not in the file{hint}, for mapping key "
                               f"sources.{table}.columns.{col}; file has: {', '.join(file_columns)}")
    renames = {src: col for col, src in m.columns.items() if src != col}
    # the file's own column of a mapped name is set aside: the mapping named another source for it on
    # purpose (Amplitude's event_id is per device; the preset takes uuid)
    clash = [col for col in renames.values() if col in have and col not in renames]
    exclude = f" exclude ({', '.join(_q(c) for c in clash)})" if clash else ""
    sql = f"select *{exclude} rename ({', '.join(f'{_q(s)} as {_q(c)}' for s, c in renames.items())}) from {reader}" \
        if renames else f"select * from {reader}"
    after = {renames.get(c, c) for c in file_columns}
    for key, cols in (("values", m.values), ("date_formats", m.date_formats), ("cents", m.cents),
                      ("epochs", m.epochs)):
        for col in cols:
            if col not in after and col not in m.constants:
                raise LandingError(f"{path}: column `{col}` not in the file (after renames), for mapping key "
                                   f"sources.{table}.{key}.{col}; file has: {', '.join(sorted(after))}")
    if m.fallbacks:
        sql = _with_fallbacks(sql, path, table, m, after)
    replace = {}
    for col, pairs in m.values.items():
        # ...and a contract value '' is an absent one (Zendesk's `offered`: a survey sent, no score)
        cases = " ".join(f"when {_lit(a)} then {_lit(b) if b != '' else 'null'}" for a, b in pairs.items())
        # an export value '' also stands for an absent one (JSON null), so a preset can name its default
        replace[col] = f"case coalesce(trim({_as_text(_q(col))}), '') {cases} else {_as_text(_q(col))} end"
    for col, fmt in m.date_formats.items():
        # a value the format cannot parse is kept as it came, so the gate quarantines it with its text
        parsed = f"try_strptime(trim({_as_text(_q(col))}), {_lit(fmt)})"
        out_fmt = "%Y-%m-%d" if TABLES[table].column(col).dtype == "date" else "%Y-%m-%d %H:%M:%S"
        replace[col] = f"coalesce(strftime({parsed}, {_lit(out_fmt)}), {_as_text(_q(col))})"
    for col in m.cents:
        cents = f"try_cast(trim({_as_text(_q(col))}) as decimal(20, 0))"
        replace[col] = f"coalesce(cast(cast({cents} / 100 as decimal(20, 2)) as varchar), {_as_text(_q(col))})"
    for col, unit in m.epochs.items():
        out_fmt = "%Y-%m-%d" if TABLES[table].column(col).dtype == "date" else "%Y-%m-%d %H:%M:%S"
        secs = f"try_cast(trim({_as_text(_q(col))}) as double)" + (" / 1000" if unit == "milliseconds" else "")
        replace[col] = f"coalesce(strftime(to_timestamp({secs}) at time zone 'UTC', {_lit(out_fmt)}), " \
                       f"nullif(trim({_as_text(_q(col))}), ''))"
    # ids are text in the contract: a JSON export's numeric ids (Zendesk's) must join CRM ids as text
    contract = TABLES[table]
    for c in contract.columns:
        if c.dtype == "string" and (c.name == contract.key or c.references) and c.name in after:
            replace.setdefault(c.name, _as_text(_q(c.name)))
    constants = {c: v for c, v in m.constants.items()}
    replace.update({c: _lit(v) for c, v in constants.items() if c in after})
    if replace:
        sql = f"select * replace ({', '.join(f'{e} as {_q(c)}' for c, e in replace.items())}) from ({sql})"
    added = [f"{_lit(v)} as {_q(c)}" for c, v in constants.items() if c not in after]
    if added:
        sql = f"select *, {', '.join(added)} from ({sql})"
    if m.multiply:
        sql = _with_products(sql, path, table, m, after | set(constants))
    return f"({sql})"


def _with_products(sql: str, path: Path, table: str, m: SourceMapping, have: set[str]) -> str:
    """A per-unit price times the units (Stripe: unit_amount x quantity), after cents and renames; a value
    that is not a number is kept as it came, for the gate to name."""
    for col, other in m.multiply.items():
        if col not in have or other not in have:
            raise LandingError(f"{path}: mapping key sources.{table}.multiply.{col}: both `{col}` and `{other}` "
                               f"must be columns after the mapping; file has: {', '.join(sorted(have))}")
    exprs = []
    for col, other in m.multiply.items():
        a, b = (f"try_cast(trim({_as_text(_q(c))}) as decimal(24, 6))" for c in (col, other))
        exprs.append(f"coalesce(cast(cast({a} * {b} as decimal(20, 2)) as varchar), {_as_text(_q(col))}) as {_q(col)}")
    return f"select * replace ({', '.join(exprs)}) from ({sql})"


def _with_fallbacks(sql: str, path: Path, table: str, m: SourceMapping, after: set[str]) -> str:
    """Empty values take another column's raw value, before any conversion (so an epoch falls back to an
    epoch and both are converted alike)."""
    for col, other in m.fallbacks.items():
        if col not in after or other not in after:
            raise LandingError(f"{path}: mapping key sources.{table}.fallbacks.{col}: both `{col}` and `{other}` "
                               f"must be columns of the file (after renames); file has: {', '.join(sorted(after))}")
    fb = ", ".join(f"coalesce(nullif(trim({_as_text(_q(c))}), ''), {_as_text(_q(o))}) as {_q(c)}"
                   for c, o in m.fallbacks.items())
    return f"select * replace ({fb}) from ({sql})"


_INDEX = re.compile(r"^(.*)\[(\d+)\]$")


def _root(src: str) -> str | None:
    """The file column a nested source name starts from: `traits.website` -> traits, `domain_names[1]` ->
    domain_names; None for a plain name."""
    if "." not in src and not _INDEX.match(src):
        return None
    return _INDEX.sub(r"\1", src.split(".")[0])


def _walk(src: str) -> str:
    """`a.b[1].c` as DuckDB: struct fields by name, list items by position (1 is the first)."""
    parts = []
    for part in src.split("."):
        m = _INDEX.match(part)
        parts.append(f"{_q(m.group(1))}[{m.group(2)}]" if m else _q(part))
    return ".".join(parts)


def _with_paths(reader: str, file_columns: list[str], m: SourceMapping) -> tuple[str, list[str]]:
    """JSON exports nest fields (Segment's `properties.plan`, `traits.website`): a mapped source name
    `a.b` that is not itself a column but walks into a struct column `a` becomes a column `a.b`; `a[1]`
    is the first item of a list column `a` (Zendesk's `domain_names`)."""
    have = set(file_columns)
    paths = [src for src in m.columns.values() if src not in have and _root(src) in have]
    cols = [f"{_walk(src)} as {_q(src)}" for src in dict.fromkeys(paths)]
    # `optional`: an export column the file may lack (a custom CRM property) lands as an empty column
    empty = [m.columns[c] for c in m.optional if c in m.columns and m.columns[c] not in have | set(paths)]
    cols += [f"cast(null as varchar) as {_q(src)}" for src in dict.fromkeys(empty)]
    if not cols:
        return reader, file_columns
    return f"(select *, {', '.join(cols)} from {reader})", file_columns + list(dict.fromkeys(paths + empty))


def describe(table: str) -> list[str]:
    """The mapping in words, for `steward check`."""
    m = MAPPINGS.get(table)
    if m is None:
        return []
    out = [f"file {m.file}"] if m.file else []
    out += [f"{src} -> {col}" for col, src in m.columns.items()]
    out += [f"{col} = {v!r}" for col, v in m.constants.items()]
    out += [f"{col}: {len(p)} value(s) mapped" for col, p in m.values.items()]
    out += [f"{col}: dates as {f}" for col, f in m.date_formats.items()]
    out += [f"{col}: cents -> amount" for col in m.cents]
    out += [f"{col}: epoch {u} -> date" for col, u in m.epochs.items()]
    out += [f"{col}: empty -> {o}" for col, o in m.fallbacks.items()]
    out += [f"{col} x {o}" for col, o in m.multiply.items()]
    return out
