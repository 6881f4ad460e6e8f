"""The append-only action log: what people did through `steward serve`, one JSON object a line.

Files are `<landing>/steward_actions/actions-<UTC date>.jsonl`. The service only appends (under
an exclusive file lock, one write per line); the next run applies each line once
(flows/serve/apply.py). The log is also the memory of used one-shot links: a token id that
appears in it cannot be used again.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

ACTION_DIR = "steward_actions"  # under the landing folder; ingest discovery leaves it alone
KINDS = ("alert.acknowledge", "alert.snooze", "alert.resolve", "task.done", "unsubscribe", "survey.answer",
         "webhook.bounce", "webhook.dropped", "webhook.spamreport", "webhook.unsubscribe")


def log_dir(landing: Path) -> Path:
    return landing / ACTION_DIR


@contextmanager
def _locked(landing: Path) -> Iterator[Path]:
    folder = log_dir(landing)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read(landing: Path, since: date | None = None) -> Iterator[tuple[Path, int, str]]:
    """(file, line number from 1, raw line) for every non-blank line, oldest file first
    (only files dated `since` or later, when given)."""
    folder = log_dir(landing)
    for f in sorted(folder.glob("actions-*.jsonl")) if folder.is_dir() else []:
        if since is not None and f.stem.removeprefix("actions-") < since.isoformat():
            continue
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield f, n, line


def used_token_ids(landing: Path, since: date | None = None) -> set[str]:
    """Token ids in the log; `since` skips files older than any still-valid link could be."""
    used = set()
    for _f, _n, line in read(landing, since):
        try:
            token_id = json.loads(line).get("token_id")
        except (ValueError, AttributeError):
            continue
        if token_id:
            used.add(token_id)
    return used


def append(landing: Path, kind: str, target: str, token_id: str | None = None, since: date | None = None,
           **fields) -> dict | None:
    """Append one action; None (and nothing written) when token_id was already used."""
    if kind not in KINDS:
        raise ValueError(f"unknown action kind {kind!r}")
    now = datetime.now(timezone.utc)
    record = {"action_id": uuid.uuid4().hex, "kind": kind, "target": target, "token_id": token_id,
              "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}
    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    with _locked(landing) as folder:
        if token_id and token_id in used_token_ids(landing, since):
            return None
        fd = os.open(folder / f"actions-{now.date().isoformat()}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o644)
        try:
            os.write(fd, line)  # one write: a reader never sees half a line from us
            os.fsync(fd)
        finally:
            os.close(fd)
    return record
