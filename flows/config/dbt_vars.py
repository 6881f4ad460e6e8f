"""Print the vars Steward passes to dbt, for running dbt by hand on a copy of the warehouse.

    cd dbt_project && uv run dbt build --select fct_mrr \
        --vars "$(uv run python -m flows.config.dbt_vars --as-of 2026-11-23)"

dbt_project.yml holds no defaults: the config (steward.yml over the pydantic defaults, with the
usual STEWARD_* environment overrides) is the only source of every var.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from flows.config.loading import load_config
from flows.config.root import Config


def project_vars(config: Config, as_of: date | None = None) -> dict[str, Any]:
    """as_of (when given) and every config-driven var the dbt project reads."""
    return ({"as_of": as_of.isoformat()} if as_of is not None else {}) | config.dbt_vars()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.config.dbt_vars", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="steward.yml to read (default: the repository's)")
    parser.add_argument("--as-of", type=date.fromisoformat, help="the as_of date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    print(json.dumps(project_vars(load_config(args.config), args.as_of)))


if __name__ == "__main__":
    main()
