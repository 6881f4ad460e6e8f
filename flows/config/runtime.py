"""How a run runs (`dbt:`, `duckdb:`, `run:`, `publish:`, `serve:`, `model:`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from flows.config.base import DBT_PROJECT_DIR, _Section


class SparkSettings(_Section):
    """The local Spark session dbt's `spark` target starts (README "DuckDB or Spark")."""

    master: str = Field("local[2]", description="spark.master of the in-process session.")
    shuffle_partitions: int = Field(4, ge=1, description="spark.sql.shuffle.partitions (small data: few).")
    driver_memory: str = Field("2g", description="spark.driver.memory.")
    lake_uri: str | None = Field(None, description="Where Spark reads the Parquet lake (default <workspace>/lake; "
                                                   "e.g. s3a://bucket/steward/lake on a cluster).")
    conf: dict[str, str] = Field(default_factory=dict, description="Further spark.* settings of the session, over "
                                 "Steward's (e.g. {spark.sql.codegen.wholeStage: 'false'} for small data).")


class Dbt(_Section):
    threads: int = Field(4, ge=1, description="dbt threads (DuckDB parallelises inside each query too).")
    node_tasks: bool = Field(False, description="Run each dbt node as its own Prefect task (prefect-dbt); "
                                                "finer observability, ~0.15 s extra per node.")
    unit_tests: bool = Field(False, description="Also run dbt's unit tests in every build. They check the SQL "
                                                "on fixed rows, not the data, so they change only with the code: "
                                                "the test suite runs them (tests/integration/test_transform.py).")
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Where dbt builds the models: the embedded DuckDB warehouse, or Apache Spark (the "
                              "`spark` extra; README \"DuckDB or Spark\"). Env override: STEWARD_DBT__ENGINE.")
    spark: SparkSettings = Field(default_factory=lambda: SparkSettings())
    project_dir: Path = DBT_PROJECT_DIR


class DuckDbSettings(_Section):
    """DuckDB's memory cap and spill folder, for every connection Steward opens and for dbt's."""

    memory_limit: str = Field("5GB", pattern=r"^\d+(\.\d+)?\s*([KMGT]i?B)$",
                              description="DuckDB memory_limit (e.g. 5GB: fits an 8 GiB worker); beyond it DuckDB "
                                          "spills to temp_directory instead of running out of memory.")
    temp_directory: Path = Field(Path("tmp"), description="Where DuckDB spills; relative to the workspace.")

    def temp_path(self, workspace: Path) -> Path:
        p = self.temp_directory.expanduser()
        return p if p.is_absolute() else workspace / p


class RunSettings(_Section):
    """How a run shares its workspace and which clock it trusts (README "Run lock and analyst copy")."""

    lock_wait_seconds: float = Field(30, ge=0, description="How long a run waits for a process holding the "
                                                           "warehouse file open before it fails naming it.")
    future_grace_days: int = Field(1, ge=0, description="The gate's 'in the future' means after as_of plus this "
                                                        "many days (exports stamped in a later time zone).")


class Publish(_Section):
    """What the read-only analyst copy holds; raw and quarantine only if listed here."""

    schemas: list[str] = Field(["marts", "actions", "reports", "ops", "backtest"],
                               description="Schemas copied (views become tables).")
    exclude_columns: list[str] = Field(
        ["ops.outbox.text_body", "ops.outbox.html_body", "ops.outbox.attachments"],
        description="schema.table.column left out (message bodies carry survey links); columns named "
                    "token, *_secret, *_password, *_api_key are always left out.")


class Serve(_Section):
    """`steward serve`: the public base URL that email links point at and how long links live.

    Links are signed with the secret in the environment variable STEWARD_SERVE_SECRET.
    """

    base_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$",
                                 description="Public URL of `steward serve` (unset: emails carry no links).")
    action_link_days: int = Field(14, ge=1, description="Alert and task buttons in emails expire after this.")
    unsubscribe_link_days: int = Field(365, ge=1, description="Unsubscribe links expire after this.")
    page_link_days: int = Field(30, ge=1, description="Links to a CSM's or an account's page expire after this.")
    survey_days: int = Field(60, ge=1, description="A survey can be answered this long after the invitation.")
    unsubscribe_mailto: str | None = Field(None, description="Optional mailto address in List-Unsubscribe.")


class ModelBands(_Section):
    """Churn probability from which an account is medium / high risk (low below medium)."""

    medium: float = Field(0.1, gt=0, lt=1)
    high: float = Field(0.3, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.medium >= self.high:
            raise ValueError(f"model.bands: medium ({self.medium}) must be below high ({self.high})")
        return self


class ModelSettings(_Section):
    """Churn and expansion models (flows/model/; model cards in models/)."""

    random_state: int = Field(23, description="Seed of every random choice in training: same data, same model.")
    horizon_days: int = Field(90, ge=7, description="The models predict churn / expansion within this many days.")
    min_events: int = Field(50, ge=1, description="Refuse to train with fewer positive rows than this in the "
                                                  "training slice (a fifth of it in the calibration slice).")
    sample_every_days: int = Field(28, ge=7, description="One scoring date per account this often (an "
                                                         "account-specific offset): weekly rows are near copies.")
    test_days: int = Field(91, ge=28, description="The last label-complete days held out for evaluation.")
    calibration_share: float = Field(0.3, gt=0, lt=1, description="Share of accounts (never in the fit) whose "
                                                                  "earlier rows calibrate the probabilities.")
    bands: ModelBands = ModelBands()
