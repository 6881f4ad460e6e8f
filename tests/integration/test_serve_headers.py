"""RFC 8058 headers on marketing mail travel through the outbox and both transports."""

from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest

from flows.delivery.message import Message
from flows.delivery.outbox import drain, enqueue, enqueue_many
from flows.delivery.sendgrid import SendGridTransport
from flows.delivery.transport import FileTransport
from flows.serve import links, tokens
from flows.warehouse import connect
from tests.conftest import make_config
from tests.support.sendgrid_server import SendGridServer

pytestmark = pytest.mark.integration
KEY = "SG.test-key-never-printed"


def _marketing(cfg, i: int, to: str) -> Message:
    return Message(f"campaign:{i}", "campaign_news", to, "News", "plain", "<p>html</p>", kind="marketing",
                   as_of=date(2026, 7, 1), headers=links.unsubscribe_headers(cfg, to))


def _token(header: str) -> str:
    return header.strip("<>").rsplit("/u/", 1)[1]


def test_file_transport_writes_one_click_headers_as_plain_lines(tmp_path):
    cfg = make_config(tmp_path / "ws")
    con = connect(tmp_path / "w.duckdb")
    enqueue(con, _marketing(cfg, 1, "Ana@Example.com"))
    out = drain(con, FileTransport(tmp_path / "out", "steward@example.com", "Steward"), 10)
    con.close()
    assert out.sent == 1
    (eml,) = (tmp_path / "out").rglob("*.eml")
    raw = eml.read_bytes().decode()
    assert "=?utf-8?" not in raw.split("\n\n", 1)[0]  # a URL, not an RFC 2047 encoded word
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    claims = tokens.verify(links.secret(cfg), _token(str(msg["List-Unsubscribe"])), "unsubscribe")
    assert claims.subject == "ana@example.com"


def test_sendgrid_payload_carries_each_recipients_own_headers_in_one_request(tmp_path):
    cfg = make_config(tmp_path / "ws")
    con = connect(tmp_path / "w.duckdb")
    enqueue_many(con, [_marketing(cfg, 1, "a@example.com"), _marketing(cfg, 2, "b@example.com")])
    with SendGridServer(KEY) as server:
        t = SendGridTransport(KEY, server.url, "steward@example.com", "Steward", backoff=0.01, timeout=5)
        out = drain(con, t, 10)
        bodies = [a["body"] for a in server.state.accepted]
    con.close()
    assert out.sent == 2 and server.state.requests == 1  # identical content still shares a request
    pers = bodies[0]["personalizations"]
    for p in pers:
        headers = p["headers"]
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        subject = tokens.verify(links.secret(cfg), _token(headers["List-Unsubscribe"]), "unsubscribe").subject
        assert subject == p["to"][0]["email"]
