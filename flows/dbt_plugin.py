"""A dbt-duckdb plugin that sets the spill folder once per database, not on every cursor.

dbt-duckdb applies a profile's `settings` with SET on every cursor it opens (one per model and
thread); DuckDB refuses `SET temp_directory` once the database has spilled, so a build that
spilled failed at its next model. The profile (flows/transform.py::dbt_profile) names this module
under `plugins:` with the folder in its config; dbt calls configure_connection once per database.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from flows.warehouse import set_temp_directory


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.temp_directory = str(plugin_config["temp_directory"])

    def configure_connection(self, conn) -> None:
        set_temp_directory(conn, self.temp_directory)
