"""The run lock: one run (or scheduled report) writes a workspace at a time.

`<workspace>/run.lock` is held with an exclusive `flock` for the whole run and says who holds it
(pid, as_of, since). The kernel drops a flock when its process dies, even by SIGKILL, so a lock
left by a killed run can never block the next one: the next run finds the file unlocked, notes
that the pid it names is gone, and takes it over. A second live run fails at once with one line.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

LOCK_NAME = "run.lock"

# Locks this process holds, so a flow called by the CLI (which locked first) does not lock twice.
_held: dict[Path, int] = {}


class RunLockHeld(RuntimeError):
    """Another live process holds the workspace (said in one line)."""


@dataclass(frozen=True)
class LockInfo:
    pid: int | None
    as_of: str | None
    since: str | None
    stale_from: int | None = None  # the pid of a killed run whose lock was taken over


def _read(f) -> dict:
    f.seek(0)
    try:
        return json.loads(f.read() or "{}")
    except ValueError:
        return {}


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def run_lock(workspace: Path | str, as_of: object, what: str = "a run") -> Iterator[LockInfo]:
    """Hold the workspace for one run; raises RunLockHeld at once if another process holds it."""
    path = (Path(workspace) / LOCK_NAME).resolve()
    if path in _held:  # re-entered in the same process (CLI, then the flow it calls)
        yield LockInfo(os.getpid(), str(as_of), None)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    f = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held = _read(f)
        f.close()
        raise RunLockHeld(
            f"{held.get('what', 'a run')} for {held.get('as_of', '?')} has held the workspace since "
            f"{held.get('since', '?')} (pid {held.get('pid', '?')}); wait for it to finish ({path})") from None
    previous = _read(f)
    stale = previous.get("pid") if previous.get("pid") and previous.get("pid") != os.getpid() else None
    if stale and _alive(stale):
        stale = None  # unlocked but its pid lives (reused, or a clean exit mid-cleanup): nothing to report
    since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    f.seek(0)
    f.truncate()
    f.write(json.dumps({"pid": os.getpid(), "as_of": str(as_of), "since": since, "what": what}))
    f.flush()
    _held[path] = os.getpid()
    try:
        yield LockInfo(os.getpid(), str(as_of), since, stale_from=stale)
    finally:
        _held.pop(path, None)
        f.seek(0)
        f.truncate()  # an empty file: nobody holds it
        f.flush()
        f.close()  # closing drops the flock
