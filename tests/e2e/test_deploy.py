"""README's "Deploy with Prefect", as written: a real server, `prefect deploy --all`, a process worker.

One test, because the server, the deployments and the worker are what it costs (~2 min): it
checks every deployment and schedule of prefect.yaml through the API, then runs the daily
deployment and the NRR report deployment to Completed on the worker, and reads the run's
summary artifact back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from flows.prefect_server import PrefectServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-06-30"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _env(api_url: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home), "STEWARD_HOME": str(REPO),
                  "PREFECT_CLI_PROMPT": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "COLUMNS": "200"}


def _prefect(*args: str, env: dict, timeout: int = 180) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def _run_to_end(api: httpx.Client, deployment_id: str, parameters: dict, timeout: float = 420) -> dict:
    run = api.post(f"/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters})
    run.raise_for_status()
    run_id, deadline = run.json()["id"], time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(f"/flow_runs/{run_id}").json()
        if state["state"]["type"] in FINAL:
            return state
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} did not finish in {timeout:.0f} s: {state['state']}")


def _scheduled_deployments(api: httpx.Client, wanted: set[str], timeout: float = 120) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        runs = api.post("/flow_runs/filter", json={
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 200}).json()
        have = {r["deployment_id"] for r in runs} & wanted
        if have == wanted or time.monotonic() > deadline:
            return have
        time.sleep(2)


def test_readme_deploy_steps_run_the_daily_and_a_report_deployment(tmp_path):
    ws = tmp_path / "ws"
    gen = subprocess.run([sys.executable, "-m", "flows", "generate", "--accounts", "20", "--months", "3",
                          "--as-of", AS_OF, "--workspace", str(ws)], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert gen.returncode == 0, gen.stdout + gen.stderr

    home = tmp_path / "prefect-home"
    server = PrefectServer(home)
    worker = None
    try:
        server.wait(timeout=180)
        env = _env(server.url, home)
        _prefect("work-pool", "create", "steward-local", "--type", "process", env=env)
        _prefect("work-pool", "set-concurrency-limit", "steward-local", "1", env=env)
        deploy = _prefect("deploy", "--all", env=env, timeout=300)
        assert "422" not in deploy.stdout + deploy.stderr

        expected = {d["name"]: d for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]}
        with httpx.Client(base_url=server.url, timeout=30) as api:
            found = {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}
            assert set(found) == set(expected)
            for name, dep in expected.items():
                got = [(s["schedule"]["cron"], s["schedule"]["timezone"], s["active"]) for s in found[name]["schedules"]]
                assert got == [(s["cron"], s["timezone"], True) for s in dep["schedules"]], name
                assert found[name]["work_pool_name"] == "steward-local"
            assert api.get("/work_pools/steward-local").json()["concurrency_limit"] == 1

            worker_log = (tmp_path / "worker.log").open("wb")
            worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "steward-local"],
                                      cwd=REPO, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
            daily = _run_to_end(api, found["daily"]["id"], {"as_of": AS_OF, "workspace": str(ws)})
            log = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
            assert daily["state"]["type"] == "COMPLETED", f"{daily['state']}\n{log}"
            report = _run_to_end(api, found["nrr-report"]["id"], {"as_of": AS_OF, "workspace": str(ws)})
            log = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
            assert report["state"]["type"] == "COMPLETED", f"{report['state']}\n{log}"

            artifacts = api.post("/artifacts/filter", json={
                "artifacts": {"flow_run_id": {"any_": [daily["id"]]}}}).json()
            summary = next(a for a in artifacts if a["key"] == "steward-run-summary")
            # The server's scheduler has put each deployment's next runs on the calendar (with
            # sqlalchemy 2.1 it fails and no scheduled run is ever created).
            scheduled = _scheduled_deployments(api, set(d["id"] for d in found.values()))
            assert scheduled == {d["id"] for d in found.values()}, (scheduled, server.log.read_text()[-3000:])
            assert summary["type"] == "markdown"
            assert f"Steward run for {AS_OF}: succeeded" in summary["data"]
            assert "| dbt build |" in summary["data"] and "| accounts | 20 |" in summary["data"]

        assert (ws / "analyst" / "warehouse.duckdb").exists()
        assert list((ws / "outbox").rglob("report_nrr__*.eml")), "the NRR report was not delivered"
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        server.stop()
