"""flows/config/ is a package of small modules; `from flows.config import X` keeps working everywhere."""

import ast

import flows.config
from flows.config import REPO_ROOT


def test_every_name_imported_from_flows_config_is_exported():
    wanted = set()
    for path in [*(REPO_ROOT / "flows").rglob("*.py"), *(REPO_ROOT / "tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flows.config":
                wanted |= {alias.name for alias in node.names}
    assert {"Config", "ConfigError", "load_config", "REPO_ROOT"} <= wanted
    assert not sorted(n for n in wanted if not hasattr(flows.config, n))
    assert set(flows.config.__all__) >= wanted


def test_config_modules_stay_small():
    folder = REPO_ROOT / "flows" / "config"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*.py")}
    assert len(sizes) >= 15
    assert not {name: n for name, n in sizes.items() if n >= 400}
