"""Environment overrides of steward.yml, read with pydantic-settings.

Documented variables (README "Configuration"):

- `STEWARD_<SECTION>__<KEY>[__<KEY>...]=<value>`: any key of any section; a double underscore
  nests, section and key names are case-insensitive, the value is read as YAML (`[45, 15]`, `true`, `null`,
  `{usage_depth: 30}`); e.g. `STEWARD_DELIVERY__TRANSPORT=sendgrid`,
  `STEWARD_ALERTS__RENEWAL__WINDOWS_DAYS=[45, 15]`. A mapping value merges key by key with the file.
- Short aliases for the paths: `STEWARD_WORKSPACE`, `STEWARD_LANDING_DIR`, `STEWARD_WAREHOUSE`,
  `STEWARD_OUTBOX_DIR` (`paths.workspace`, `.landing`, `.warehouse`, `.outbox`; empty: unset).

A variable without a double underscore (STEWARD_SERVE_SECRET, STEWARD_SENDGRID_API_KEY, ...) is
never a config key. Precedence: steward.yml < environment < explicit overrides (CLI options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import Field, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from flows.config.base import ENV_PREFIX, ConfigError
from flows.config.root import Config

PATH_ALIASES = {"STEWARD_WORKSPACE": "workspace", "STEWARD_LANDING_DIR": "landing",
                "STEWARD_WAREHOUSE": "warehouse", "STEWARD_OUTBOX_DIR": "outbox"}


class _EnvBase(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", case_sensitive=False,
                                      extra="ignore")


# One loose field per top-level key of steward.yml (sections nest, so each is a dict here), plus the
# path aliases. Validation stays with Config: this only gathers what the environment says.
EnvOverrides = create_model(
    "EnvOverrides", __base__=_EnvBase,
    **{name: (dict[str, Any] | None, None) for name in Config.model_fields},
    **{key: (str | None, Field(None, validation_alias=var)) for var, key in PATH_ALIASES.items()},
)


class _Source(EnvSettingsSource):
    """pydantic-settings' env source over a given mapping (tests pass their own, the CLI os.environ)."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(EnvOverrides)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, False, False, None)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field.validation_alias is None:  # a whole section in one variable (STEWARD_PATHS) is not read
            return None, field_name, False
        return super().get_field_value(field, field_name)


def _leaves_as_yaml(node: Any, var: str) -> Any:
    if isinstance(node, dict):
        return {k: _leaves_as_yaml(v, f"{var}__{k.upper()}") for k, v in node.items()}
    if not isinstance(node, str) or not node:
        return node
    try:
        return yaml.safe_load(node)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        raise ConfigError(f"environment variable {var}: value {node!r} is not valid YAML ({problem})") from None


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """STEWARD_PATHS__WORKSPACE=/x -> {"paths": {"workspace": "/x"}}, ready to merge over the file."""
    ours = {k: v for k, v in environ.items() if k.startswith(ENV_PREFIX)}
    found = _Source(ours)()
    out: dict[str, Any] = {}
    for name, value in found.items():
        if name in Config.model_fields and isinstance(value, dict) and value:
            out[name] = _leaves_as_yaml(value, ENV_PREFIX + name.upper())
    for var, value in ours.items():  # STEWARD_TYPO__KEY: passed on, so validation names the unknown key
        section, sep, rest = var[len(ENV_PREFIX):].lower().partition("__")
        if sep and section not in Config.model_fields:
            node = out.setdefault(section, {})
            *keys, last = rest.split("__")
            for k in keys:
                node = node.setdefault(k, {})
            node[last] = _leaves_as_yaml(value, var)
    for var, key in PATH_ALIASES.items():
        if found.get(var) or found.get(var.lower()):
            out.setdefault("paths", {})[key] = found.get(var) or found.get(var.lower())
    return out
