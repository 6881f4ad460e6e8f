"""One source of defaults: the pydantic classes in flows/config/. dbt gets every var it reads from
Config.dbt_vars, and the shipped steward.yml equals the defaults wherever it does not say otherwise."""

import json
import re
import subprocess
import sys
from datetime import date

import yaml

from flows.config import DEFAULT_CONFIG_FILE, REPO_ROOT, Config, load_config
from flows.transform import _with_vars

DBT = REPO_ROOT / "dbt_project"
VAR_CALL = re.compile(r"""var\(\s*['"]([a-z_0-9]+)['"]\s*(,[^)]*)?\)""")
# Read by dbt but not config: as_of and usage_tests_from (passed per run; any other build tests
# every row) and a switch only dbt unit tests set.
NOT_CONFIG = {"as_of", "usage_tests_from", "churn_risk_scores_exist"}
# Passed to dbt but read by no model today (kept: the currency label of revenue marts to come).
NOT_READ = {"reporting_currency"}


def _var_calls() -> list[tuple[str, str, str]]:
    """(file, var name, default text) of every var() call in the project's SQL and YAML."""
    calls = []
    for path in sorted(DBT.rglob("*")):
        if path.suffix not in (".sql", ".yml") or "target" in path.parts or path.name == "dbt_project.yml":
            continue
        for name, default in VAR_CALL.findall(path.read_text(encoding="utf-8")):
            calls.append((str(path.relative_to(DBT)), name, default.strip(", ")))
    return calls


def test_every_var_dbt_reads_comes_from_the_config():
    produced = set(load_config(environ={}).dbt_vars())
    calls = _var_calls()
    assert len(calls) > 50  # the scan sees the project
    missing = sorted({f"{f}: {n}" for f, n, _ in calls if n not in produced | NOT_CONFIG})
    assert not missing, f"var() read by dbt but not produced by Config.dbt_vars: {missing}"
    unread = produced - {n for _, n, _ in calls} - NOT_READ
    assert not unread, f"Config.dbt_vars produces vars no model reads: {sorted(unread)}"


def test_no_var_call_carries_a_default_of_its_own():
    """A default in SQL would be a second source (and silently wins if the config forgets a var)."""
    with_default = sorted({f"{f}: {n}, {d}" for f, n, d in _var_calls() if d and n not in NOT_CONFIG})
    assert not with_default, with_default
    assert {d for _, n, d in _var_calls() if n in NOT_CONFIG} <= {"", "none"}


def test_dbt_project_yml_repeats_no_default():
    project = yaml.safe_load((DBT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "vars" not in project


def test_every_dbt_command_gets_the_config_vars():
    cfg = load_config(environ={"STEWARD_ALERTS__HEALTH_DIP__POINTS": "25"})
    with_as_of = _with_vars(cfg, ["build"], date(2026, 11, 23))
    without = _with_vars(cfg, ["parse"], None)
    for args in (with_as_of, without):
        assert args[-2] == "--vars"
        passed = json.loads(args[-1])
        assert passed["alert_rules"]["health_dip"]["points"] == 25
        assert {k: v for k, v in passed.items() if k != "as_of"} == json.loads(json.dumps(cfg.dbt_vars()))
    assert json.loads(with_as_of[-1])["as_of"] == "2026-11-23" and "as_of" not in json.loads(without[-1])


def test_the_vars_for_dbt_by_hand_are_printed_as_json():
    out = subprocess.run([sys.executable, "-m", "flows.config.dbt_vars", "--as-of", "2026-11-23"],
                         capture_output=True, text=True, check=True, cwd=REPO_ROOT,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT)})
    printed = json.loads(out.stdout)
    assert printed.pop("as_of") == "2026-11-23"
    assert printed == json.loads(json.dumps(load_config(environ={}).dbt_vars()))


# --- the shipped steward.yml equals the defaults where it does not say otherwise ------------------

MARK = re.compile(r"#\s*(example|changed):")


def _key_lines(text: str) -> dict[tuple[str, ...], str]:
    """Key path -> its line, for block-style mapping keys (flow-style children share the parent's line)."""
    out: dict[tuple[str, ...], str] = {}
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        m = re.match(r"^( *)([A-Za-z_][A-Za-z0-9_]*):(\s|$)", line)
        if not m:
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        out[tuple(k for _, k in stack)] = line
    return out


def _differences(shipped, default, path=()) -> list[tuple[str, ...]]:
    if isinstance(shipped, dict) and isinstance(default, dict):
        return [d for k, v in shipped.items() for d in _differences(v, default.get(k), path + (k,))]
    return [] if shipped == default else [path]


def _marked_prefix(path: tuple[str, ...], lines: dict[tuple[str, ...], str]) -> bool:
    """The key's line, or the line of a mapping it sits in, carries the mark."""
    return any(MARK.search(lines.get(path[:n], "")) for n in range(len(path), 0, -1))


def test_shipped_steward_yml_equals_the_defaults_unless_marked():
    text = DEFAULT_CONFIG_FILE.read_text(encoding="utf-8")
    shipped = load_config(environ={}).model_dump(mode="json", exclude_unset=False)
    raw = yaml.safe_load(text)
    default = Config().model_dump(mode="json")
    # compare what the file sets, validated (so 15 and 15.0 are the same value)
    set_in_file = {k: shipped[k] for k in raw}
    lines = _key_lines(text)
    unmarked = [".".join(p) for p in _differences(_only(set_in_file, raw), default) if not _marked_prefix(p, lines)]
    assert not unmarked, f"steward.yml differs from the code default without `# changed:`/`# example:`: {unmarked}"
    marked = [p for p, line in lines.items() if MARK.search(line)]
    assert len(marked) >= 6
    stale = [".".join(p) for p in marked if _at(set_in_file, p) == _at(default, p)]
    assert not stale, f"marked as changed/example in steward.yml but equal to the default: {stale}"


def _only(validated, raw):
    """The validated values of the keys the file sets (lists and scalars whole)."""
    if isinstance(raw, dict) and isinstance(validated, dict):
        return {k: _only(validated[k], v) for k, v in raw.items()}
    return validated


def _at(node, path):
    for k in path:
        node = node.get(k) if isinstance(node, dict) else None
    return node
