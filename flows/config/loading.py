"""Loading steward.yml: environment overrides, merging, one-line errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows.config.base import DEFAULT_CONFIG_FILE, ConfigError
from flows.config.env import env_overrides
from flows.config.root import Config


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        merged[k] = _merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def _describe(err: dict[str, Any], source: str) -> str:
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    value = err.get("input")
    shown = "missing" if err["type"] == "missing" else repr(value)
    if not err["loc"]:  # a check across sections: its message names the keys
        return f"{source}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key `{key}` (value {shown}); check the spelling against steward.yml"
    return f"{source}: key `{key}` has value {shown}: expected {err['msg'].removeprefix('Value error, ')}"


def load_config(
    path: Path | str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load steward.yml (or the given file), apply env then explicit overrides, validate."""
    path = Path(path) if path else DEFAULT_CONFIG_FILE
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    data = _merge(raw, env_overrides(os.environ if environ is None else environ))
    data = _merge(data, overrides or {})
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(e, str(path)) for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    from flows.warehouse import set_resources  # every connection this process opens uses these

    set_resources(cfg.duckdb.memory_limit, cfg.duckdb.temp_path(cfg.path("workspace")))
    return cfg
