"""Email rendering with Jinja2: HTML autoescaped (account names are data, never markup)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> tuple[str, str]:
    """Render `<name>.txt.j2` and `<name>.html.j2` with the same context: (text, html)."""
    env = _env()
    return (env.get_template(f"{name}.txt.j2").render(**context),
            env.get_template(f"{name}.html.j2").render(**context))
