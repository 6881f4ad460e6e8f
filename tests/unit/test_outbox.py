"""ops.outbox on a real DuckDB file with the file transport: exactly once, nothing lost."""

from datetime import date
from email import policy
from email.parser import BytesParser

import pytest

from flows.delivery.message import Message
from flows.delivery.outbox import drain, enqueue
from flows.delivery.render import render
from flows.delivery.transport import FileTransport, SendResult, SendStatus
from flows.warehouse import connect


def msg(key: str, to: str = "casey@example.com", subject: str = "Hello") -> Message:
    return Message(key, "alert_digest", to, subject, "text body", "<p>html body</p>", "Casey",
                   as_of=date(2026, 3, 15))


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def test_enqueue_is_idempotent_per_key(con):
    assert enqueue(con, msg("k1")) is True
    assert enqueue(con, msg("k1", subject="changed")) is False
    assert con.execute("select count(*), min(subject) from ops.outbox").fetchone() == (1, "Hello")


def test_drain_writes_an_openable_eml_once(con, tmp_path):
    transport = FileTransport(tmp_path / "out", "steward@example.com", "Steward")
    enqueue(con, msg("k1"))
    first = drain(con, transport, budget=10)
    second = drain(con, transport, budget=10)
    assert (first.sent, second.sent) == (1, 0)
    emls = list((tmp_path / "out").rglob("*.eml"))
    assert len(emls) == 1 and emls[0].with_suffix(".html").exists()
    parsed = BytesParser(policy=policy.default).parsebytes(emls[0].read_bytes())
    assert parsed["To"] == "Casey <casey@example.com>"
    assert parsed["X-Steward-Idempotency-Key"] == "k1"
    assert parsed.get_body(("plain",)).get_content().strip() == "text body"
    assert "html body" in parsed.get_body(("html",)).get_content()
    assert con.execute("select status, attempts from ops.outbox").fetchone() == ("sent", 1)


def test_interrupted_send_is_recovered_not_resent(con, tmp_path):
    transport = FileTransport(tmp_path / "out", "steward@example.com", "Steward")
    m = msg("k1")
    enqueue(con, m)
    # Crash after the transport accepted it but before the outbox recorded it:
    transport.send(m)
    con.execute("update ops.outbox set status = 'sending', attempts = 1")
    result = drain(con, transport, budget=10)
    assert (result.sent, result.recovered) == (0, 1)
    assert len(list((tmp_path / "out").rglob("*.eml"))) == 1
    assert con.execute("select status, attempts from ops.outbox").fetchone() == ("sent", 1)


def test_interrupted_before_accept_is_sent_on_the_next_drain(con, tmp_path):
    transport = FileTransport(tmp_path / "out", "steward@example.com", "Steward")
    enqueue(con, msg("k1"))
    con.execute("update ops.outbox set status = 'sending', attempts = 1")
    result = drain(con, transport, budget=10)
    assert (result.sent, result.recovered) == (1, 0)
    assert con.execute("select status, attempts from ops.outbox").fetchone() == ("sent", 2)


class Flaky:
    """A transport double that fails in a scripted way (to test the outbox's bookkeeping)."""

    name = "flaky"

    def __init__(self, results):
        self.results = list(results)

    def send(self, m):
        return self.results.pop(0)

    def accepted_id(self, m):
        return None


def test_retry_stays_queued_and_rejection_is_recorded(con):
    enqueue(con, msg("k1"))
    enqueue(con, msg("k2", to="robin@example.com"))
    out = drain(con, Flaky([SendResult(SendStatus.RETRY, error="429"),
                            SendResult(SendStatus.REJECTED, error="400 bad address")]), budget=10)
    assert (out.deferred, out.failed) == (1, 1)
    rows = dict(con.execute("select idempotency_key, status || ':' || last_error from ops.outbox").fetchall())
    assert rows == {"k1": "queued:deferred: 429", "k2": "failed:400 bad address"}


def test_budget_defers_the_rest(con, tmp_path):
    transport = FileTransport(tmp_path / "out", "steward@example.com", "Steward")
    for i in range(5):
        enqueue(con, msg(f"k{i}"))
    out = drain(con, transport, budget=2)
    assert (out.sent, out.deferred) == (2, 3)
    assert drain(con, transport, budget=10).sent == 3


def test_subject_cannot_inject_headers():
    m = msg("k1", subject="Hi\r\nBcc: victim@example.com")
    assert "\n" not in m.subject and "\r" not in m.subject


def test_html_is_autoescaped_and_text_is_not():
    alerts = [dict(severity="warning", label="Renewal", headline="Renewal: <script>alert(1)</script>",
                   sentence="Renews soon.", account_name='Beta "<b>Labs</b>"', scope="", owner_name="A & B", reminder=False,
                   since="15 Mar 2026", colour="#b54708", links=[("Acknowledge", "https://x.test/?a=1&b=<2>")])]
    text, html = render("alert_digest", title="t", recipient_name="R & D", alerts=alerts, as_of="2026-03-15",
                        leader=True)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Labs" in html
    assert "R &amp; D" in html and "· A &amp; B" in html and 'href="https://x.test/?a=1&amp;b=&lt;2&gt;"' in html
    assert "<script>alert(1)</script>" in text


def test_customer_mail_from_the_csms_address_on_the_sending_domain(con, tmp_path):
    """delivery.csm_sender_domain: From is the CSM's own address on that domain, replies go to them;
    it survives the outbox and reaches both transports."""
    from flows.actions.sender import sender_address
    from flows.delivery.sendgrid import payload

    assert sender_address("aisha.khan@corp.example", "mail.example.com") == "aisha.khan@mail.example.com"
    assert sender_address("aisha.khan@corp.example", None) is None and sender_address(None, "x.example") is None
    own = Message("c1", "campaign_welcome", "pat@customer.example", "Welcome", "hi", "<p>hi</p>", "Pat", "marketing",
                  date(2026, 3, 15), from_name="Aisha Khan", reply_to="aisha.khan@corp.example",
                  from_email=sender_address("aisha.khan@corp.example", "mail.example.com"))
    enqueue(con, own)
    drain(con, FileTransport(tmp_path / "out", "steward@example.com", "Steward"), budget=10)
    [eml] = (tmp_path / "out").rglob("*.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert parsed["From"] == "Aisha Khan <aisha.khan@mail.example.com>"
    assert parsed["Reply-To"] == "aisha.khan@corp.example"
    body = payload(own, "steward@example.com", "Steward", None, None)
    assert body["from"] == {"email": "aisha.khan@mail.example.com", "name": "Aisha Khan"}
    assert body["reply_to"] == {"email": "aisha.khan@corp.example"}
