"""Who email comes from and who it greets: the account's CSM (name on From, address as
Reply-To) for customer email; a team member's name for internal digests.

The CSM is the current csm assignment (ops.assignments, as alerts route), else the CRM owner
(marts.dim_accounts); an account with neither keeps delivery.from_name and delivery.reply_to.
"""

from __future__ import annotations

import duckdb

SQL = """
    select d.account_id, coalesce(ta.display_name, tc.display_name), coalesce(ta.email, tc.email)
    from marts.dim_accounts d
    left join ops.assignments a
        on a.account_id = d.account_id and a.role = 'csm' and a.released_as_of is null
    left join marts.dim_team ta on ta.user_id = a.user_id
    left join marts.dim_team tc on tc.user_id = d.owner_csm_id
    where ? is null or d.account_id = ?
"""


def sender_address(csm_email: str | None, domain: str | None) -> str | None:
    """The CSM's own From address on the configured sending domain (None: delivery.from_email)."""
    if not csm_email or not domain or "@" not in csm_email:
        return None
    return f"{csm_email.split('@', 1)[0]}@{domain}"


def csm_senders(con: duckdb.DuckDBPyConnection, account_id: str | None = None
                ) -> dict[str, tuple[str | None, str | None]]:
    """account_id -> (CSM's name, CSM's email), for every account or one; (None, None) without a CSM.
    Empty before the team mart exists (a warehouse not built yet): delivery's defaults apply."""
    built = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                        "and table_name = 'dim_team'").fetchone()[0]
    if not built:
        return {}
    return {acct: (name, email) for acct, name, email in con.execute(SQL, [account_id, account_id]).fetchall()}


def person_name(con: duckdb.DuckDBPyConnection, email: str, leader_email: str | None = None) -> str | None:
    """The name of the team member with this email; for the configured CS leader's address, the
    team's one active CS leader. None when nobody matches (the greeting then has no name)."""
    row = con.execute("select display_name from marts.dim_team where lower(email) = lower(?) limit 1",
                      [email]).fetchone()
    if row:
        return row[0]
    if leader_email and email.lower() == leader_email.lower():
        leaders = con.execute("select display_name from marts.dim_team where role = 'csl' and is_active").fetchall()
        if len(leaders) == 1:
            return leaders[0][0]
    return None


def team_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """user_id -> the name every email shows for a team member (marts.dim_team.display_name)."""
    return dict(con.execute("select user_id, display_name from marts.dim_team").fetchall())
