"""A local SendGrid-compatible v3 server for tests: validates like SendGrid, injects faults.

Only 127.0.0.1. Implements POST /v3/mail/send (202 + X-Message-Id) and the Email Activity
lookup GET /v3/messages?query=unique_args['idempotency_key']="K" used to settle unknown sends.

Faults the delivery tests need: scripted statuses and delays, an answer that comes after the
client gave up (post_accept_delay), a connection dropped after accepting (Fault.drop), Activity
data that appears only `activity_lag` seconds after acceptance (SendGrid indexes it after the
send), and an outage: down() closes the port (connection refused) until up().
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MAX_RECIPIENTS = 1000
MAX_BODY_BYTES = 30 * 1024 * 1024


@dataclass
class Fault:
    """One scripted response: a status (429/500/...) or a delay before answering."""

    status: int | None = None
    delay: float = 0.0
    reset_in: float | None = None  # 429: X-RateLimit-Reset = now + reset_in
    drop: bool = False  # close the connection without an answer (after reading the request) ...
    accept: bool = True  # ... having accepted the message (True) or not (False)


@dataclass
class State:
    api_key: str
    faults: list[Fault] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)  # {msg_id, idempotency_key, body}
    requests: int = 0
    post_accept_delay: float = 0.0  # accept, then wait before answering (crash-window tests)
    on_accept: object = None  # callable(count) run after each acceptance
    activity_lag: float = 0.0  # seconds before an accepted message shows in the Activity API
    activity_status: int | None = None  # e.g. 403: the account has no Email Activity add-on
    lookups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        with self.lock:
            return [a["idempotency_key"] for a in self.accepted]


def validate(body: dict) -> list[dict]:
    """The subset of SendGrid's v3 request validation Steward's payloads exercise."""
    errs: list[dict] = []

    def err(message: str, fld: str | None) -> None:
        errs.append({"message": message, "field": fld, "help": None})

    pers = body.get("personalizations")
    if not isinstance(pers, list) or not pers:
        err("The personalizations field is required and must have at least one personalization.",
            "personalizations")
    else:
        total, seen = 0, set()
        if len(pers) > MAX_RECIPIENTS:
            err(f"The personalization block is limited to 1000 personalizations per API request. You have "
                f"provided {len(pers)} personalizations.", "personalizations")
        for i, p in enumerate(pers):
            addresses = [str(t.get("email", "")).lower() for k in ("to", "cc", "bcc") for t in p.get(k) or []]
            if seen & set(addresses):
                err("Each unique email address in the personalizations array should only be included once. "
                    "You have included email address more than once.", f"personalizations.{i}")
            seen |= set(addresses)
            tos = p.get("to") or []
            if not tos:
                err("The to array is required for all personalization objects, and must have at least one "
                    "email object with a valid email address.", f"personalizations.{i}.to")
            for j, t in enumerate(tos):
                if not EMAIL.match(str(t.get("email", ""))):
                    err("Does not contain a valid address.", f"personalizations.{i}.to.{j}.email")
            total += len(tos) + len(p.get("cc", [])) + len(p.get("bcc", []))
        if total > MAX_RECIPIENTS:
            err("The total number of recipients must be less than 1000.", "personalizations")
    sender = body.get("from") or {}
    if not EMAIL.match(str(sender.get("email", ""))):
        err("The from object must be provided for every email send. It is an object that requires the "
            "email parameter, but may also contain a name parameter.", "from.email")
    if not body.get("subject") and not all(p.get("subject") for p in pers or [{}]):
        err("The subject is required. You can get around this requirement if you use a template with a "
            "subject defined or if every personalization has a subject defined.", "subject")
    if "\n" in str(body.get("subject", "")) or "\r" in str(body.get("subject", "")):
        err("The subject may not contain line breaks.", "subject")
    content = body.get("content") or []
    if not content or any(not c.get("value") for c in content):
        err("Unless a valid template_id is provided, the content parameter is required. There must be at "
            "least one defined content block. We typically suggest both text/plain and text/html blocks "
            "are included, but only one block is required.", "content")
    types = [c.get("type") for c in content]
    if "text/plain" in types and "text/html" in types and types.index("text/plain") > types.index("text/html"):
        err("If present, text/plain must be first, followed by text/html, followed by any other content.",
            "content")
    for k, a in enumerate(body.get("attachments", [])):
        try:
            base64.b64decode(a.get("content", ""), validate=True)
        except ValueError:
            err("The attachment content must be base64 encoded.", f"attachments.{k}.content")
        if a.get("disposition") == "inline" and not a.get("content_id"):
            err("The content_id parameter is required if disposition is set to inline.",
                f"attachments.{k}.content_id")
    if len(body.get("categories", [])) > 10:
        err("You cannot have more than 10 categories per request.", "categories")
    if len(json.dumps(body.get("custom_args", {}))) > 10000:
        err("The total size of your custom_args must be less than 10000 bytes.", "custom_args")
    return errs


class _Handler(BaseHTTPRequestHandler):
    state: State  # set on the subclass per server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _reply(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)  # the client sees the connection closed, no status

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.state.api_key}":
            return True
        self._reply(401, {"errors": [{"message": "The provided authorization grant is invalid, expired, or "
                                                 "revoked", "field": None, "help": None}]})
        return False

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        url = urlparse(self.path)
        if url.path != "/v3/messages":
            return self._reply(404, {"errors": [{"message": "not found"}]})
        if self.state.activity_status:
            return self._reply(self.state.activity_status, {"errors": [{"message": "access forbidden"}]})
        params = parse_qs(url.query)
        m = re.search(r"unique_args\['(\w+)'\]=\"(.*)\"", params.get("query", [""])[0])
        arg, value = (m.group(1), m.group(2)) if m else (None, None)
        limit = int(params.get("limit", ["10"])[0])
        visible_before = time.time() - self.state.activity_lag
        with self.state.lock:
            self.state.lookups += 1
            found = [{"msg_id": a["msg_id"], "to_email": a["to_email"], "status": "delivered"}
                     for a in self.state.accepted if a["args"].get(arg) == value and a["at"] <= visible_before]
        self._reply(200, {"messages": found[:limit]})

    def do_POST(self) -> None:  # noqa: N802
        st = self.state
        with st.lock:
            st.requests += 1
            fault = st.faults.pop(0) if st.faults else None
        if fault and fault.delay:
            time.sleep(fault.delay)
        if not self._authorised():
            return
        if urlparse(self.path).path != "/v3/mail/send":
            return self._reply(404, {"errors": [{"message": "not found"}]})
        if fault and fault.status == 429:
            reset = int(time.time() + (fault.reset_in or 1))
            return self._reply(429, {"errors": [{"message": "too many requests"}]},
                               {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset": str(reset)})
        if fault and fault.status and not fault.drop:
            return self._reply(fault.status, {"errors": [{"message": "internal error"}]})
        length = int(self.headers.get("Content-Length", 0))
        if length > MAX_BODY_BYTES:
            return self._reply(413, {"errors": [{"message": "payload too large"}]})
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._reply(400, {"errors": [{"message": "Bad Request", "field": None}]})
        errors = validate(body)
        if errors:
            return self._reply(400, {"errors": errors})
        if fault and fault.drop and not fault.accept:
            return self._drop()
        msg_id = uuid.uuid4().hex[:22]
        with st.lock:  # SendGrid makes one email per personalization; its args override the body's
            for i, pers in enumerate(body["personalizations"]):
                args = {**body.get("custom_args", {}), **pers.get("custom_args", {})}
                st.accepted.append({"msg_id": f"{msg_id}.{i}", "body": body, "personalization": i,
                                    "idempotency_key": args.get("idempotency_key"), "args": args,
                                    "to_email": pers["to"][0]["email"], "at": time.time()})
            count = len(st.accepted)
        if st.on_accept:
            st.on_accept(count)
        if fault and fault.drop:
            return self._drop()
        if st.post_accept_delay:
            time.sleep(st.post_accept_delay)
        self._reply(202, None, {"X-Message-Id": msg_id})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client killed mid-request (the crash tests) is expected, not an error to print."""


class SendGridServer:
    """Start with `with SendGridServer(api_key) as sg:`; sg.url is the host for the client."""

    def __init__(self, api_key: str):
        self.state = State(api_key=api_key)
        self._handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd: _QuietServer | None = _QuietServer(("127.0.0.1", 0), self._handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self) -> None:
        """An outage: the port is closed, so every connection is refused (nothing can be sent)."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def up(self) -> None:
        """Back after down(), on the same port and with the same state."""
        if self.httpd is None:
            self.httpd = _QuietServer(("127.0.0.1", self.port), self._handler)
            self._serve()

    def __enter__(self) -> "SendGridServer":
        self._serve()
        return self

    def __exit__(self, *exc) -> None:
        self.down()
