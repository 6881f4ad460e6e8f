"""The landing contract: every table Steward reads, its key, columns, types and rules.

This is the one declarative place the ingest flow, the quality gate (GX suites) and the
synthetic generator all read. DESIGN.md "Landing contract" is the prose version.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One contract column: name, logical type and the rules a value must follow."""

    name: str
    dtype: str  # string | date | timestamp | integer | decimal | boolean | double
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # a present column may hold empty values
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    references: str | None = None  # "table.column" this value must exist in
    severity: str = "warn"  # warn: quarantine failing rows | error: stop the run before dbt
    max_length: int | None = None  # text columns; None -> the gate's default limit
    not_future: bool = False  # an event that already happened: not after the load date
    not_before: str | None = None  # another column of the row this value may not precede
    pattern: tuple[str, str] | None = None  # (regex the whole value must match, the rule in words)
    # Other "table.column"s that also satisfy `references`: a billing customer id or a product account
    # id the identity crosswalk (dbt) resolves onto a CRM account (docs/identity.md).
    also_references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One landing table: where it comes from, its primary key and its columns."""

    name: str
    system: str  # crm | billing | product | support | surveys
    key: str
    columns: tuple[Column, ...]
    required: bool = False  # only accounts and subscriptions are required
    partitioned: bool = False  # big tables arrive as a folder of partitions
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, dtype: str = "string", **kw) -> Column:
    return Column(name, dtype, **kw)


def _opt(name: str, dtype: str = "string", **kw) -> Column:
    """An optional column: may be absent from the file, and empty when present."""
    return Column(name, dtype, required=False, nullable=True, **kw)


ACCOUNT_FK = "accounts.account_id"
BILLING_FK = "billing_customers.customer_id"
PRODUCT_FK = "product_accounts.product_account_id"
SUPPORT_FK = "support_organizations.organization_id"
# a billing or product id a CRM record stores satisfies the reference even when no customer file lists it
# (Amplitude exports no list of its groups): the crosswalk matches it by exact_id
STORED_BILLING_ID = "accounts.billing_customer_id"
STORED_PRODUCT_ID = "accounts.product_account_id"
SEGMENTS = ("enterprise", "mid_market", "smb")
CHANNELS = ("call", "email", "meeting", "qbr")
PRIORITIES = ("low", "normal", "high", "urgent")
TEAM_ROLES = ("csm", "csl", "renewal_manager", "onboarding_specialist")
MAX_AMOUNT = 100_000_000  # per billing interval; above this an export is broken, not a big deal
MAX_SEATS = 1_000_000

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts", "crm", "account_id", required=True,
            description="One row per customer account (CRM).",
            columns=(
                _c("account_id", severity="error"), _c("name"), _c("segment", allowed=SEGMENTS),
                _c("industry", nullable=True), _c("region", nullable=True),
                _c("created_at", "timestamp", not_future=True),
                _opt("owner_csm_id", references="team.user_id"), _opt("lifecycle_stage"),
                # identity resolution (optional): the billing customer id a CRM field stores, the product's
                # account/workspace id, and the company's web domain
                _opt("billing_customer_id"), _opt("product_account_id"), _opt("domain"),
            ),
        ),
        Table(
            "contacts", "crm", "contact_id",
            description="People at customer accounts; champions and primary contacts.",
            columns=(
                _c("contact_id"), _c("account_id", references=ACCOUNT_FK), _c("email"),
                _c("name", nullable=True), _c("role", nullable=True),
                _c("is_champion", "boolean"), _c("is_primary", "boolean"),
                _opt("left_at", "timestamp", not_future=True),
                _opt("unsubscribed_at", "timestamp", not_future=True),
            ),
        ),
        Table(
            "team", "crm", "user_id",
            description="Customer-success team members who own accounts and tasks.",
            columns=(
                _c("user_id"), _c("name"), _c("email"), _c("role", allowed=TEAM_ROLES),
                _c("capacity", "integer", min=0), _c("active", "boolean"),
            ),
        ),
        Table(
            "touchpoints", "crm", "touchpoint_id",
            description="Logged CSM interactions with an account.",
            columns=(
                _c("touchpoint_id"), _c("account_id", references=ACCOUNT_FK),
                _c("user_id", references="team.user_id"), _c("occurred_at", "timestamp", not_future=True),
                _c("channel", allowed=CHANNELS),
                _opt("sentiment", "double", min=-1, max=1),
            ),
        ),
        Table(
            "tasks", "crm", "task_id",
            description="CRM tasks assigned to team members.",
            columns=(
                _c("task_id"), _c("account_id", references=ACCOUNT_FK),
                _c("owner_id", references="team.user_id"), _c("title"),
                _c("due_at", "timestamp"), _opt("completed_at", "timestamp", not_future=True),
                _c("source", nullable=True),
            ),
        ),
        Table(
            "subscriptions", "billing", "subscription_id", required=True,
            description="Billing subscriptions; amount is per billing interval, before discount.",
            columns=(
                _c("subscription_id", severity="error"),
                _c("account_id", references=ACCOUNT_FK, also_references=(BILLING_FK, STORED_BILLING_ID)),
                _c("plan"), _c("billing_interval", allowed=("month", "year")),
                _c("amount", "decimal", min=0, max=MAX_AMOUNT), _c("currency", max_length=3, pattern=(r"^[A-Za-z]{3}$", "a three-letter currency code such as USD")),
                _c("seats", "integer", min=0, max=MAX_SEATS), _c("start_date", "date"),
                _opt("end_date", "date", not_before="start_date"),
                _c("renewal_date", "date", nullable=True, not_before="start_date"),
                _c("status", allowed=("active", "trialing", "past_due", "canceled")),
                _opt("discount_pct", "decimal", min=0, max=100),
            ),
        ),
        Table(
            "invoices", "billing", "invoice_id",
            description="Invoices issued to accounts.",
            columns=(
                _c("invoice_id"),
                _c("account_id", references=ACCOUNT_FK, also_references=(BILLING_FK, STORED_BILLING_ID)),
                _c("issued_at", "date", not_future=True), _c("due_at", "date", not_before="issued_at"),
                _opt("paid_at", "date", not_future=True), _c("amount", "decimal", min=0, max=MAX_AMOUNT),
                _c("status", allowed=("paid", "open", "void", "uncollectible")),
            ),
        ),
        Table(
            "usage_events", "product", "event_id", partitioned=True,
            description="Product usage events; the big table, as Parquet partitions by day.",
            columns=(
                _c("event_id"),
                _c("account_id", references=ACCOUNT_FK, also_references=(PRODUCT_FK, STORED_PRODUCT_ID)),
                _opt("user_id"), _c("feature"), _c("occurred_at", "timestamp", not_future=True),
                _c("quantity", "double", min=0, max=1_000_000),
            ),
        ),
        Table(
            "support_tickets", "support", "ticket_id",
            description="Support tickets opened by accounts.",
            columns=(
                _c("ticket_id"), _c("account_id", references=ACCOUNT_FK, also_references=(SUPPORT_FK,)),
                _c("opened_at", "timestamp", not_future=True),
                _opt("closed_at", "timestamp", not_future=True, not_before="opened_at"),
                _c("priority", allowed=PRIORITIES),
                _opt("csat", "double", min=1, max=5),
            ),
        ),
        Table(
            "survey_responses", "surveys", "response_id",
            description="Survey answers (NPS 0-10, onboarding and CSAT 1-5).",
            columns=(
                _c("response_id"), _c("account_id", references=ACCOUNT_FK),
                _c("contact_id", nullable=True, references="contacts.contact_id"),
                _c("survey", allowed=("nps", "onboarding", "csat")),
                _c("score", "double", min=0, max=10), _opt("comment"),
                _c("responded_at", "timestamp", not_future=True),
            ),
        ),
        # Identity resolution (docs/identity.md): other systems' customer records, matched onto CRM accounts
        # by the dbt crosswalk; overrides are the user's own decisions and win over every rule.
        Table(
            "billing_customers", "billing", "customer_id",
            description="The billing system's customers (Stripe customers), when its ids are not CRM ids.",
            columns=(_c("customer_id"), _opt("name"), _opt("email"), _opt("domain")),
        ),
        Table(
            "product_accounts", "product", "product_account_id",
            description="The product's accounts or workspaces (Segment group calls), when ids are not CRM ids.",
            columns=(_c("product_account_id"), _opt("name"), _opt("email"), _opt("domain")),
        ),
        Table(
            "support_organizations", "support", "organization_id",
            description="The support desk's organizations (Zendesk), when ticket ids are not CRM ids; "
                        "crm_account_id is the CRM id the desk stores (Zendesk's external_id), if kept.",
            columns=(_c("organization_id"), _opt("name"), _opt("email"), _opt("domain"), _opt("crm_account_id")),
        ),
        Table(
            "identity_overrides", "crm", "source_id",
            description="User decisions: this billing customer or product account is this CRM account.",
            columns=(_c("system", allowed=("billing", "product", "support")), _c("source_id"),
                     _c("account_id", references=ACCOUNT_FK), _opt("note")),
        ),
    )
}


# Identity resolution lives in other systems' exports (vendor presets), never in generated data.
IDENTITY_TABLES = ("billing_customers", "product_accounts", "support_organizations", "identity_overrides")
IDENTITY_COLUMNS = {"accounts": ("billing_customer_id", "product_account_id", "domain")}


# Enumerations a company names its own way (steward.yml `enumerations`): (table, column) per key.
ENUMERATED = {"segments": ("accounts", "segment"), "touchpoint_channels": ("touchpoints", "channel"),
              "ticket_priorities": ("support_tickets", "priority")}
_DEFAULT_ALLOWED = {key: TABLES[t].column(c).allowed for key, (t, c) in ENUMERATED.items()}


def configure(enumerations: dict[str, list[str]] | None = None) -> None:
    """Set the allowed values of the configurable enumerations (defaults: the values above).

    TABLES is updated in place, so every module that imported it sees the configured contract.
    """
    from dataclasses import replace

    for key, (tname, cname) in ENUMERATED.items():
        values = tuple((enumerations or {}).get(key) or _DEFAULT_ALLOWED[key])
        table = TABLES[tname]
        cols = tuple(replace(c, allowed=values) if c.name == cname else c for c in table.columns)
        TABLES[tname] = replace(table, columns=cols)
