"""Screenshots of every page of `steward serve` (desktop and 375 px) from a workspace's real rows.

Only GET pages are requested, so nothing is submitted; the pages a POST returns (thank-you,
unsubscribed, done) are rendered from the same templates with the same data.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from flows.config import Config
from flows.serve import links, tokens
from flows.serve.queries import Reader
from flows.warehouse import open_reader

WIDTHS = {"desktop": (1280, 1400), "mobile": (375, 1800)}


class ScreenshotError(Exception):
    """Screenshots cannot be taken; the message says why."""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise ScreenshotError("chromium is not installed (apt-get install chromium)")
    return path


def _shoot(url: str, out: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", "--disable-background-networking", f"--user-data-dir={profile}",
                        f"--screenshot={out}", f"--window-size={width},{height}", url],
                       capture_output=True, timeout=120)
    if not out.exists():
        raise ScreenshotError(f"chromium wrote no screenshot of {url}")


def _survey_token(outbox: Path) -> str | None:
    """A survey link's token, as a customer has it: from an invitation email in the outbox (the
    analyst copy holds only its hash)."""
    from email import policy
    from email.parser import BytesParser

    for eml in sorted(outbox.rglob("survey_*.eml")):
        body = BytesParser(policy=policy.default).parsebytes(eml.read_bytes()).get_body(("plain",))
        found = re.search(r"/s/([A-Za-z0-9_\-]+)", body.get_content() if body else "")
        if found:
            return found.group(1)
    return None


def _samples(reader: Reader, outbox: Path) -> dict:
    con = open_reader(reader.path)
    try:
        one = lambda sql: (con.execute(sql).fetchone() or (None,))[0]  # noqa: E731
        return {
            "invitation": _survey_token(outbox),
            "alert": one("select alert_id from ops.alerts where status = 'open' and account_id is not null "
                         "order by severity, alert_id limit 1"),
            "task": one("select task_id from ops.tasks where status = 'open' order by due_date, task_id limit 1"),
            "csm": one("select owner_csm_id from marts.dim_accounts where owner_csm_id is not null "
                       "group by 1 order by count(*) desc, 1 limit 1"),
            "account": one("select account_id from ops.alerts where account_id is not null "
                           "group by 1 order by count(*) desc, 1 limit 1"),
            "email": one("select email from ops.survey_invitations order by invitation_id limit 1"),
        }
    finally:
        con.close()


def _serve(config: Config):
    import uvicorn

    from flows.serve.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    return server, thread, f"http://127.0.0.1:{port}"


def take_all(config: Config, folder: Path) -> list[Path]:
    """Screenshot every page; returns the PNG paths."""
    from flows.serve.app import templates

    reader = Reader(config.path("warehouse"))
    if not reader.available():
        raise ScreenshotError(f"no analyst copy at {reader.path}; `steward run` publishes it")
    secret, day = links.secret(config), 86400
    s = _samples(reader, config.path("outbox"))
    sign = lambda purpose, subject, ttl=day: tokens.issue(secret, purpose, subject, ttl)  # noqa: E731
    pages = {"home": "/"}
    if s["invitation"]:
        pages["survey"] = f"/s/{s['invitation']}?score=9"
    if s["email"]:
        pages["unsubscribe"] = f"/u/{sign('unsubscribe', s['email'])}"
    if s["alert"]:
        pages["alert-acknowledge"] = f"/a/{sign('alert.acknowledge', s['alert'])}"
        pages["refused-expired"] = f"/a/{sign('alert.snooze', s['alert'], -60)}"
        pages["refused-tampered"] = f"/a/{sign('alert.resolve', s['alert'])[:-3]}xyz"
    if s["task"]:
        pages["task-done"] = f"/t/{sign('task.done', s['task'])}"
    if s["csm"]:
        pages["csm"] = f"/csm/{sign('csm', s['csm'])}"
    if s["account"]:
        pages["account"] = f"/account/{sign('account', s['account'])}"
    folder.mkdir(parents=True, exist_ok=True)
    env = templates(config).env
    rendered = {
        "survey-thanks": env.get_template("message.html").render(
            title="Thank you!", tone="ok", text="Your answer is recorded. It helps us look after your team better."),
        "unsubscribed": env.get_template("message.html").render(
            title="You are unsubscribed", tone="ok",
            text=f"{s['email'] or 'you@example.com'} will get no more campaigns or surveys from us."),
        "refused-used": env.get_template("message.html").render(
            title="This link was already used", tone="bad", text="It did its job the first time; nothing more to do."),
    }
    shots = []
    server, thread, base = _serve(config)
    try:
        for name, path in pages.items():
            for label, (w, h) in WIDTHS.items():
                out = folder / f"{name}__{label}.png"
                _shoot(base + path, out, w, h)
                shots.append(out)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    for name, html in rendered.items():
        src = folder / f"{name}.html"
        src.write_text(html, encoding="utf-8")
        for label, (w, h) in WIDTHS.items():
            out = folder / f"{name}__{label}.png"
            _shoot(src.as_uri(), out, w, h)
            shots.append(out)
        src.unlink()
    return shots
