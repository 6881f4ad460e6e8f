"""Rules of the house that a grep can check (issue 21): Python reads marts and ops, never dbt's
staging views, and no module grows past 400 lines."""

import re
from pathlib import Path

FLOWS = Path(__file__).resolve().parents[2] / "flows"
MAX_LINES = 400
# being split into packages on their own branches (issue 21): drop once merged
SPLIT_ELSEWHERE = {"cli.py", "config.py"}


def test_no_python_module_queries_dbt_staging():
    hits = [f"{p.relative_to(FLOWS.parent)}:{n}: {line.strip()}"
            for p in sorted(FLOWS.rglob("*.py"))
            for n, line in enumerate(p.read_text().splitlines(), start=1)
            if re.search(r"\bstaging\.stg_", line)]
    assert not hits, "Python reads marts (or ops), not staging:\n" + "\n".join(hits)


def test_no_module_over_400_lines():
    long = [f"{p.relative_to(FLOWS.parent)}: {n} lines" for p in sorted(FLOWS.rglob("*.py"))
            if p.relative_to(FLOWS).as_posix() not in SPLIT_ELSEWHERE
            and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "split by responsibility:\n" + "\n".join(long)
