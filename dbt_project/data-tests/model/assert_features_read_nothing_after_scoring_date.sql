-- No lookahead: every dated input behind a feature row is on or before its scoring date, and no
-- scoring date is after as_of. Rows returned are failures.
select account_id, scoring_date, last_touch_date, last_nps_date, latest_subscription_start
from {{ ref('fct_account_features_daily') }}
where scoring_date > {{ as_of_date() }}
    or last_touch_date > scoring_date
    or last_nps_date > scoring_date
    or latest_subscription_start > scoring_date
    or days_since_touch < 0
    or days_since_nps < 0
    or tenure_days < 0
    or days_to_renewal <= 0
