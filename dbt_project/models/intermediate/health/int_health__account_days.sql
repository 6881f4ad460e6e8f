-- Dense account x day spine behind every daily health window: each account that pays on some
-- day of the history, every day from the spine start (90 days before the history) to as_of,
-- with whether it is a paying customer that day and the seats it has purchased. The daily
-- health models build the same rows for just the accounts and days they recompute (macro
-- health_account_days), so this view is for reading and testing the spine.
with {{ health_history_accounts() }},

scope as (
    select
        account_id,
        {{ health_history_start() }} as compute_from,
        {{ health_spine_start() }} as spine_start
    from history_accounts
),

{{ health_account_days() }}

select
    account_id,
    date_day,
    seats,
    is_customer,
    date_day >= compute_from as is_in_history
from account_days
