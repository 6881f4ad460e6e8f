"""Vendor presets as data: selection by system, merging with per-table mappings, and the mapping keys
vendor exports need (epochs, optional columns, fallbacks, nested JSON paths) on real DuckDB reads."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from flows.config import ConfigError, load_config
from flows.ingest import mapping
from flows.ingest.load import _reader
from flows.ingest.presets import available


def _config(tmp_path, sources):
    return load_config(overrides={"paths": {"workspace": str(tmp_path)}, "sources": sources}, environ={})


def test_shipped_presets_validate_against_the_contract(tmp_path):
    assert {"stripe", "hubspot", "segment"} <= set(available())
    cfg = _config(tmp_path, {"billing": "stripe", "crm": "hubspot", "product": "segment"})
    assert set(cfg.sources) == {"billing_customers", "subscriptions", "invoices", "accounts", "contacts", "tasks",
                                "usage_events", "product_accounts"}
    assert cfg.sources["subscriptions"].cents == ["amount"]
    assert cfg.sources["subscriptions"].epochs["renewal_date"] == "seconds"


def test_per_table_entry_is_merged_over_the_preset_key_by_key(tmp_path):
    cfg = _config(tmp_path, {"billing": "stripe", "subscriptions": {"values": {"status": {"paused": "past_due"}}}})
    sub = cfg.sources["subscriptions"]
    assert sub.values["status"] == {"paused": "past_due"}  # the user's map replaces the preset's
    assert sub.columns["account_id"] == "customer" and sub.cents == ["amount"]  # the rest is the preset's


def test_preset_by_path_and_clear_errors(tmp_path):
    own = tmp_path / "my_billing.yml"
    own.write_text("sources:\n  subscriptions:\n    columns: {account_id: cust}\n")
    assert _config(tmp_path, {"billing": str(own)}).sources["subscriptions"].columns == {"account_id": "cust"}
    with pytest.raises(ConfigError, match="preset 'chargebee' not found; shipped presets: .*stripe"):
        _config(tmp_path, {"billing": "chargebee"})
    with pytest.raises(ConfigError, match="sources.stripe: 'stripe' names a preset, so the key must be a system"):
        _config(tmp_path, {"stripe": "stripe"})
    with pytest.raises(ConfigError, match="maps subscriptions, which another preset already maps"):
        _config(tmp_path, {"billing": "stripe", "crm": str(own)})


def _read(tmp_path, table, sources, path):
    mapping.configure(_config(tmp_path, sources).sources)
    try:
        con = duckdb.connect()
        cols = [r[0] for r in con.execute(f"describe select * from {_reader(path)}").fetchall()]
        sql = mapping.mapped_reader(table, path, _reader(path), cols)
        cur = con.execute(f"select * from {sql}")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        mapping.configure({})


def test_stripe_subscription_item_row_maps_cents_epochs_and_fallbacks(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text(
        "id,customer,status,start_date,current_period_end,cancel_at,ended_at,discount.coupon.percent_off,"
        "items.data.id,items.data.quantity,items.data.price.id,items.data.price.nickname,"
        "items.data.price.unit_amount,items.data.price.currency,items.data.price.recurring.interval\n"
        # 2025-01-01, 2026-04-01, 2026-04-01 as Unix seconds; no nickname; set to cancel
        "sub_1,cus_1,unpaid,1735689600,1775001600,1775001600,,20,si_1,3,price_x,,9950,usd,month\n")
    row = _read(tmp_path, "subscriptions", {"billing": "stripe"}, path)[0]
    assert (row["subscription_id"], row["account_id"], row["plan"], row["seats"]) == ("si_1", "cus_1", "price_x", "3")
    assert (row["amount"], row["currency"], row["status"], row["discount_pct"]) == ("298.50", "USD", "past_due", "20")
    assert (row["start_date"], row["renewal_date"], row["end_date"]) == ("2025-01-01", "2026-04-01", "2026-04-01")


def test_hubspot_optional_custom_properties_may_be_missing(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text("hs_object_id,name,customer_tier,createdate,domain\n"
                    "0042,Acme,smb,2024-01-10T09:00:00.000Z,acme.com\n")
    row = _read(tmp_path, "accounts", {"crm": "hubspot"}, path)[0]
    assert row["account_id"] == "0042" and row["domain"] == "acme.com"
    assert row["billing_customer_id"] is None and row["region"] is None


def test_segment_nested_json_paths(tmp_path):
    path = tmp_path / "tracks.jsonl"
    path.write_text(json.dumps({"type": "track", "messageId": "m1", "event": "Report Viewed", "userId": "u1",
                                "timestamp": "2026-03-01T10:00:00Z", "context": {"groupId": "ws_1"}}) + "\n")
    row = _read(tmp_path, "usage_events", {"product": "segment"}, path)[0]
    assert (row["event_id"], row["account_id"], row["feature"], row["quantity"]) == ("m1", "ws_1", "Report Viewed", "1")


def test_salesforce_account_and_task_exports(tmp_path):
    acc = tmp_path / "Account.csv"
    acc.write_text("Id,Name,Tier__c,Industry,BillingCountry,CreatedDate,OwnerId,Type,Website,IsDeleted\n"
                   "001Hs00002abcdEIAQ,Acme,smb,Software,US,2024-01-10T09:00:00.000Z,005Hs000001xyzQIAQ,"
                   "Customer - Direct,https://www.acme.com,false\n")
    row = _read(tmp_path, "accounts", {"crm": "salesforce"}, acc)[0]
    assert (row["account_id"], row["segment"], row["domain"]) == ("001Hs00002abcdEIAQ", "smb", "https://www.acme.com")
    assert row["billing_customer_id"] is None
    task = tmp_path / "Task.csv"
    task.write_text("Id,AccountId,OwnerId,Subject,ActivityDate,Status,CompletedDateTime\n"
                    "00THs000003aaaAUAQ,001Hs00002abcdEIAQ,005Hs000001xyzQIAQ,QBR prep,2026-03-20,Not Started,\n")
    row = _read(tmp_path, "tasks", {"crm": "salesforce"}, task)[0]
    assert (row["task_id"], row["due_at"], row["source"]) == ("00THs000003aaaAUAQ", "2026-03-20", "salesforce")


def test_hubspot_tasks_due_time_in_milliseconds_or_iso(tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text("hs_object_id,associated_company_id,hubspot_owner_id,hs_task_subject,hs_timestamp,hs_task_status\n"
                    "901,1001,64492917,Renewal call,1774000000000,NOT_STARTED\n"
                    "902,1001,64492917,QBR deck,2026-03-20T09:00:00.000Z,NOT_STARTED\n")
    rows = _read(tmp_path, "tasks", {"crm": "hubspot"}, path)
    # 1774000000000 ms = 2026-03-20 09:46:40 UTC; an ISO value is kept for the gate to normalise
    assert [(r["task_id"], r["due_at"], r["source"]) for r in rows] == [
        ("901", "2026-03-20 09:46:40", "hubspot"), ("902", "2026-03-20T09:00:00.000Z", "hubspot")]
    assert rows[0]["completed_at"] is None


def test_zendesk_ticket_rating_priority_and_organization_domain(tmp_path):
    tickets = tmp_path / "tickets.jsonl"
    rows = [{"id": 7, "organization_id": 360001, "created_at": "2026-03-01T10:00:00Z", "priority": None,
             "status": "solved", "satisfaction_rating": {"score": "good", "id": 1},
             "metric_set": {"solved_at": "2026-03-02T08:00:00Z"}},
            {"id": 8, "organization_id": 360002, "created_at": "2026-03-03T10:00:00Z", "priority": "urgent",
             "status": "open", "satisfaction_rating": {"score": "offered"}, "metric_set": {"solved_at": None}}]
    tickets.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = _read(tmp_path, "support_tickets", {"support": "zendesk"}, tickets)
    # numeric Zendesk ids become text; no priority -> the preset's default; good = 5, offered = unknown
    assert [(r["ticket_id"], r["account_id"], r["priority"], r["csat"], r["closed_at"]) for r in got] == [
        ("7", "360001", "normal", "5", datetime(2026, 3, 2, 8, 0)), ("8", "360002", "urgent", None, None)]
    orgs = tmp_path / "organizations.jsonl"
    orgs.write_text(json.dumps({"id": 360001, "name": "Acme", "domain_names": ["acme.com", "acme.de"],
                                "external_id": "A-1"}) + "\n")
    org = _read(tmp_path, "support_organizations", {"support": "zendesk"}, orgs)[0]
    assert (org["organization_id"], org["domain"], org["crm_account_id"]) == ("360001", "acme.com", "A-1")


def test_amplitude_event_takes_uuid_over_its_own_event_id(tmp_path):
    path = tmp_path / "187520_2026-03-02_9#0.json"
    path.write_text(json.dumps({"event_id": 3, "uuid": "6f1c-1", "event_type": "Report Exported",
                                "event_time": "2026-03-02 09:15:00.123000", "user_id": "u1",
                                "groups": {"company": "acme"}}) + "\n")
    row = _read(tmp_path, "usage_events", {"product": "amplitude"}, path)[0]
    assert (row["event_id"], row["account_id"], row["feature"], row["quantity"]) == (
        "6f1c-1", "acme", "Report Exported", "1")
