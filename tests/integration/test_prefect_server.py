"""The CLI's own background Prefect server: used when no PREFECT_API_URL is set, never left behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def servers_for(home: Path) -> list[int]:
    """PIDs of `prefect server start` processes whose PREFECT_HOME is `home`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"server" in cmd and b"start" in cmd and f"PREFECT_HOME={home}".encode() in env:
            found.append(int(pid))
    return found


def cli(*args: str, ws: Path) -> list[str]:
    return [sys.executable, "-m", "flows", *args, "--workspace", str(ws)]


def env_without_api() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"COLUMNS": "200"}


def test_ingest_starts_its_own_server_and_stops_it(tmp_path, minimal_landing):
    ws = tmp_path / "ws"
    result = subprocess.run(cli("ingest", "--landing", str(minimal_landing), ws=ws), cwd=REPO,
                            env=env_without_api(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows loaded" in result.stdout
    assert (ws / "prefect" / "prefect.db").exists()  # the run was recorded in the workspace's own server
    assert servers_for(ws / "prefect") == []


def test_a_killed_cli_takes_its_server_down(tmp_path, minimal_landing):
    ws = tmp_path / "ws"
    proc = subprocess.Popen(cli("ingest", "--landing", str(minimal_landing), ws=ws), cwd=REPO,
                            env=env_without_api(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not servers_for(ws / "prefect") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert servers_for(ws / "prefect"), "the CLI did not start a server"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while servers_for(ws / "prefect") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert servers_for(ws / "prefect") == []
