"""Id formatting and writers for the landing CSVs, typed by the landing contract."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from flows.ingest.contract import IDENTITY_COLUMNS, TABLES

SYSTEM_DIR = {"crm": "crm", "billing": "billing", "support": "support", "surveys": "surveys",
              "product": "product"}


def ids(prefix: str, n: int, width: int, start: int = 1) -> np.ndarray:
    """Sequential string ids such as A000001."""
    if n == 0:
        return np.array([], dtype=str)
    nums = np.arange(start, start + n).astype(str)
    return np.strings.add(prefix, np.strings.zfill(nums, width))


def join(*parts) -> np.ndarray:
    """Element-wise concatenation of string arrays and constants."""
    return functools.reduce(np.strings.add, parts)


def pick(rng: np.random.Generator, words: tuple[str, ...], n: int, p=None) -> np.ndarray:
    """n words drawn from a vocabulary."""
    return np.asarray(words)[rng.choice(len(words), n, p=p)]


def _arrow(values: np.ndarray, dtype: str) -> pa.Array:
    """One contract column as an Arrow array; NONE days/seconds, NaN and '' become null."""
    if dtype == "string":
        values = np.asarray(values).astype(str)
        return pa.array(values, type=pa.string(), mask=values == "")
    if dtype in ("date", "timestamp"):
        values = np.asarray(values, dtype=np.int64)
        arr = pa.array(values, mask=values < 0)
        return arr.cast(pa.int32()).cast(pa.date32()) if dtype == "date" else arr.cast(pa.timestamp("s"))
    if dtype == "boolean":
        return pa.array(np.asarray(values, dtype=bool))
    if dtype == "integer":
        return pa.array(np.asarray(values, dtype=np.int64))
    values = np.round(np.asarray(values, dtype=np.float64), 2 if dtype == "decimal" else 3)
    return pa.array(values, mask=np.isnan(values))


def table_path(landing: Path, name: str) -> Path:
    """Where a non-partitioned contract table lands."""
    return landing / SYSTEM_DIR[TABLES[name].system] / f"{name}.csv"


def write_typed(path: Path, columns: dict[str, tuple[np.ndarray, str]]) -> int:
    """Write (values, contract dtype) columns as an unquoted CSV; return its row count."""
    table = pa.table({name: _arrow(values, dtype) for name, (values, dtype) in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    # Generated text never holds commas or quotes, so values and header are written unquoted.
    with path.open("wb") as out:
        out.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return table.num_rows


def write_csv(landing: Path, name: str, columns: dict[str, np.ndarray]) -> int:
    """Write one contract table with exactly the contract columns; keys starting with _ are skipped."""
    spec = TABLES[name]
    columns = {k: v for k, v in columns.items() if not k.startswith("_")}
    skipped = set(IDENTITY_COLUMNS.get(name, ()))  # other systems' ids: only vendor exports carry them
    missing = (set(spec.column_names) - skipped) ^ set(columns)
    if missing:
        raise ValueError(f"{name}: columns differ from the contract: {sorted(missing)}")
    return write_typed(table_path(landing, name),
                       {c.name: (columns[c.name], c.dtype) for c in spec.columns if c.name not in skipped})
