"""`steward preview-emails`: screenshots of every email kind in the outbox, desktop and phone width.

Reads the file transport's outbox (each message's self-contained .html and its .eml), picks one
example per kind (the CS leader's and a CSM's alert digest apart), and has headless Chromium
render each at 800 px and 375 px into <workspace>/previews, with an index.html to review them
side by side and each message's plain-text part beside its pictures.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Annotated, Optional

import typer

WIDTHS = {"desktop": 800, "phone": 375}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class PreviewError(Exception):
    """Previews cannot be made (no outbox, no browser); the message says what to do."""


@dataclass
class Preview:
    kind: str
    subject: str
    source: Path
    shots: dict[str, Path]
    text: str


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not path:
        raise PreviewError("no Chromium found; install it (Debian: apt-get install -y chromium)")
    return path


def _chrome(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


def page_height(page: Path, width: int) -> int:
    """The rendered height of the page at this width (so a screenshot holds the whole email)."""
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(page.read_text(encoding="utf-8") + (
        "<script>window.addEventListener('load', () => { document.title = 'HEIGHT ' + "
        "document.documentElement.scrollHeight; });</script>"), encoding="utf-8")
    try:
        dom = _chrome(["--dump-dom", f"--window-size={width},900", "--virtual-time-budget=3000",
                       probe.as_uri()]).stdout
    finally:
        probe.unlink(missing_ok=True)
    try:
        return min(int(dom.split("<title>HEIGHT ", 1)[1].split("<", 1)[0]), 12000)
    except (IndexError, ValueError):
        return 2400


def screenshot(page: Path, out: Path, width: int) -> Path:
    height = page_height(page, width)
    _chrome([f"--screenshot={out}", f"--window-size={width},{height}", "--virtual-time-budget=3000",
             page.as_uri()])
    if not out.exists():
        raise PreviewError(f"Chromium wrote no screenshot of {page}")
    return out


def kind_of(path: Path) -> str:
    """alert_digest__cs-leader-example-com__m1.html -> alert_digest."""
    return path.name.split("__", 1)[0]


def pick_examples(outbox: Path, leader: str) -> dict[str, Path]:
    """One .html per email kind, the newest day first; the leader's alert digest kept apart."""
    leader_stem = "".join(c if c.isalnum() else "-" for c in leader).strip("-")
    chosen: dict[str, Path] = {}
    for page in sorted(outbox.rglob("*.html"), key=lambda p: (p.parent.name, p.name), reverse=True):
        if not page.with_suffix(".eml").exists() or page.name.endswith(".probe.html"):
            continue
        kind = kind_of(page)
        if kind == "alert_digest":
            kind = "alert_digest_leader" if f"__{leader_stem}__" in page.name else "alert_digest_csm"
        chosen.setdefault(kind, page)
    return dict(sorted(chosen.items()))


def _parts(eml: Path) -> tuple[str, str]:
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    body = msg.get_body(("plain",))
    return str(msg["Subject"] or ""), body.get_content() if body else ""


def make_previews(outbox: Path, out: Path, leader: str) -> list[Preview]:
    """Screenshots of one example per kind at each width, and an index page."""
    examples = pick_examples(outbox, leader)
    if not examples:
        raise PreviewError(f"no emails in {outbox}; run `steward demo` (file transport) first")
    out.mkdir(parents=True, exist_ok=True)
    previews = []
    for kind, page in examples.items():
        shots = {name: screenshot(page, out / f"{kind}-{name}.png", width) for name, width in WIDTHS.items()}
        subject, text = _parts(page.with_suffix(".eml"))
        (out / f"{kind}.txt").write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")
        previews.append(Preview(kind, subject, page, shots, text))
    _index(previews, out / "index.html")
    return previews


def _index(previews: list[Preview], path: Path) -> None:
    rows = "".join(
        f"<h2>{html.escape(p.kind)}: {html.escape(p.subject)}</h2><div style='display:flex;gap:16px;"
        f"align-items:flex-start'><img src='{p.shots['desktop'].name}' style='width:800px;border:1px solid #ccc'>"
        f"<img src='{p.shots['phone'].name}' style='width:375px;border:1px solid #ccc'>"
        f"<pre style='max-width:420px;white-space:pre-wrap;font-size:11px'>{html.escape(p.text)}</pre></div>"
        for p in previews)
    path.write_text(f"<!DOCTYPE html><meta charset='utf-8'><title>Steward email previews</title>"
                    f"<body style='font-family:sans-serif'><h1>Steward email previews</h1>{rows}</body>",
                    encoding="utf-8")


def preview_emails(
    out: Annotated[Optional[Path], typer.Option(help="Folder for the screenshots (default <workspace>/previews).")]
    = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config file (default: steward.yml).")]
    = None,
    workspace: Annotated[Optional[Path], typer.Option(
        "--workspace", "-w", help="Workspace folder (default .steward; env STEWARD_WORKSPACE).")] = None,
    pages: Annotated[bool, typer.Option("--pages/--no-pages", help="Also screenshot every `steward serve` page "
                                                                   "(into <out>/pages).")] = True,
) -> None:
    """Screenshot one email of every kind in the outbox, and every `steward serve` page, at desktop
    (800 px) and phone (375 px) width: everything a person is shown, for review in one folder.

    Example: steward demo && steward preview-emails
    """
    from flows.cli.common import _fail, build_config, console

    cfg = build_config(config, workspace)
    target = out or cfg.path("workspace") / "previews"
    try:
        previews = make_previews(cfg.path("outbox"), target, cfg.recipients.cs_leader)
    except PreviewError as exc:
        _fail(str(exc))
    for p in previews:
        console.print(f"  {p.kind:<32} {p.shots['desktop'].name}, {p.shots['phone'].name}")
    console.print(f"{len(previews)} email kinds, {2 * len(previews)} screenshots: {target / 'index.html'}")
    if pages:
        from flows.serve.links import LinkError
        from flows.serve.screenshots import ScreenshotError, take_all

        try:
            shots = take_all(cfg, target / "pages")
        except (LinkError, ScreenshotError) as exc:
            _fail(f"web pages: {exc}")
        console.print(f"{len(shots)} web page screenshots: {target / 'pages'}")
