"""Where Steward keeps its files (`paths:`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from flows.config.base import _Section


class Paths(_Section):
    """Where Steward keeps its files; relative paths resolve against the workspace."""

    workspace: Path = Field(Path(".steward"), description="Folder holding everything below.")
    landing: Path = Field(Path("landing"), description="Landing files (CSV/Parquet/JSONL).")
    warehouse: Path = Field(Path("warehouse.duckdb"), description="The DuckDB file.")
    outbox: Path = Field(Path("outbox"), description="Where the file transport writes emails.")
    truth: Path = Field(Path("truth"), description="Generator ground truth (never landed).")
    reports: Path = Field(Path("reports"), description="Rendered reports.")

    def resolve(self, name: str) -> Path:
        """Absolute path of one entry; relative entries live under the workspace."""
        ws = self.workspace.expanduser().resolve()
        if name == "workspace":
            return ws
        p = Path(getattr(self, name)).expanduser()
        return p if p.is_absolute() else ws / p

    @property
    def dbt_target(self) -> Path:
        """dbt artifacts go to the workspace so parallel workspaces never share a target/."""
        return self.resolve("workspace") / "dbt" / "target"
