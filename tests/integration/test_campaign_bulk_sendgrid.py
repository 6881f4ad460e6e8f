"""A bulk campaign to 10,000 contacts, 3% unsubscribed: the real CLI (preview, send, deliver) and
the real `sendgrid` client against the local SendGrid-compatible server. Everyone else gets it
exactly once; a second send and a second delivery add nothing."""

import re

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.warehouse import connect
from tests.support.sendgrid_server import SendGridServer

pytestmark = pytest.mark.integration
KEY = "SG.campaign-test-key"
CONTACTS, UNSUBSCRIBED = 10_000, 300


def populate(path) -> None:
    """1,000 enterprise accounts x 10 admins (every 100th contact's first 3 unsubscribed), plus
    contacts outside the audience: analysts at the same accounts and admins of SMB accounts."""
    con = connect(path)
    con.execute("""
        create schema marts; create schema actions;
        create table marts.dim_accounts as
        select 'E' || lpad(i::varchar, 4, '0') as account_id, 'Enterprise ' || i as account_name,
               'enterprise' as segment, 'adoption' as journey_phase, true as is_paying, 'Casey CSM' as owner_name
        from range(1000) t(i)
        union all
        select 'S' || lpad(i::varchar, 4, '0'), 'Small ' || i, 'smb', 'adoption', true, 'Robin CSM' from range(100) t(i);
        create table marts.dim_contacts as
        select 'C' || lpad(i::varchar, 5, '0') as contact_id, 'E' || lpad((i // 10)::varchar, 4, '0') as account_id,
               'admin' || i || '@customer' || (i // 10) || '.example' as email, 'Admin ' || i as contact_name,
               case when i % 2 = 0 then 'IT Admin' else 'Workspace administrator' end as role,
               false as is_champion, i % 10 = 0 as is_primary,
               case when i % 100 < 3 then 'unsubscribed' end as unreachable_reason,
               i % 100 >= 3 as is_reachable
        from range(10000) t(i)
        union all
        select 'N' || i, 'E' || lpad((i % 1000)::varchar, 4, '0'), 'analyst' || i || '@customer.example',
               'Analyst ' || i, 'Analyst', false, false, null, true from range(500) t(i)
        union all
        select 'M' || i, 'S' || lpad((i % 100)::varchar, 4, '0'), 'smbadmin' || i || '@small.example',
               'Small admin ' || i, 'IT Admin', false, true, null, true from range(200) t(i);
        create table actions.fct_campaign_targets (campaign varchar, step varchar, account_id varchar,
                                                   contact_id varchar, reason varchar);
    """)
    assert con.execute("select count(*) from marts.dim_contacts where unreachable_reason = 'unsubscribed' "
                       "and account_id like 'E%'").fetchone()[0] == UNSUBSCRIBED
    con.close()


def recipients(server) -> list[str]:
    return [a["body"]["personalizations"][a["personalization"]]["to"][0]["email"]
            for a in server.state.accepted]


def test_a_campaign_to_10k_contacts_with_3pct_unsubscribed_reaches_the_rest_exactly_once(tmp_path):
    ws = tmp_path / "ws"
    populate(ws / "warehouse.duckdb")
    cfg_file = tmp_path / "steward.yml"
    cfg_file.write_text(
        "campaigns:\n"
        "  send_window_utc: {start_hour: 0, end_hour: 24}\n"
        "  max_per_run: 10000\n"
        "  bulk:\n"
        "    - name: sso_release\n"
        "      audience: {roles: ['*admin*'], segments: [enterprise]}\n"
        "      subject: 'New: single sign-on'\n"
        "      body: \"Hello,\\n\\nSingle sign-on is now available in every enterprise workspace.\"\n"
        "delivery:\n  transport: sendgrid\n  send_budget: 20000\n")
    runner = CliRunner()

    with SendGridServer(KEY) as server:
        env = {"STEWARD_SENDGRID_API_KEY": KEY, "STEWARD_DELIVERY__SENDGRID__HOST": server.url, "COLUMNS": "200"}

        def steward(*args: str):
            result = runner.invoke(app, [*args, "--workspace", str(ws), "--config", str(cfg_file)], env=env)
            assert result.exit_code == 0, result.output
            return " ".join(result.output.split())

        shown = steward("campaign", "preview", "sso_release", "--as-of", "2026-06-30")
        assert "sso_release at 2026-06-30: 9,700 contact(s) would get it" in shown
        assert "left out 300: unsubscribed 300" in shown and "nothing was sent or recorded" in shown

        sent = steward("campaign", "send", "sso_release", "--as-of", "2026-06-30", "--yes")
        assert "9,700 scheduled for sso_release; 9,700 queued now" in sent
        con = connect(ws / "warehouse.duckdb")
        assert con.execute("select count(*), count(distinct to_email) from ops.outbox "
                           "where category = 'campaign_sso_release'").fetchone() == (9_700, 9_700)
        con.close()

        delivered = steward("deliver")
        assert re.search(r"✓ 9700 sent, 0 recovered after an interrupted send, 0 deferred, 0 failed", delivered)
        to = recipients(server)
        assert len(to) == len(set(to)) == 9_700
        assert not [t for t in to if int(t.split("@")[0].removeprefix("admin")) % 100 < 3]  # no unsubscribed
        assert all(t.startswith("admin") for t in to)  # no analyst, no SMB admin
        assert server.state.requests == 97  # identical content: 100 recipients per request (batch_size)
        body = server.state.accepted[0]["body"]
        assert body["categories"] == ["campaign_sso_release"] and body["subject"] == "New: single sign-on"

        again = steward("campaign", "send", "sso_release", "--as-of", "2026-06-30", "--yes")
        assert "0 contact(s) would get it" in again and "already sent 9,700" in again and "nothing to send" in again
        steward("deliver")
        assert len(server.state.accepted) == 9_700 and server.state.requests == 97

    con = connect(ws / "warehouse.duckdb")
    assert con.execute("select status, count(*) from ops.outbox group by 1").fetchall() == [("sent", 9_700)]
    assert con.execute("select status, count(*) from ops.campaign_sends group by 1").fetchall() == [("queued", 9_700)]
    con.close()
