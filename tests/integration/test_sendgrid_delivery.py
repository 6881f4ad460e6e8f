"""Delivery through the real `sendgrid` client to a local SendGrid-compatible server."""

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from flows.delivery.message import Attachment, Message
from flows.delivery.outbox import drain, enqueue, suppress
from flows.delivery.sendgrid import SendGridTransport
from flows.warehouse import connect
from tests.support.sendgrid_server import Fault, SendGridServer

pytestmark = pytest.mark.integration
KEY = "SG.test-key-never-printed"


def msg(i: int, to: str | None = None, kind: str = "transactional") -> Message:
    return Message(f"key-{i}", "alert_digest", to or f"csm{i}@example.com", f"Digest {i}",
                   f"text {i}", f"<p>html {i}</p>", f"CSM {i}", kind=kind, as_of=date(2026, 3, 15))


@pytest.fixture
def server():
    with SendGridServer(KEY) as s:
        yield s


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def transport(server, key=KEY, **kw):
    waits = kw.pop("waits", None)
    sleep = (lambda s: waits.append(s)) if waits is not None else time.sleep
    return SendGridTransport(key, server.url, "steward@example.com", "Steward", sleep=sleep,
                             backoff=0.01, timeout=kw.pop("timeout", 5), **kw)


def statuses(con):
    return dict(con.execute("select idempotency_key, status from ops.outbox").fetchall())


def test_success_records_provider_ids_and_sends_a_valid_v3_body(server, con):
    m = Message("key-1", "report", "leader@example.com", "NRR report", "plain", "<img src='cid:c1'>",
                attachments=(Attachment("nrr.png", b"\x89PNG fake", "image/png", "c1"),))
    enqueue(con, m)
    enqueue(con, msg(2))
    out = drain(con, transport(server), budget=10)
    assert out.sent == 2 and server.state.keys() == ["key-1", "key-2"]
    ids = {a["msg_id"].split(".")[0] for a in server.state.accepted}  # activity ids extend X-Message-Id
    assert {r[0] for r in con.execute("select provider_message_id from ops.outbox").fetchall()} == ids
    body = server.state.accepted[0]["body"]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["attachments"][0]["content_id"] == "c1" and body["attachments"][0]["disposition"] == "inline"
    assert body["personalizations"][0]["custom_args"]["idempotency_key"] == "key-1"
    assert body["categories"] == ["report"] and server.state.requests == 2


def test_401_stops_the_drain_keeps_messages_queued_and_never_shows_the_key(server, con, caplog):
    caplog.set_level(logging.DEBUG)
    for i in range(3):
        enqueue(con, msg(i))
    out = drain(con, transport(server, key="SG.wrong-key"), budget=10)
    assert out.aborted and "401" in out.aborted and "authorization grant is invalid" in out.aborted
    assert set(statuses(con).values()) == {"queued"} and server.state.accepted == []
    assert server.state.requests == 1  # stopped at the first refusal
    stored = " ".join(str(r) for r in con.execute("select * from ops.outbox").fetchall())
    assert "SG.wrong-key" not in stored + caplog.text + str(out)


def test_400_is_recorded_with_sendgrids_errors_and_not_retried(server, con):
    enqueue(con, msg(1, to="not-an-address"))
    enqueue(con, msg(2))
    out = drain(con, transport(server), budget=10)
    assert (out.sent, out.failed) == (1, 1)
    err = con.execute("select last_error from ops.outbox where idempotency_key = 'key-1'").fetchone()[0]
    assert err.startswith("400:") and "Does not contain a valid address" in err
    assert server.state.requests == 2
    assert drain(con, transport(server), budget=10).sent == 0  # failed stays failed


def test_429_storm_then_success_waits_for_the_reset_and_accepts_each_key_once(server, con):
    server.state.faults = [Fault(status=429, reset_in=2)] * 4
    for i in range(3):
        enqueue(con, msg(i))
    waits: list[float] = []
    out = drain(con, transport(server, waits=waits), budget=10)
    assert out.sent == 3 and sorted(server.state.keys()) == ["key-0", "key-1", "key-2"]
    assert len(waits) == 4 and all(0.5 <= w <= 2.0 for w in waits)  # honoured X-RateLimit-Reset


def test_500_then_success_backs_off_and_gives_up_after_max_attempts(server, con):
    server.state.faults = [Fault(status=500), Fault(status=503)]
    enqueue(con, msg(1))
    waits: list[float] = []
    assert drain(con, transport(server, waits=waits), budget=10).sent == 1
    assert len(waits) == 2 and waits[1] > waits[0] * 0.9  # exponential with jitter
    server.state.faults = [Fault(status=500)] * 3
    enqueue(con, msg(2))
    out = drain(con, transport(server, waits=[], max_attempts=3), budget=10)
    assert out.deferred == 1 and statuses(con)["key-2"] == "queued"
    assert "gave up after 3 attempts: 500" in con.execute(
        "select last_error from ops.outbox where idempotency_key = 'key-2'").fetchone()[0]
    assert drain(con, transport(server), budget=10).sent == 1  # a later drain delivers it once
    assert server.state.keys().count("key-2") == 1


def test_suppressed_marketing_is_skipped_but_transactional_is_sent(server, con):
    suppress(con, "Gone@Example.com", "unsubscribe", "test")
    enqueue(con, msg(1, to="gone@example.com", kind="marketing"))
    enqueue(con, msg(2, to="gone@example.com", kind="transactional"))
    out = drain(con, transport(server, asm_group_id=42), budget=10)
    assert (out.sent, out.suppressed) == (1, 1)
    assert statuses(con) == {"key-1": "suppressed", "key-2": "sent"}


def report_to(i: int, to: str) -> Message:
    """The same report for several leaders: identical content, one key per recipient."""
    return Message(f"report-{i}-{to}", "report", to, "NRR report", "plain", "<img src='cid:c1'>",
                   to_name=to.split("@")[0], attachments=(Attachment("nrr.png", b"\x89PNG fake", "image/png", "c1"),))


def test_identical_content_for_several_recipients_shares_one_request(server, con):
    leaders = [f"leader{k}@example.com" for k in range(5)]
    for to in leaders:
        enqueue(con, report_to(1, to))
    enqueue(con, msg(9))
    out = drain(con, transport(server, batch_size=3), budget=100)
    assert out.sent == 6 and server.state.requests == 3  # 3 + 2 leaders, then the digest
    assert sorted(server.state.keys()) == sorted([f"report-1-{to}" for to in leaders] + ["key-9"])
    first = server.state.accepted[0]["body"]
    assert [p["to"][0]["email"] for p in first["personalizations"]] == leaders[:3]
    assert len(first["attachments"]) == 1  # content and images once per request, not per recipient
    rows = con.execute("select to_email, status, provider_message_id from ops.outbox").fetchall()
    assert all(status == "sent" and pid for _, status, pid in rows)
    # each recipient is still its own message; the batch shares the provider's request id
    assert len({pid for to, _, pid in rows if to in leaders[:3]}) == 1


def test_the_same_address_twice_never_shares_a_request(server, con):
    enqueue(con, report_to(1, "leader@example.com"))
    enqueue(con, Message("report-1-again", "report", "LEADER@example.com", "NRR report", "plain",
                         "<img src='cid:c1'>", to_name="leader",
                         attachments=(Attachment("nrr.png", b"\x89PNG fake", "image/png", "c1"),)))
    out = drain(con, transport(server), budget=10)
    assert out.sent == 2 and out.failed == 0 and server.state.requests == 2


def test_a_bad_address_in_a_batch_fails_alone(server, con):
    for to in ("a@example.com", "not-an-address", "b@example.com"):
        enqueue(con, report_to(1, to))
    out = drain(con, transport(server), budget=10)
    assert (out.sent, out.failed) == (2, 1)
    assert "Does not contain a valid address" in out.errors[0] and out.errors[0].startswith("not-an-address")
    assert sorted(server.state.keys()) == ["report-1-a@example.com", "report-1-b@example.com"]


def test_budget_counts_recipients_not_requests(server, con):
    for k in range(5):
        enqueue(con, report_to(1, f"l{k}@example.com"))
    out = drain(con, transport(server), budget=3)
    assert (out.sent, out.deferred) == (3, 2) and len(server.state.keys()) == 3
    assert drain(con, transport(server), budget=3).sent == 2


@pytest.mark.parametrize("batched", [False, True], ids=["one-per-request", "batches-of-100"])
def test_kill_9_mid_drain_then_rerun_sends_every_message_exactly_once(server, tmp_path, batched):
    db = tmp_path / "w.duckdb"
    with connect(db) as c:
        for i in range(1000):
            enqueue(c, report_to(i // 100, f"leader{i % 100}@example.com") if batched else msg(i))
    env = {**os.environ, "STEWARD_SENDGRID_API_KEY": KEY, "STEWARD_DELIVERY__TRANSPORT": "sendgrid",
           "STEWARD_DELIVERY__SENDGRID__HOST": server.url, "STEWARD_DELIVERY__SEND_BUDGET": "5000",
           "STEWARD_WAREHOUSE": str(db),
           # this server shows a message in its activity at once: the rerun may look it up at once
           "STEWARD_DELIVERY__SAFETY__ACTIVITY_WINDOW_MINUTES": "0"}
    cmd = [sys.executable, "-m", "flows", "deliver", "--workspace", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Kill while the server holds accepted message #300's response: the crash window.
    killed = threading.Event()

    def on_accept(n: int) -> None:
        if n == 300 and not killed.is_set():
            server.state.post_accept_delay = 0.5
            threading.Timer(0.1, lambda: (proc.send_signal(signal.SIGKILL), killed.set())).start()

    server.state.on_accept = on_accept
    proc.wait(timeout=300)
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
    server.state.post_accept_delay, server.state.on_accept = 0, None
    started = time.perf_counter()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    keys = server.state.keys()
    assert len(keys) == len(set(keys)) == 1000  # none lost, none duplicated
    # The message whose response the kill cut off is found through the activity lookup.
    recovered = int(re.search(r"(\d+) recovered after an interrupted send", rerun.stdout).group(1))
    assert recovered == (100 if batched else 1)  # the whole in-flight request ...
    assert server.state.lookups == 1  # ... settled by one activity query (SendGrid allows 6 a minute)
    with connect(db) as c:
        assert c.execute("select status, count(*) from ops.outbox group by 1").fetchall() == [("sent", 1000)]
    assert KEY not in rerun.stdout + rerun.stderr
    seconds = time.perf_counter() - started
    print(f"rerun ({'batched' if batched else 'one per request'}) settled 700 messages in {seconds:.1f} s "
          f"incl. process start ({700 / seconds:.0f} msg/s), {server.state.requests} requests in all")
