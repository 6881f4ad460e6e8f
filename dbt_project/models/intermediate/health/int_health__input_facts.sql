-- Per account and effective day: the hash of the non-usage facts daily health reads, so an
-- incremental run can tell which accounts' inputs changed (macro health_recompute_scope).
-- effective_date is the first day a fact can change; null for facts that reach every day of the
-- account (paid subscriptions shape the spine, champions and segment apply to all days).

with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

touchpoints as (
    select * from {{ ref('stg_crm__touchpoints') }}
),

survey_responses as (
    select * from {{ ref('stg_surveys__survey_responses') }}
),

tickets as (
    select * from {{ ref('stg_support__support_tickets') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

facts as (
    select account_id, cast(null as date) as effective_date,
           {{ health_fact_text('subscription', ['start_date', 'end_date', 'seats']) }} as fact
    from subscriptions
    where mrr > 0
    union all
    select account_id, null, {{ health_fact_text('segment', ['segment']) }}
    from accounts
    union all
    select account_id, null, {{ health_fact_text('champion', ['left_at']) }}
    from contacts
    where is_champion
    union all
    select account_id, cast(occurred_at as date), {{ health_fact_text('touchpoint', ['occurred_at', 'sentiment']) }}
    from touchpoints
    union all
    select account_id, cast(responded_at as date), {{ health_fact_text('nps', ['responded_at', 'score']) }}
    from survey_responses
    where survey = 'nps'
    union all
    select account_id, cast(opened_at as date),
           {{ health_fact_text('ticket', ['opened_at', 'closed_at', 'priority']) }}
    from tickets
    union all
    select account_id, issued_at, {{ health_fact_text('invoice', ['status', 'issued_at', 'due_at', 'paid_at']) }}
    from invoices
)

select
    account_id,
    effective_date,
    sum({{ health_fact_hash('fact') }}) as fact_hash
from facts
group by account_id, effective_date
