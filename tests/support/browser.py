"""Headless Chromium (Debian's package) for rendering checks: screenshot and post-load DOM."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium() -> str:
    """The browser binary; CI installs it (.ci/run), elsewhere a missing browser skips the test."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium not installed (apt-get install chromium) — rendering checks skipped")


def _run(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


def screenshot(page: Path, out: Path, width: int = 800, height: int = 2400) -> Path:
    _run([f"--screenshot={out}", f"--window-size={width},{height}", "--virtual-time-budget=5000",
          page.as_uri()])
    assert out.exists(), f"chromium wrote no screenshot for {page}"
    return out


def loaded_images(page: Path) -> tuple[int, int]:
    """(images on the page, images that decoded with a non-zero size) after load."""
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(page.read_text(encoding="utf-8") + (
        "<script>window.addEventListener('load', () => { const i = [...document.images];"
        " document.title = 'IMAGES ' + i.length + ' ' + i.filter(x => x.naturalWidth > 0).length; });"
        "</script>"), encoding="utf-8")
    dom = _run(["--dump-dom", "--virtual-time-budget=5000", probe.as_uri()]).stdout
    marker = dom.split("<title>IMAGES ", 1)[1].split("<", 1)[0]
    total, ok = (int(x) for x in marker.split())
    return total, ok


def ink_fraction(png: Path) -> float:
    """Share of pixels darker than the page's light greys: 0 means a blank render."""
    import matplotlib.image as mpimg

    img = mpimg.imread(png)[..., :3]
    return float((img.min(axis=2) < 0.92).mean())
