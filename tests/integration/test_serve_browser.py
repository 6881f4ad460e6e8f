"""`steward serve` in a real browser: act from real emails, then the next run applies it all.

One copied generated workspace, one `steward serve` process, one headless Chromium (Debian's,
driven by Playwright) for the whole module. Tests run in file order and share `state`.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import pytest

from flows.delivery.message import Message
from flows.delivery.outbox import drain, enqueue
from flows.delivery.transport import FileTransport
from flows.serve import links, tokens
from flows.serve.apply import apply_actions
from flows.warehouse import analyst_copy_path, session
from tests.conftest import REPO, make_config, steward
from tests.support.browser import chromium

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(generated_workspace, tmp_path_factory):
    ws = tmp_path_factory.mktemp("serve") / "ws"
    shutil.copytree(generated_workspace, ws, ignore=shutil.ignore_patterns("prefect"))
    assert analyst_copy_path(ws / "warehouse.duckdb").is_file()  # the run published it; serve reads only that
    port = _free_port()
    log = (ws.parent / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "flows", "serve", "--port", str(port), "--workspace", str(ws)],
                            cwd=REPO, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).json()["analyst_copy"]:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("steward serve did not start: " + (ws.parent / "serve.log").read_text())
    yield {"ws": ws, "base": base, "cfg": make_config(ws)}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    exe = chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        yield browser.new_page()
        browser.close()


@pytest.fixture(scope="module")
def state() -> dict:
    return {}


def local(served, url: str) -> str:
    """An email link aimed at this test's server (what a reverse proxy at serve.base_url does)."""
    parts = urlsplit(url)
    return served["base"] + parts.path + (f"?{parts.query}" if parts.query else "")


def _eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _html(msg) -> str:
    return msg.get_body(("html",)).get_content()


def test_answer_nps_survey_from_the_invitation_email(served, page, state):
    invitations = sorted(served["ws"].glob("outbox/**/survey_nps__*.eml"))
    assert invitations, "the generated run sent no NPS invitation"
    msg = _eml(invitations[0])
    link = re.search(r'href="([^"]+/s/[^"?]+\?score=9)"', _html(msg)).group(1)
    state["survey_token"] = urlsplit(link).path.rsplit("/", 1)[1]
    state["survey_email"] = msg["To"].addresses[0].addr_spec.lower()

    page.goto(local(served, link))
    assert "recommend us" in page.inner_text("h1")
    assert page.is_checked("input[name=score][value='9']")  # the score clicked in the email
    page.fill("textarea[name=comment]", "Great onboarding <b>team</b>")
    page.click("text=Send my answer")
    assert page.inner_text("h1") == "Thank you!"

    page.goto(local(served, link))  # the same invitation again
    assert page.inner_text("h1") == "You have already answered this survey"


def test_one_click_unsubscribe(served, page, state):
    marketing = [m for m in map(_eml, sorted(served["ws"].glob("outbox/**/*.eml"))) if m["List-Unsubscribe"]]
    others = {}
    for m in marketing:
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        others.setdefault(m["To"].addresses[0].addr_spec.lower(), m)
    others.pop(state["survey_email"], None)
    (first, m1), (second, m2) = list(others.items())[:2]

    url1 = re.fullmatch(r"<([^>]+)>", str(m1["List-Unsubscribe"])).group(1)
    page.goto(local(served, url1))
    assert first in page.inner_text("main")
    page.click("button:has-text('Unsubscribe')")
    assert page.inner_text("h1") == "You are unsubscribed"

    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click to the header's URL, no page
    url2 = re.fullmatch(r"<([^>]+)>", str(m2["List-Unsubscribe"])).group(1)
    r = httpx.post(local(served, url2), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "You are unsubscribed" in r.text
    state["unsubscribed"] = [first, second]


def test_acknowledge_an_alert_from_a_digest_button(served, page, state):
    digests = [m for m in map(_eml, sorted(served["ws"].glob("outbox/**/alert_digest__*.eml")))
               if "Acknowledge</a>" in _html(m) and "@steward-cs.example" in str(m["To"])]  # a CSM
    assert digests, "no alert digest with buttons"
    msg = digests[0]
    link = re.search(r'<a href="([^"]+)"[^>]*>Acknowledge</a>', _html(msg)).group(1)
    claims = tokens.verify(links.secret(served["cfg"]), urlsplit(link).path.rsplit("/", 1)[1], "alert.acknowledge")
    state.update(alert_id=claims.subject, alert_link=link, recipient=msg["To"].addresses[0].addr_spec.lower())

    page.goto(local(served, link))
    assert page.inner_text("h1") == "Acknowledge?"
    page.click("button:has-text('Acknowledge')")
    assert page.inner_text("h1") == "Done: acknowledged"

    page.goto(local(served, link))  # a one-shot link, used
    assert page.inner_text("h1") == "This link was already used"
    again = httpx.post(local(served, link))
    assert again.status_code == 409 and "This link was already used" in again.text


def _a_task_from_yesterday(copy: Path) -> None:
    """The generated workspace is one run, so every Steward task was created on as_of and the to-do
    (marts.rpt_csm_todo: tasks created before as_of) lists none; move one open task a day back and
    list it, as the next day's build would."""
    with duckdb.connect(str(copy)) as con:
        as_of = con.execute("select max(as_of) from ops.dbt_builds").fetchone()[0]
        task_id, owner = con.execute(
            "select t.task_id, t.owner_id from ops.tasks t inner join marts.dim_team m on m.user_id = t.owner_id "
            "where t.status = 'open' and m.role = 'csm' and m.is_active and t.due_date <= ? "
            "order by t.due_date, t.task_id limit 1", [as_of + timedelta(days=7)]).fetchone()
        con.execute("update ops.tasks set created_as_of = ? where task_id = ?", [as_of - timedelta(days=1), task_id])
        con.execute("""insert into marts.rpt_csm_todo by name
                       select 'task' as item_kind, t.task_id as item_id, t.owner_id, t.account_id, t.title, t.source,
                              t.due_date, case when t.due_date < ? then 'overdue' when t.due_date = ? then 'due_today'
                              else 'due_soon' end as status
                       from ops.tasks t where t.task_id = ?""", [as_of, as_of, task_id])
        assert owner


def test_mark_a_task_done_from_the_todo_email(served, page, state):
    from flows.reports.flow import build

    _a_task_from_yesterday(analyst_copy_path(served["ws"] / "warehouse.duckdb"))
    with duckdb.connect(str(analyst_copy_path(served["ws"] / "warehouse.duckdb")), read_only=True) as con:
        as_of = con.execute("select max(as_of) from ops.dbt_builds").fetchone()[0]
        pairs = [(r, c) for r, c in build(con, "todo", as_of, served["cfg"]) if len(c.actions) > 1]
    assert pairs, "no to-do email with a Steward task due"
    _text, html, _ = pairs[0][1].render()
    link = re.search(r'<a href="([^"]+)"[^>]*>Mark done</a>', html).group(1)
    state["task_id"] = tokens.verify(links.secret(served["cfg"]), urlsplit(link).path.rsplit("/", 1)[1],
                                     "task.done").subject
    page.goto(local(served, link))
    assert page.inner_text("h1") == "Mark done?"
    page.click("button:has-text('Mark done')")
    assert page.inner_text("h1") == "Done: marked done"


def test_expired_and_tampered_links_are_refused_with_a_clear_page(served, page, state):
    secret = links.secret(served["cfg"])
    expired = tokens.issue(secret, "alert.resolve", state["alert_id"], -60)
    page.goto(served["base"] + f"/a/{expired}")
    assert page.inner_text("h1") == "This link has expired"
    assert httpx.post(served["base"] + f"/a/{expired}").status_code == 410

    body, sig = tokens.issue(secret, "alert.resolve", state["alert_id"], 3600).split(".")
    forged = tokens.issue(secret, "alert.resolve", "al_someone_else", 3600).split(".")[0] + "." + sig
    for token in (forged, body + "." + sig[:-4] + "AAAA"):
        r = httpx.post(served["base"] + f"/a/{token}")
        assert r.status_code == 400 and "This link is not valid" in r.text
    page.goto(served["base"] + f"/a/{forged}")
    assert page.inner_text("h1") == "This link is not valid"
    # an unsubscribe token cannot resolve an alert
    r = httpx.post(served["base"] + f"/a/{tokens.issue(secret, 'unsubscribe', 'x@example.com', 3600)}")
    assert r.status_code == 400


def test_csm_page_and_account_page(served, page, state):
    copy = duckdb.connect(str(analyst_copy_path(served["ws"] / "warehouse.duckdb")), read_only=True)
    user_id, name = copy.execute("select user_id, display_name from marts.dim_team where lower(email) = ?",
                                 [state["recipient"]]).fetchone()
    owned = copy.execute("select count(*) from marts.dim_accounts where owner_csm_id = ?", [user_id]).fetchone()[0]
    copy.close()
    page.goto(local(served, links.csm_page_url(served["cfg"], user_id)))
    assert page.inner_text("h1") == name
    text = page.inner_text("main")
    for heading in ("My open alerts", "My tasks", "My accounts"):
        assert heading in text
    accounts = page.locator("h2:has-text('My accounts') + table tbody tr")
    assert accounts.count() == owned
    first_account = accounts.first.locator("a").inner_text()
    accounts.first.locator("a").click()
    assert page.inner_text("h1") == first_account
    text = page.inner_text("main")
    for heading in ("Health, last", "MRR by month", "Alerts", "Tasks", "Touchpoints"):
        assert heading in text
    assert not re.search(r"\bNone\b|\bnan\b", text)


def test_the_next_run_applies_every_action(served, state, tmp_path):
    from prefect.settings import PREFECT_API_URL

    ws, today = served["ws"], date.today()
    wh = ws / "warehouse.duckdb"
    with duckdb.connect(str(wh), read_only=True) as con:
        answered_before = con.execute("select invitations_answered from marts.rpt_survey_results "
                                      "where survey = 'nps' and month = '2026-06-01'").fetchone()[0]
    result = steward("run", "--as-of", today.isoformat(), ws=ws, api_url=PREFECT_API_URL.value())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "apply actions from steward serve" in result.stdout

    with duckdb.connect(str(wh), read_only=True) as con:
        statuses = dict(con.execute("select kind || ':' || target, status from ops.serve_actions").fetchall())
        assert statuses[f"survey.answer:{state['survey_token']}"] == "applied"
        assert statuses[f"alert.acknowledge:{state['alert_id']}"] == "applied"
        assert all(statuses[f"unsubscribe:{e}"] == "applied" for e in state["unsubscribed"])
        assert statuses[f"task.done:{state['task_id']}"] == "applied"
        assert con.execute("select status, completed_as_of from ops.tasks where task_id = ?",
                           [state["task_id"]]).fetchone() == ("done", today)
        # survey: on its invitation, in the responses mart and in rpt_survey_results
        score, comment = con.execute(
            "select i.score, r.comment from ops.survey_invitations i join marts.fct_survey_responses r "
            "on r.response_id = i.response_id where i.token = ?", [state["survey_token"]]).fetchone()
        assert (score, comment) == (9, "Great onboarding <b>team</b>")
        answered_after = con.execute("select invitations_answered from marts.rpt_survey_results "
                                     "where survey = 'nps' and month = '2026-06-01'").fetchone()[0]
        assert answered_after == answered_before + 1
        # alert: acknowledged by the digest's recipient (it may since have resolved by itself)
        acked, by = con.execute("select acknowledged_at, changed_by from ops.alerts where alert_id = ?",
                                [state["alert_id"]]).fetchone()
        assert acked is not None and by == state["recipient"]
        # suppressions, and no marketing mail sent to them by this run
        sup = con.execute("select email, reason, source from ops.suppressions where list_contains(?, email) "
                          "order by 1", [state["unsubscribed"]]).fetchall()
        assert sup == sorted((e, "unsubscribed", "steward serve") for e in state["unsubscribed"])
        assert con.execute("select count(*) from ops.outbox where list_contains(?, lower(to_email)) "
                           "and kind = 'marketing' and as_of = ? and status = 'sent'",
                           [state["unsubscribed"], today]).fetchone()[0] == 0

    with session(wh) as con:  # honoured by delivery, and the log is applied once only
        enqueue(con, Message("test:after-unsubscribe", "campaign_test", state["unsubscribed"][0], "Hello", "hi",
                             "<p>hi</p>", kind="marketing", as_of=today))
        out = drain(con, FileTransport(tmp_path, "steward@example.com", "Steward"), 10)
        assert (out.sent, out.suppressed) == (0, 1)
        again = apply_actions(con, make_config(ws), today)
        assert (again.applied, again.rejected) == ({}, 0)
