"""dbt through Prefect in both modes: one task for the build (default) or one task per dbt node."""

import time
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort

from tests.conftest import make_config
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
