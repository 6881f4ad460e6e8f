"""dbt through Prefect in both modes: one task for the build (default) or one task per dbt node."""

import shutil
import time
from datetime import date
from pathlib import Path

import yaml

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort

from tests.conftest import GENERATED_AS_OF, make_config
from flows import progress

AS_OF = date(2026, 3, 15)
SELECT = "staging"


class Recorder:
    """A progress reporter that keeps what the dbt callback told it."""

    def __init__(self):
        self.total, self.advanced = None, 0

    def stage(self, name, total=None):
        pass

    def resize(self, total):
        self.total = total

    def advance(self, n=1):
        self.advanced += n

    def done(self, message):
        pass

    def note(self, message):
        pass


@pytest.fixture
def ingested(prefect_harness, tmp_path, minimal_landing, monkeypatch):
    from flows.ingest.flow import ingest

    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")  # no mart tests that point at staging

    def make(**sections):
        cfg = make_config(tmp_path / "ws", minimal_landing, **sections)
        ingest(cfg)
        return cfg

    return make


def task_run_names(state, expect: int = 1, wait: float = 60) -> list[str]:
    """The flow run's task runs; Prefect records them from events, so poll until `expect` arrive."""
    flow_run_id = state.state_details.flow_run_id
    deadline = time.monotonic() + wait
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                                         sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=200)
        if len(runs) >= expect or time.monotonic() > deadline:
            return sorted(r.name for r in runs)
        time.sleep(1)


def test_default_build_is_one_prefect_task_with_node_progress(ingested):
    from flows.transform import dbt_build

    cfg = ingested()
    rec = Recorder()
    previous = progress.use(rec)
    try:
        state = dbt_build(cfg, AS_OF, select=SELECT, return_state=True)
    finally:
        progress.use(previous)
    result = state.result()
    nodes = result.models + result.tests + result.unit_tests
    assert result.models >= 10 and result.tests >= 30 and not result.failures
    assert [n.rsplit("-", 1)[0] for n in task_run_names(state)] == ["dbt"]
    assert rec.total == nodes and rec.advanced == nodes  # the bar was sized, then filled, by dbt events


def test_node_tasks_setting_runs_every_dbt_node_as_its_own_task(ingested):
    from flows.transform import dbt_build

    cfg = ingested(dbt={"node_tasks": True})
    state = dbt_build(cfg, AS_OF, select=SELECT, return_state=True)
    result = state.result()
    nodes = result.models + result.tests + result.unit_tests
    names = task_run_names(state, expect=nodes)
    assert len(names) == nodes
    assert any("stg_crm__accounts" in n for n in names) and "dbt" not in [n.rsplit("-", 1)[0] for n in names]


@pytest.mark.parametrize("unit_tests", [False, True], ids=["default", "configured"])
def test_a_build_runs_dbt_unit_tests_only_when_configured(ingested, unit_tests):
    from flows.transform import dbt_build

    cfg = ingested(dbt={"unit_tests": unit_tests})
    result = dbt_build(cfg, AS_OF, select="staging int_subscriptions__normalised")
    assert result.models >= 11 and not result.failures
    # int_subscriptions__normalised two, stg_identity__crosswalk one, stg_ops__survey_invitations one
    assert result.unit_tests == (4 if unit_tests else 0)


def defined_unit_tests() -> set[str]:
    project = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
    return {t["name"] for f in project.rglob("*.yml") for t in (yaml.safe_load(f.read_text()) or {}).get("unit_tests", [])}


def test_every_dbt_unit_test_passes(generated_workspace, tmp_path):
    """Daily builds leave dbt's unit tests out (dbt.unit_tests: false), so this is where the
    hand-computed expectations (MRR movements, NRR/GRR, renewals, health, alerts...) are checked:
    all of them, on a copy of a built warehouse (dbt reads the input models' column types there)."""
    from flows.transform import run_dbt

    ws = tmp_path / "ws"
    shutil.copytree(generated_workspace, ws, ignore=shutil.ignore_patterns("landing", "reports", "outbox", "truth"))
    result = run_dbt(make_config(ws), ["test", "--select", "test_type:unit"], GENERATED_AS_OF)
    assert not result.failures
    assert result.unit_tests == len(defined_unit_tests()) >= 40
