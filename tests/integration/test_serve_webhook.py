"""SendGrid's signed Event Webhook: a signed batch becomes suppressions; a bad signature is refused."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from flows.serve import actionlog
from flows.serve.app import create_app
from flows.serve.apply import apply_actions
from flows.serve.webhook import WEBHOOK_KEY_ENV
from flows.warehouse import session
from tests.conftest import make_config

pytestmark = pytest.mark.integration

SIG, TS = "X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"


@pytest.fixture
def signer(monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    monkeypatch.setenv(WEBHOOK_KEY_ENV, base64.b64encode(public).decode())  # as SendGrid shows it

    def sign(body: str, timestamp: str = "1767225600") -> dict:
        sig = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
        return {SIG: base64.b64encode(sig).decode(), TS: timestamp, "Content-Type": "application/json"}
    return sign


EVENTS = [
    {"email": "Bounced@Example.com", "event": "bounce", "type": "bounce", "reason": "550 no such user",
     "sg_event_id": "e1", "timestamp": 1767225600},
    {"email": "dropped@example.com", "event": "dropped", "reason": "Bounced Address", "sg_event_id": "e2"},
    {"email": "spam@example.com", "event": "spamreport", "sg_event_id": "e3"},
    {"email": "leaver@example.com", "event": "unsubscribe", "sg_event_id": "e4"},
    {"email": "reader@example.com", "event": "open", "sg_event_id": "e5"},          # not a suppression
    {"email": "blocked@example.com", "event": "bounce", "type": "blocked", "sg_event_id": "e6"},  # temporary
]


def test_signed_event_batch_adds_suppressions_and_bad_signature_is_refused(tmp_path, signer):
    cfg = make_config(tmp_path / "ws")
    client = TestClient(create_app(cfg))
    body = json.dumps(EVENTS)

    tampered = body.replace("spam@example.com", "someone@example.com")
    bad = client.post("/webhooks/sendgrid", content=tampered, headers=signer(body))
    assert bad.status_code == 403 and bad.json() == {"error": "bad signature"}
    unsigned = client.post("/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 403
    assert list(actionlog.read(cfg.path("landing"))) == []  # nothing refused reaches the log

    ok = client.post("/webhooks/sendgrid", content=body, headers=signer(body))
    assert ok.status_code == 200 and ok.json() == {"accepted": 4}

    with session(cfg.path("warehouse")) as con:
        result = apply_actions(con, cfg, date(2026, 7, 1))
        rows = con.execute("select email, reason, source from ops.suppressions order by email").fetchall()
        again = apply_actions(con, cfg, date(2026, 7, 2))
    assert result.applied == {"webhook.bounce": 1, "webhook.dropped": 1, "webhook.spamreport": 1,
                              "webhook.unsubscribe": 1}
    assert rows == [("bounced@example.com", "bounce", "sendgrid webhook"),
                    ("dropped@example.com", "dropped", "sendgrid webhook"),
                    ("leaver@example.com", "unsubscribed", "sendgrid webhook"),
                    ("spam@example.com", "spamreport", "sendgrid webhook")]
    assert again.applied == {} and again.unchanged == 0  # each line is applied once


def test_webhook_without_a_configured_key_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv(WEBHOOK_KEY_ENV, raising=False)
    client = TestClient(create_app(make_config(tmp_path / "ws")))
    r = client.post("/webhooks/sendgrid", content="[]", headers={SIG: "x", TS: "1"})
    assert r.status_code == 503 and WEBHOOK_KEY_ENV in r.json()["error"]


def test_bad_action_lines_are_rejected_with_file_and_line_and_never_retried(tmp_path):
    cfg = make_config(tmp_path / "ws")
    folder = actionlog.log_dir(cfg.path("landing"))
    actionlog.append(cfg.path("landing"), "unsubscribe", "ok@example.com")
    with (folder / "actions-2026-07-01.jsonl").open("a") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"action_id": "x1", "kind": "launch.rockets", "target": "a", "at": "2026-07-01T00:00:00Z"})
                 + "\n")
        fh.write(json.dumps({"action_id": "x2", "kind": "unsubscribe", "target": "no-at-sign",
                             "at": "2026-07-01T00:00:00Z"}) + "\n")
    with session(cfg.path("warehouse")) as con:
        first = apply_actions(con, cfg, date(2026, 7, 1))
        second = apply_actions(con, cfg, date(2026, 7, 2))
    assert first.applied == {"unsubscribe": 1} and first.rejected == 3
    assert any("steward_actions/actions-2026-07-01.jsonl line 1: not a JSON object" in n for n in first.notes)
    assert any("line 2: field kind: 'launch.rockets'" in n for n in first.notes)
    assert any("line 3: field target: 'no-at-sign' is not an email address" in n for n in first.notes)
    assert (second.applied, second.rejected) == ({}, 0)
