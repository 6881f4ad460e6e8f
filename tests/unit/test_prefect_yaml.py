"""prefect.yaml: every entrypoint imports to a documented Flow and its parameters exist."""

import importlib
import inspect

import yaml
from prefect import Flow

from flows.config import REPO_ROOT


def _deployments():
    return yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_entrypoint_is_a_documented_flow_with_real_parameters():
    deployments = _deployments()
    assert deployments
    for dep in deployments:
        path, func = dep["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, func)
        assert isinstance(flow, Flow), dep["name"]
        assert flow.fn.__doc__, f"{dep['name']}: flow has no docstring"
        params = inspect.signature(flow.fn).parameters
        assert set(dep.get("parameters", {})) <= set(params), dep["name"]
        for schedule in dep["schedules"]:
            assert schedule["cron"] and schedule["timezone"]
