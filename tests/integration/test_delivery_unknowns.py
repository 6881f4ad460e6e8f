"""Exactly once under timeouts, outages and activity lag: the real `sendgrid` client over HTTP
to the local SendGrid-compatible server, the real outbox in a DuckDB file, the real CLI."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.delivery.message import Message
from flows.delivery.outbox import Policy, drain, enqueue
from flows.delivery.sendgrid import SendGridTransport
from flows.warehouse import connect
from tests.support.sendgrid_server import Fault, SendGridServer

pytestmark = pytest.mark.integration
KEY = "SG.test-key-never-printed"
runner = CliRunner()


def digest(i: int) -> Message:
    """Internal mail (policy resend by default)."""
    return Message(f"digest-{i}", "alert_digest", f"csm{i}@example.com", f"Digest {i}", f"text {i}",
                   f"<p>html {i}</p>", as_of=date(2026, 3, 15))


def welcome(i: int) -> Message:
    """Customer mail (policy hold by default)."""
    return Message(f"welcome-{i}", "campaign_welcome", f"contact{i}@customer.test", "Welcome aboard",
                   f"hello {i}", f"<p>hello {i}</p>", kind="marketing", as_of=date(2026, 3, 15))


@pytest.fixture
def server():
    with SendGridServer(KEY) as s:
        yield s


def transport(server, **kw) -> SendGridTransport:
    return SendGridTransport(KEY, server.url, "steward@example.com", "Steward", backoff=0.01,
                             timeout=kw.pop("timeout", 5), **kw)


def statuses(db) -> dict[str, str]:
    with connect(db) as con:
        return dict(con.execute("select idempotency_key, status from ops.outbox").fetchall())


def cli_env(server, db, **extra) -> dict[str, str]:
    return {"STEWARD_SENDGRID_API_KEY": KEY, "STEWARD_DELIVERY__TRANSPORT": "sendgrid",
            "STEWARD_DELIVERY__SENDGRID__HOST": server.url, "STEWARD_WAREHOUSE": str(db),
            "STEWARD_DELIVERY__SENDGRID__BACKOFF_SECONDS": "0.01",
            "STEWARD_DELIVERY__SENDGRID__MAX_WAIT_SECONDS": "0.05", **extra}


def deliver(server, db, tmp_path, **extra):
    return runner.invoke(app, ["deliver", "--workspace", str(tmp_path)], env=cli_env(server, db, **extra))


def flat(output: str) -> str:
    return " ".join(output.split())


def test_answer_after_timeout_with_activity_lag_is_sent_exactly_once(server, tmp_path):
    """The duplicate of issue 19: SendGrid accepts, answers after the client gave up, and shows
    the message in its activity only later. Drains before the lag must neither resend nor
    conclude; the first drain after the window finds it and records it sent."""
    db, window, lag = tmp_path / "w.duckdb", 1.5, 1.0
    server.state.post_accept_delay, server.state.activity_lag = 1.0, lag
    policy = Policy(activity_window_seconds=window)
    sg = transport(server, timeout=0.3)
    with connect(db) as con:
        enqueue(con, digest(1))  # internal mail: policy resend, the riskiest case for a duplicate
        started = time.monotonic()
        out = drain(con, sg, 10, policy)
        assert (out.sent, out.unconfirmed) == (0, 1) and server.state.keys() == ["digest-1"]
        # What the old drain did at this point: ask at once. Not found, although accepted.
        assert sg.accepted_id(digest(1)) is None
        server.state.lookups = 0
        for _ in range(3):  # repeated drains inside the window: no lookup, no resend
            out = drain(con, sg, 10, policy)
            assert (out.sent, out.recovered, out.resent) == (0, 0, 0)
            time.sleep(0.2)
        assert server.state.lookups == 0 and statuses(db) == {"digest-1": "unconfirmed"}
        assert out.pending[0]["status"] == "unconfirmed" and "no answer from SendGrid" in out.pending[0]["reason"]
        time.sleep(max(0.0, window + 0.5 - (time.monotonic() - started)))  # window runs from the timeout (0.3 s)
        out = drain(con, sg, 10, policy)  # after the lag and the window: found, so sent
        assert (out.sent, out.recovered, out.resent, out.held) == (0, 1, 0, 0) and server.state.lookups == 1
        for _ in range(2):
            assert drain(con, sg, 10, policy).sent == 0
        row = con.execute("select status, provider_message_id from ops.outbox").fetchone()
    assert row[0] == "sent" and row[1] == server.state.accepted[0]["msg_id"]
    assert server.state.keys() == ["digest-1"] and server.state.requests == 1  # one email, one request


def test_not_found_after_the_window_holds_customer_mail_and_resends_internal_mail(server, tmp_path):
    db = tmp_path / "w.duckdb"
    server.state.faults = [Fault(drop=True, accept=False)] * 2  # connection closed, nothing accepted
    policy = Policy(activity_window_seconds=0.3)
    sg = transport(server)
    with connect(db) as con:
        enqueue(con, welcome(1))
        enqueue(con, digest(1))
        out = drain(con, sg, 10, policy)
        assert out.unconfirmed == 2 and server.state.keys() == []
        time.sleep(0.4)
        out = drain(con, sg, 10, policy)
        assert (out.held, out.resent, out.sent) == (1, 1, 1)
    assert statuses(db) == {"welcome-1": "held", "digest-1": "sent"}
    assert server.state.keys() == ["digest-1"]  # at least once for internal mail: resent once
    # held mail is visible with its reason and age, and the command to use
    listed = runner.invoke(app, ["outbox", "list", "--status", "held", "--workspace", str(tmp_path)],
                           env=cli_env(server, db))
    assert listed.exit_code == 0, listed.output
    text = flat(listed.output)
    assert "campaign_welcome" in text and "not in SendGrid activity" in text and "steward outbox release" in text
    shown = deliver(server, db, tmp_path)
    assert shown.exit_code == 0 and "1 held: not in SendGrid activity" in flat(shown.output)
    assert "steward outbox list --status held" in flat(shown.output)
    # a typo releases nothing; the right id releases it and the next drain sends it once
    bad = runner.invoke(app, ["outbox", "release", "welcome-1", "nope", "--workspace", str(tmp_path)],
                        env=cli_env(server, db))
    assert bad.exit_code == 2 and "nope" in bad.output and statuses(db)["welcome-1"] == "held"
    ok = runner.invoke(app, ["outbox", "release", "welcome-1", "--workspace", str(tmp_path)], env=cli_env(server, db))
    assert ok.exit_code == 0 and "1 message(s) queued again" in flat(ok.output)
    assert deliver(server, db, tmp_path).exit_code == 0
    assert sorted(server.state.keys()) == ["digest-1", "welcome-1"] and statuses(db)["welcome-1"] == "sent"


def test_held_for_a_day_alerts_the_data_team_once(server, tmp_path):
    db = tmp_path / "w.duckdb"
    server.state.faults = [Fault(drop=True, accept=False)]
    policy = Policy(activity_window_seconds=0, alert_to="data@example.com")
    sg = transport(server)
    with connect(db) as con:
        enqueue(con, welcome(1))
        drain(con, sg, 10, policy)
        assert drain(con, sg, 10, policy).held == 1
        assert drain(con, sg, 10, policy).alerted == 0  # held for minutes: no alert yet
        con.execute("update ops.outbox set unconfirmed_at = unconfirmed_at - interval 2 day")
        out = drain(con, sg, 10, policy)
        assert out.alerted == 1 and out.sent == 1  # the alert goes out in the same drain
        assert drain(con, sg, 10, policy).alerted == 0
    alerts = [a for a in server.state.accepted if a["body"]["categories"] == ["ops_outbox_held"]]
    assert len(alerts) == 1 and alerts[0]["body"]["personalizations"][0]["to"][0]["email"] == "data@example.com"
    assert "contact1@customer.test" in alerts[0]["body"]["content"][0]["value"]
    assert server.state.keys().count("welcome-1") == 0


def test_server_down_stops_the_drain_early_then_one_drain_sends_everything_once(server, tmp_path):
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        for i in range(10):
            enqueue(con, digest(i))
    server.down()
    first = deliver(server, db, tmp_path, STEWARD_DELIVERY__SENDGRID__MAX_ATTEMPTS="2")
    assert first.exit_code == 2, first.output
    text = flat(first.output)
    error_line = next(line for line in first.output.splitlines() if line.startswith("error:"))
    assert "failed 3 requests in a row" in error_line and "Connection refused" in error_line
    assert "10 message(s) stay queued" in text
    assert KEY not in first.output
    assert set(statuses(db).values()) == {"queued"}
    with connect(db) as con:  # stopped early: 3 requests tried, 7 messages never attempted
        assert con.execute("select sum(attempts) from ops.outbox").fetchone()[0] == 3
    server.up()
    second = deliver(server, db, tmp_path)
    assert second.exit_code == 0, second.output
    assert "10 sent" in flat(second.output)
    keys = server.state.keys()
    assert len(keys) == len(set(keys)) == 10 and set(statuses(db).values()) == {"sent"}


def test_seven_429s_then_success_says_why_and_the_next_drain_sends_it(server, tmp_path):
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        enqueue(con, digest(1))
    server.state.faults = [Fault(status=429, reset_in=0.01)] * 7
    first = deliver(server, db, tmp_path)  # 5 attempts per drain (default max_attempts)
    assert first.exit_code == 0, first.output
    text = flat(first.output)
    assert "1 deferred" in text
    assert re.search(r"1 queued: deferred: gave up after 5 attempts: 429: too many requests", text), text
    assert server.state.keys() == [] and statuses(db) == {"digest-1": "queued"}
    second = deliver(server, db, tmp_path)
    assert second.exit_code == 0 and "1 sent" in flat(second.output)
    assert server.state.keys() == ["digest-1"] and server.state.requests == 8
    assert "not sent yet" not in second.output


@pytest.mark.parametrize("fault, expected, accepted", [
    ("refused", "retry", 0),  # nothing listening: the request cannot have been written
    ("tls", "retry", 0),  # TLS handshake fails before the request is written
    ("timeout", "unknown", 1),  # accepted, answered after the client gave up
    ("closed_after_accept", "unknown", 1),
    ("closed_before_accept", "unknown", 0),  # the client cannot tell this from the case above
])
def test_each_failure_is_classified_by_what_it_proves(server, fault, expected, accepted):
    host = server.url.replace("http://", "https://") if fault == "tls" else server.url
    sg = SendGridTransport(KEY, host, "steward@example.com", "Steward", timeout=0.3, max_attempts=1)
    if fault == "refused":
        server.down()
    elif fault == "timeout":
        server.state.post_accept_delay = 0.8
    elif fault.startswith("closed"):
        server.state.faults = [Fault(drop=True, accept=fault == "closed_after_accept")]
    result = sg.send(digest(1))
    assert result.status.value == expected, result.error
    if expected == "retry":
        assert "not sent, cannot reach 127.0.0.1" in result.error
    else:
        assert "no answer from SendGrid after the request was sent" in result.error
    assert len(server.state.keys()) == accepted


def test_kill_9_with_activity_lag_waits_for_the_window_then_settles_without_a_duplicate(server, tmp_path):
    """A crash leaves the in-flight message `sending`; the activity shows it only after a lag.
    A rerun at once must not resend it; a rerun after the window finds it."""
    db = tmp_path / "w.duckdb"
    with connect(db) as c:
        for i in range(60):
            enqueue(c, digest(i))
    env = {**os.environ, **cli_env(server, db, STEWARD_DELIVERY__SAFETY__ACTIVITY_WINDOW_MINUTES="0.05")}
    server.state.activity_lag = 2.0  # the window (3 s) is longer than the lag, as it must be
    cmd = [sys.executable, "-m", "flows", "deliver", "--workspace", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def on_accept(n: int) -> None:  # kill while the server holds accepted message #20's answer
        if n == 20:
            server.state.post_accept_delay = 1.0
            threading.Timer(0.2, lambda: proc.send_signal(signal.SIGKILL)).start()

    server.state.on_accept = on_accept
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    server.state.post_accept_delay, server.state.on_accept = 0, None
    assert statuses(db)["digest-19"] == "sending"
    killed_at = time.monotonic()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "1 unconfirmed: interrupted while sending" in flat(rerun.stdout) and server.state.lookups == 0
    assert statuses(db)["digest-19"] == "unconfirmed" and server.state.keys().count("digest-19") == 1
    time.sleep(max(0.0, 3.2 - (time.monotonic() - killed_at)))
    settled = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert settled.returncode == 0 and "0 sent, 1 recovered after an interrupted send" in flat(settled.stdout)
    keys = server.state.keys()
    assert len(keys) == len(set(keys)) == 60 and set(statuses(db).values()) == {"sent"}


def test_an_unanswered_batch_is_settled_by_one_activity_query(server, tmp_path):
    """100 recipients in one timed-out request would be 100 lookups; SendGrid allows 6 a minute."""
    leaders = [f"leader{k}@example.com" for k in range(5)]
    server.state.post_accept_delay = 0.8
    policy = Policy(activity_window_seconds=0.2)
    with connect(tmp_path / "w.duckdb") as con:
        for to in leaders:
            enqueue(con, Message(f"nrr-{to}", "report_nrr", to, "NRR report", "plain", "<p>nrr</p>"))
        sg = transport(server, timeout=0.3)
        assert drain(con, sg, 10, policy).unconfirmed == 5 and server.state.requests == 1
        server.state.post_accept_delay = 0
        time.sleep(0.3)
        out = drain(con, sg, 10, policy)
        assert (out.recovered, out.sent, out.resent) == (5, 0, 0) and server.state.lookups == 1
        pids = dict(con.execute("select to_email, provider_message_id from ops.outbox").fetchall())
    assert pids == {a["to_email"]: a["msg_id"] for a in server.state.accepted}
    assert sorted(server.state.keys()) == sorted(f"nrr-{to}" for to in leaders)


@pytest.mark.parametrize("activity_status, expected", [
    (429, {"welcome-1": "unconfirmed", "welcome-2": "unconfirmed"}),  # rate-limited: ask again next drain
    (403, {"welcome-1": "held", "welcome-2": "held"}),  # no Email Activity add-on: the policy decides
])
def test_activity_lookup_errors_never_resend_customer_mail(server, tmp_path, activity_status, expected):
    db = tmp_path / "w.duckdb"
    server.state.faults = [Fault(drop=True, accept=False)] * 2
    policy = Policy(activity_window_seconds=0)
    with connect(db) as con:
        enqueue(con, welcome(1))
        enqueue(con, welcome(2))
        sg = transport(server)
        assert drain(con, sg, 10, policy).unconfirmed == 2
        server.state.activity_status = activity_status
        out = drain(con, sg, 10, policy)
        assert out.sent == 0 and out.held == (2 if activity_status == 403 else 0)
        assert server.state.keys() == []  # nothing resent either way
    assert statuses(db) == expected and server.state.keys() == []


def test_release_all_as_sent_records_without_sending(server, tmp_path):
    db = tmp_path / "w.duckdb"
    server.state.faults = [Fault(drop=True, accept=False)] * 2
    with connect(db) as con:
        enqueue(con, welcome(1))
        enqueue(con, welcome(2))
        drain(con, transport(server), 10, Policy(activity_window_seconds=0))
        drain(con, transport(server), 10, Policy(activity_window_seconds=0))
    assert set(statuses(db).values()) == {"held"}
    neither = runner.invoke(app, ["outbox", "release", "--workspace", str(tmp_path)], env=cli_env(server, db))
    assert neither.exit_code == 2 and "--all-unconfirmed" in neither.output
    ok = runner.invoke(app, ["outbox", "release", "--all-unconfirmed", "--as-sent", "--workspace", str(tmp_path)],
                       env=cli_env(server, db))
    assert ok.exit_code == 0 and "2 message(s) recorded as sent" in flat(ok.output)
    assert set(statuses(db).values()) == {"sent"}
    assert deliver(server, db, tmp_path).exit_code == 0 and server.state.keys() == []
