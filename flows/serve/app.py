"""The FastAPI app of `steward serve`: pages read the analyst copy, actions append to the log.

Every state change is a POST from a confirmation page (a GET never changes anything, so a mail
scanner that follows links acts on nothing), except RFC 8058's one-click POST, which mail
providers send without showing a page.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from flows.config import Config
from flows.serve import actionlog, filters, links, queries, tokens
from flows.serve.webhook import WEBHOOK_KEY_ENV, WebhookError, events_to_actions, verify

TEMPLATES = Path(__file__).resolve().parent / "templates"
EFFECTS = {"alert.acknowledge": "You get no more reminders for it; it still closes by itself when the condition clears.",
           "alert.snooze": "It stays quiet for 7 days, then comes back in your digest if it still applies.",
           "alert.resolve": "It is closed and stays closed while the condition lasts; it reopens if it comes back "
                            "later.",
           "task.done": "The task is marked done and leaves your to-do list."}
ACTION_LABELS = {"alert.acknowledge": ("Acknowledge", "acknowledged"), "alert.snooze": ("Snooze 7 days", "snoozed"),
                 "alert.resolve": ("Resolve", "resolved"), "task.done": ("Mark done", "marked done")}
REFUSALS = {"tampered": (400, "This link is not valid", "It was changed or cut short. Open it again from the "
                                                         "email, or ask your CSM for a new one."),
            "wrong_purpose": (400, "This link is not valid", "It is meant for something else."),
            "expired": (410, "This link has expired", "Links in emails work for a limited time. The next email "
                                                      "brings a fresh one."),
            "used": (409, "This link was already used", "It did its job the first time; nothing more to do."),
            "unknown": (404, "Nothing found for this link", "It may belong to another Steward workspace."),
            "no_data": (503, "Steward has no published data yet", "The first `steward run` publishes it."),
            "answered": (409, "You have already answered this survey", "Thank you: we have your answer."),
            "survey_closed": (410, "This survey is closed", "Thank you for opening it all the same.")}


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form body (what our pages and RFC 8058 one-click POSTs send), first values."""
    body = (await request.body())[:20000].decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def templates(config: Config) -> Jinja2Templates:
    """The page templates (autoescaped) with the service's filters."""
    pages = Jinja2Templates(directory=str(TEMPLATES))
    filters.install(pages.env, config.reporting_currency)
    return pages



def _read_as_sentences(alerts: list[dict]) -> None:
    """Each alert's headline and sentence as the digests word them (flows/actions/alert_text.py),
    not the rule's raw title."""
    import json

    from flows.actions.alert_text import describe

    for a in alerts:
        a["title"], a["sentence"] = describe(a["rule"], json.loads(a.get("details") or "{}"), a["title"], {})


def create_app(config: Config) -> FastAPI:
    """The app for one workspace; the secret is read once here (a clear error if missing)."""
    secret = links.secret(config)
    landing = config.path("landing")
    db = queries.Reader(config.path("warehouse"))
    pages = templates(config)
    app = FastAPI(title="Steward", docs_url=None, redoc_url=None, openapi_url=None)

    def since() -> date:
        """Log files older than the longest link lifetime cannot hold a token id that still matters."""
        return date.today() - timedelta(days=max(config.serve.action_link_days, config.serve.survey_days) + 1)

    def used() -> set[str]:
        return actionlog.used_token_ids(landing, since())

    def page(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        return pages.TemplateResponse(request, name, ctx, status_code=status)

    def refuse(request: Request, reason: str) -> HTMLResponse:
        status, title, text = REFUSALS[reason]
        return page(request, "message.html", status, title=title, text=text, tone="bad")

    def claims(token: str, purpose):
        try:
            return tokens.verify(secret, token, purpose), None
        except tokens.TokenError as exc:
            return None, exc.reason

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        return page(request, "message.html", title="Steward", text="Open a link from a Steward email.", tone="ok")

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "analyst_copy": db.available()}

    # -- surveys: the invitation's own random token (ops.survey_invitations.token) -------------
    def _invitation(request: Request, token: str):
        if not db.available():
            return None, refuse(request, "no_data")
        inv = db.invitation(token)
        if inv is None:
            return None, refuse(request, "unknown")
        if inv["response_id"] is not None or f"survey:{inv['invitation_id']}" in used():
            return None, refuse(request, "answered")
        # the link's lifetime runs from when the invitation was made (wall clock), not its as_of
        if datetime.now() > inv["created_at"] + timedelta(days=config.serve.survey_days):
            return None, refuse(request, "survey_closed")
        return inv, None

    def _question(inv: dict) -> str:
        """The question the invitation email asked (steward.yml), names filled in."""
        s = config.surveys
        spec = {"nps": s.nps, "onboarding": s.onboarding}.get(inv["survey"]) or s.adhoc_survey(inv["survey"])
        text = getattr(spec, "question", None) or "How would you rate us?"
        return (text.replace("{contact_name}", inv["contact_name"] or "you")
                .replace("{account_name}", inv["account_name"] or "your team"))

    @app.get("/s/{token}", response_class=HTMLResponse)
    def survey_form(request: Request, token: str, score: int | None = None):
        inv, refused = _invitation(request, token)
        if refused:
            return refused
        picked = score if score is not None and inv["scale_min"] <= score <= inv["scale_max"] else None
        return page(request, "survey.html", inv=inv, picked=picked, question=_question(inv),
                    scale=list(range(inv["scale_min"], inv["scale_max"] + 1)))

    @app.post("/s/{token}", response_class=HTMLResponse)
    async def survey_answer(request: Request, token: str):
        inv, refused = _invitation(request, token)
        if refused:
            return refused
        form = await _form(request)
        try:
            score = int(str(form.get("score", "")))
        except ValueError:
            score = None
        if score is None or not inv["scale_min"] <= score <= inv["scale_max"]:
            return page(request, "survey.html", 422, inv=inv, picked=None, error="Please pick a score.",
                        question=_question(inv),
                        scale=list(range(inv["scale_min"], inv["scale_max"] + 1)))
        comment = str(form.get("comment", ""))[:2000].strip()
        if actionlog.append(landing, "survey.answer", token, f"survey:{inv['invitation_id']}", since(),
                            score=score, comment=comment) is None:
            return refuse(request, "answered")
        return page(request, "message.html", title="Thank you!", tone="ok",
                    text="Your answer is recorded. It helps us look after your team better.")

    # -- one-click unsubscribe (RFC 8058) ------------------------------------------------------
    @app.get("/u/{token}", response_class=HTMLResponse)
    def unsubscribe_page(request: Request, token: str):
        c, reason = claims(token, "unsubscribe")
        if reason:
            return refuse(request, reason)
        return page(request, "confirm.html", title="Unsubscribe", button="Unsubscribe",
                    text=f"Stop Steward's newsletters, campaigns and surveys to {c.subject}? "
                         "Messages from your account team about your service still reach you.")

    @app.post("/u/{token}", response_class=HTMLResponse)
    def unsubscribe(request: Request, token: str):
        c, reason = claims(token, "unsubscribe")
        if reason:
            return refuse(request, reason)
        actionlog.append(landing, "unsubscribe", c.subject, None, via="link")
        return page(request, "message.html", title="You are unsubscribed", tone="ok",
                    text=f"{c.subject} will get no more campaigns or surveys from us.")

    # -- alert and task buttons ------------------------------------------------------------------
    def _act_target(request: Request, token: str, kind_prefix: str):
        c, reason = claims(token, tuple(k for k in ACTION_LABELS if k.startswith(kind_prefix)))
        if reason:
            return None, None, refuse(request, reason)
        if c.token_id in used():
            return None, None, refuse(request, "used")
        if not db.available():
            return None, None, refuse(request, "no_data")
        item = db.alert(c.subject) if kind_prefix == "alert." else db.task(c.subject)
        if item is None:
            return None, None, refuse(request, "unknown")
        return c, item, None

    def _confirm(request: Request, token: str, prefix: str):
        c, item, refused = _act_target(request, token, prefix)
        if refused:
            return refused
        label = ACTION_LABELS[c.purpose][0]
        return page(request, "confirm.html", title=f"{label}?", button=label, item=item,
                    text=EFFECTS[c.purpose])

    def _act(request: Request, token: str, prefix: str):
        c, item, refused = _act_target(request, token, prefix)
        if refused:
            return refused
        label, done = ACTION_LABELS[c.purpose]
        if actionlog.append(landing, c.purpose, c.subject, c.token_id, since(), by=item.get("owner_email")) is None:
            return refuse(request, "used")
        note = " for 7 days" if c.purpose == "alert.snooze" else ""
        return page(request, "message.html", title=f"Done: {done}{note}", tone="ok", item=item,
                    text=f"{item['title']}: {done}{note}. Steward applies it in its next run.")

    @app.get("/a/{token}", response_class=HTMLResponse)
    def alert_confirm(request: Request, token: str):
        return _confirm(request, token, "alert.")

    @app.post("/a/{token}", response_class=HTMLResponse)
    def alert_act(request: Request, token: str):
        return _act(request, token, "alert.")

    @app.get("/t/{token}", response_class=HTMLResponse)
    def task_confirm(request: Request, token: str):
        return _confirm(request, token, "task.")

    @app.post("/t/{token}", response_class=HTMLResponse)
    def task_act(request: Request, token: str):
        return _act(request, token, "task.")

    # -- read-only pages ---------------------------------------------------------------------------
    def account_link(account_id: str) -> str:
        return f"/account/{tokens.issue(secret, 'account', account_id, config.serve.page_link_days * 86400)}"

    def read_page(request: Request, token: str, purpose: str, fetch):
        """The data behind a read-only page, or the refusal page that says why there is none."""
        c, reason = claims(token, purpose)
        if reason:
            return None, refuse(request, reason)
        if not db.available():
            return None, refuse(request, "no_data")
        data = fetch(c.subject)
        if data is None:
            return None, refuse(request, "unknown")
        _read_as_sentences(data["alerts"])
        return data, None

    @app.get("/csm/{token}", response_class=HTMLResponse)
    def csm_page(request: Request, token: str):
        data, refused = read_page(request, token, "csm", db.csm)
        return refused or page(request, "csm.html", **data, account_link=account_link)

    @app.get("/account/{token}", response_class=HTMLResponse)
    def account_page(request: Request, token: str):
        data, refused = read_page(request, token, "account", db.account)
        if refused:
            return refused
        data["health_hist"] = list(reversed(data.pop("health")))
        data["mrr_hist"] = list(reversed(data["mrr"]))
        return page(request, "account.html", **data)

    # -- SendGrid Event Webhook ----------------------------------------------------------------------
    @app.post("/webhooks/sendgrid")
    async def sendgrid_events(request: Request):
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            verify(os.environ.get(WEBHOOK_KEY_ENV, ""), body,
                   request.headers.get("X-Twilio-Email-Event-Webhook-Signature", ""),
                   request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", ""))
            actions = events_to_actions(json.loads(body))
        except WebhookError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except ValueError:
            return JSONResponse({"error": "body is not a JSON array of events"}, status_code=400)
        for kind, email, fields in actions:
            actionlog.append(landing, kind, email, None, **fields)
        return JSONResponse({"accepted": len(actions)})

    return app
