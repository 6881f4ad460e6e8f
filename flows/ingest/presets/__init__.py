"""Vendor presets: `sources:` mappings shipped as YAML files users can copy and edit.

`sources: {billing: stripe, crm: hubspot}` in steward.yml: a key that is not a landing table but a
system name, with a string value, names a preset (a file here, or a path to the user's own copy).
The preset's per-table mappings are merged under any per-table `sources.<table>` entries, which
win key by key (columns, values, ...), so a user can adjust one column without copying the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

PRESET_DIR = Path(__file__).parent
SYSTEMS = ("crm", "billing", "product", "support", "surveys")


def available() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yml"))


def load(name: str) -> dict:
    """The preset's raw YAML: {system, description, sources: {table: mapping}}."""
    path = Path(name).expanduser()
    if path.suffix not in (".yml", ".yaml"):
        path = PRESET_DIR / f"{name}.yml"
    if not path.is_file():
        raise ValueError(f"preset {name!r} not found; shipped presets: {', '.join(available())} "
                         f"(or give the path of a .yml mapping file)")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data.get("sources"), dict):
        raise ValueError(f"preset {path}: no `sources:` mapping in the file")
    return data


def expand(sources):
    """Replace `system: preset` entries by the preset's per-table mappings (explicit entries win)."""
    if not isinstance(sources, dict):
        return sources
    presets = {k: v for k, v in sources.items() if isinstance(v, str)}
    if not presets:
        return sources
    out: dict = {}
    for system, name in presets.items():
        if system not in SYSTEMS:
            raise ValueError(f"sources.{system}: {name!r} names a preset, so the key must be a system "
                             f"({', '.join(SYSTEMS)}); per-table mappings are objects")
        for table, mapping in load(name)["sources"].items():
            if table in out:
                raise ValueError(f"sources.{system}: preset {name!r} maps {table}, which another preset "
                                 f"already maps; map {table} explicitly under sources.{table}")
            out[table] = dict(mapping)
    for table, mapping in sources.items():
        if table in presets:
            continue
        out[table] = {**out.get(table, {}), **(mapping or {})}
    return out
