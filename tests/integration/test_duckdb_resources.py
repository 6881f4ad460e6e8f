"""Config `duckdb`: every connection Steward opens, and dbt's, runs under its memory cap and spill folder."""

from __future__ import annotations

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from flows.transform import _dbt_flags, _with_vars
from flows import warehouse
from flows.config import ConfigError
from flows.warehouse import apply_resources, connect, open_reader
from tests.conftest import GENERATED_AS_OF, make_config



@pytest.fixture(autouse=True)
def _restore_resources(monkeypatch):
    """load_config sets the process-wide settings; leave the next test the ones it had."""
    monkeypatch.setattr(warehouse, "_resources", dict(warehouse._resources))


SETTINGS = "select current_setting('memory_limit'), current_setting('temp_directory')"


def _duckdb_spelling(limit: str) -> str:
    """How DuckDB reports a memory_limit it was given (1GB reads back as 953.6 MiB)."""
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{limit}'")
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_default_fits_an_8_gib_worker(tmp_path):
    cfg = make_config(tmp_path / "ws")
    with connect(cfg.path("warehouse")) as con:
        limit, temp = con.execute(SETTINGS).fetchone()
    assert limit == _duckdb_spelling("5GB")
    assert temp == str(tmp_path / "ws" / "tmp")


def test_writer_reader_and_dbt_use_the_configured_settings(tmp_path, monkeypatch):
    cfg = make_config(tmp_path / "ws", duckdb={"memory_limit": "1GB", "temp_directory": str(tmp_path / "spill")})
    expected = (_duckdb_spelling("1GB"), str(tmp_path / "spill"))
    assert expected[0] != _duckdb_spelling("5GB")
    warehouse = cfg.path("warehouse")
    with connect(warehouse) as con:
        assert con.execute(SETTINGS).fetchone() == expected
    with open_reader(warehouse) as con:
        assert con.execute(SETTINGS).fetchone() == expected

    for key in ("STEWARD_DUCKDB_PATH", "STEWARD_DBT_THREADS", "STEWARD_DUCKDB_MEMORY_LIMIT",
                "STEWARD_DUCKDB_TEMP_DIRECTORY"):  # the profile dbt gets is written from the config, not env
        monkeypatch.delenv(key, raising=False)
    res = dbtRunner().invoke(_with_vars(cfg, ["show", "--inline", SETTINGS + " as s"], GENERATED_AS_OF)
                             + _dbt_flags(cfg, quiet=True))
    assert res.success, res.exception
    row = tuple(res.result.results[0].agate_table.rows[0])
    assert row == expected


def test_memory_limit_is_checked_at_load(tmp_path):
    with pytest.raises(ConfigError, match="memory_limit"):
        make_config(tmp_path / "ws", duckdb={"memory_limit": "lots"})


# a sort of about 250 MB of text: more than a 100MB cap holds
BIG_SORT = ("select sum(hash(s)) from (select md5(range::varchar) || md5((range + 1)::varchar) as s "
            "from range(4000000) order by s limit 1000000 offset 1)")


def test_over_the_cap_a_steward_connection_spills_instead_of_dying(tmp_path):
    cfg = make_config(tmp_path / "ws", duckdb={"memory_limit": "100MB"})
    with connect(cfg.path("warehouse")) as con:
        con.execute("set temp_directory = ''")  # the control: with nowhere to spill, the cap is fatal
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(BIG_SORT).fetchone()
        apply_resources(con, cfg.path("warehouse"))  # Steward's settings again: the spill folder
        assert con.execute(BIG_SORT).fetchone()[0] is not None
        assert (tmp_path / "ws" / "tmp").is_dir()  # DuckDB created it to spill into
