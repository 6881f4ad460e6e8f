"""A private Prefect API server started in the background, so its start-up overlaps other work.

Prefect's ephemeral mode starts a server lazily at the first flow call and blocks on it
(~10 s, ~16 s on a fresh database). The CLI instead launches `prefect server start` as soon as
it knows a command needs Prefect, carries on (generating data, importing GX and dbt) on the
other core, and waits for health only before the first flow. A user's own server
(PREFECT_API_URL set) is always used instead.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if the CLI dies, even by SIGKILL; no orphaned servers."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class PrefectServer:
    """`prefect server start` on 127.0.0.1 and a free port, with its database under `home`."""

    def __init__(self, home: Path, log_level: str = "WARNING"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.ready_after: float | None = None
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_UI_ENABLED": "false", "PREFECT_LOGGING_LEVEL": log_level}
        env.pop("PREFECT_API_URL", None)
        self.log = home / "server.log"
        self._started = time.perf_counter()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    def answers(self, timeout: float = 2) -> bool:
        """One /health probe; the first success records the start-up time in `ready_after`."""
        if self.ready_after is None:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=timeout)
            except OSError:
                return False
            self.ready_after = time.perf_counter() - self._started
        return True

    def wait(self, timeout: float = 120) -> float:
        """Block until /health answers; returns seconds since launch (at once if already up)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.answers():
                return self.ready_after
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with code {self.proc.returncode} before answering "
                                   f"(its log: {self.log}); or set PREFECT_API_URL to a running server")
            time.sleep(0.2)
        raise RuntimeError(f"Prefect server did not answer on {self.url} within {timeout:.0f} s (its log: {self.log})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:  # a private server with nothing left to serve: no need for a long graceful stop
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


_background: PrefectServer | None = None


def start_background(home: Path) -> str | None:
    """Launch a private server unless PREFECT_API_URL names one; returns the URL this process
    must point PREFECT_API_URL at (flows/environment.py does), or None to leave it be.

    Only before Prefect is imported: Prefect reads its settings once, at import."""
    global _background
    if _background is not None or os.environ.get("PREFECT_API_URL"):
        return None
    if "prefect" in sys.modules:  # settings are fixed at import (e.g. a test harness): leave them be
        return None
    _background = PrefectServer(home)
    atexit.register(_background.stop)
    return _background.url


def still_starting() -> bool:
    """True while our background server has not answered yet (time for other warm-up work)."""
    if _background is None or _background.answers(timeout=0.5):
        return False
    return _background.proc.poll() is None


def ensure_ready() -> None:
    """Wait for the background server (no-op when using the user's server or ephemeral mode)."""
    if _background is not None:
        _background.wait()
