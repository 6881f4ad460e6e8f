"""Unknown is not zero, end to end: real exports that lack tables, user ids or Steward's names.

Each test lands a reshaped copy of generated data (ids as text with leading zeros, a company's
own segment names, account-level usage) and runs the real CLI (`steward run`, `steward report`)
against the session's Prefect server, then reads the warehouse.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import REPO, steward

AS_OF = date(2026, 6, 30)
OWN_SEGMENTS = {"enterprise": "strategic", "mid_market": "growth", "smb": "self_serve"}
SIGNAL_RULES = ("health_dip", "health_trend", "feature_dip", "touchpoint_trend", "champion_lost")
SIGNAL_PLAYBOOKS = ("low_adoption", "risk", "renewal_at_risk", "expansion", "advocacy", "champion_lost")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """60 generated accounts x 12 months: the source the reshaped landings are cut from."""
    from flows.generate import generate

    root = tmp_path_factory.mktemp("source")
    generate(root / "landing", root / "truth", accounts=60, seed=11, as_of=AS_OF, months=12)
    return root / "landing"


def _rename(node, names: dict[str, str]):
    """steward.yml with the company's own segment names wherever a segment is named."""
    if isinstance(node, dict):
        return {names.get(k, k): _rename(v, names) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(v, names) for v in node]
    return names.get(node, node) if isinstance(node, str) else node


def own_segments_config(path: Path) -> Path:
    raw = _rename(yaml.safe_load((REPO / "steward.yml").read_text()), OWN_SEGMENTS)
    raw["enumerations"] = {"segments": list(OWN_SEGMENTS.values())}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _rewrite_csv(src: Path, dest: Path, fix) -> list[dict]:
    with src.open(newline="") as fh:
        rows = [fix(dict(r)) for r in csv.DictReader(fh)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def text_id(account_id: str) -> str:
    """A CRM-style text id whose leading zeros must survive: A000017 -> 00-A000017."""
    return "00-" + account_id


def accounts_and_subscriptions(source: Path, landing: Path) -> tuple[list[dict], list[dict]]:
    """Only the two required tables, with text ids and own segment names; accounts keep owner_csm_id."""
    def account(r):
        r["account_id"], r["segment"] = text_id(r["account_id"]), OWN_SEGMENTS[r["segment"]]
        return r

    def sub(r):
        r["account_id"] = text_id(r["account_id"])
        return r

    accounts = _rewrite_csv(source / "crm" / "accounts.csv", landing / "crm" / "accounts.csv", account)
    subs = _rewrite_csv(source / "billing" / "subscriptions.csv", landing / "billing" / "subscriptions.csv", sub)
    return accounts, subs


def mrr_at(subs: list[dict], day: date) -> float:
    """MRR at a day straight from the subscription rows (DESIGN.md: after discount, annual / 12, no trials)."""
    total = 0.0
    for s in subs:
        start, end = date.fromisoformat(s["start_date"]), s["end_date"] and date.fromisoformat(s["end_date"])
        if s["status"] == "trialing" or start > day or (end and end <= day):
            continue
        monthly = float(s["amount"]) * (1 - float(s["discount_pct"] or 0) / 100)
        total += monthly / (12 if s["billing_interval"] == "year" else 1)
    return total


def run_cli(ws: Path, cfg: Path, *args: str):
    from prefect.settings import PREFECT_API_URL

    result = steward(*args, "--config", str(cfg), ws=ws, api_url=PREFECT_API_URL.value())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_accounts_and_subscriptions_only_give_revenue_and_no_signal_actions(prefect_harness, generated, tmp_path):
    landing, ws = tmp_path / "landing", tmp_path / "ws"
    accounts, subs = accounts_and_subscriptions(generated, landing)
    cfg = own_segments_config(tmp_path / "steward.yml")
    (ws).mkdir()
    shutil.copytree(landing, ws / "landing")

    run_cli(ws, cfg, "run", "--as-of", AS_OF.isoformat())
    for name in ("renewals", "nrr", "revenue_spread"):
        run_cli(ws, cfg, "report", name, "--as-of", AS_OF.isoformat())

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    # text ids with leading zeros and the company's own segments, as landed
    assert sorted(q("select account_id, segment from marts.dim_accounts")) == sorted(
        (a["account_id"], a["segment"]) for a in accounts)
    assert q("select count(*) from quarantine.accounts" if q(
        "select 1 from information_schema.tables where table_schema='quarantine'") else "select 0")[0][0] == 0
    # revenue is complete: this month's MRR equals the subscriptions' own arithmetic, every month has a row
    month_mrr = q("select sum(mrr) from marts.fct_mrr where month = date '2026-06-01'")[0][0]
    assert float(month_mrr) == pytest.approx(mrr_at(subs, AS_OF), abs=0.01)
    assert float(month_mrr) > 0
    assert q("select count(distinct month) from marts.fct_mrr where month >= date '2025-07-01'")[0][0] == 12
    assert q("select count(*) from marts.fct_renewals")[0][0] > 0
    for name in ("renewals", "nrr", "revenue_spread"):
        assert list((ws / "reports").rglob(f"{name}-*.html")), f"no {name} report page"
    # nothing known about health: every band withheld, no component used
    bands = q("select health_band, count(*), max(known_weight_share), max(components_used) "
              "from marts.fct_account_health_daily group by 1")
    assert [b[0] for b in bands] == ["insufficient_data"] and bands[0][2] == 0 and bands[0][3] == ""
    assert q("select count(utilisation) from marts.fct_account_usage_daily")[0][0] == 0
    # and so no signal-driven action of any kind
    rules = dict(q("select rule, count(*) from ops.alerts group by 1"))
    assert not set(rules) & set(SIGNAL_RULES), rules
    playbooks = dict(q("select playbook, count(*) from ops.playbook_runs group by 1"))
    assert not set(playbooks) & set(SIGNAL_PLAYBOOKS), playbooks
    assert q("select count(*) from ops.campaign_sends")[0][0] == 0
    assert q("select count(*) from ops.survey_invitations")[0][0] == 0
    assert q("select count(*) from actions.fct_account_phase_target where phase in ('risk', 'advocacy')")[0][0] == 0
    con.close()


def account_level_usage(source: Path, landing: Path) -> int:
    """Usage partitions with string event ids (U- plus hex) and no user_id column; returns rows."""
    rows = 0
    for part in sorted((source / "product" / "usage_events").rglob("*.parquet")):
        table = pq.read_table(part)
        ids = [f"U-{int(i):08x}" for i in table.column("event_id").to_pylist()]
        table = table.drop(["user_id"]).set_column(
            table.schema.get_field_index("event_id"), "event_id", __import__("pyarrow").array(ids))
        dest = landing / part.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, dest)
        rows += table.num_rows
    return rows


def test_usage_without_user_ids_loads_every_row_with_utilisation_unknown(prefect_harness, generated, tmp_path):
    ws = tmp_path / "ws"
    landing = ws / "landing"
    accounts_and_subscriptions(generated, landing)
    # usage keyed to the same text account ids
    src = tmp_path / "usage_src"
    for part in (generated / "product" / "usage_events").rglob("*.parquet"):
        t = pq.read_table(part)
        acc = [text_id(a) for a in t.column("account_id").to_pylist()]
        t = t.set_column(t.schema.get_field_index("account_id"), "account_id", __import__("pyarrow").array(acc))
        dest = src / part.relative_to(generated)
        dest.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, dest)
    landed = account_level_usage(src, landing)
    cfg = own_segments_config(tmp_path / "steward.yml")

    run_cli(ws, cfg, "run", "--as-of", AS_OF.isoformat())

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert q("select count(*) from raw.usage_events")[0][0] == landed
    assert q("select count(*), count(distinct event_id) from staging.stg_product__usage_events")[0] == (landed, landed)
    assert q("select min(event_id) from staging.stg_product__usage_events")[0][0].startswith("U-")
    usage = q("select count(*), count(utilisation), count(active_users_30d), count(events_30d), "
              "count(breadth), max(breadth), bool_or(has_usage_data), bool_or(has_user_ids) "
              "from marts.fct_account_usage_daily where date_day = date '2026-06-30'")[0]
    n, utilisation, users, events, breadth, max_breadth, any_usage, any_users = usage
    assert n > 0 and utilisation == 0 and users == 0 and not any_users
    assert events > 0 and breadth > 0 and max_breadth > 0 and any_usage
    health = q("select count(usage_depth_score), count(usage_trend_score), count(usage_breadth_score) "
               "from marts.fct_account_health_daily where health_date = date '2026-06-30'")[0]
    assert health[0] == 0 and health[1] > 0 and health[2] > 0
    playbooks = dict(q("select playbook, count(*) from ops.playbook_runs group by 1"))
    assert "low_adoption" not in playbooks and "expansion" not in playbooks, playbooks
    con.close()
