-- MRR dip: the account's MRR now (as_of snapshot of the current month) is at least
-- alerts.mrr_dip.pct below its MRR at the previous month-end, and not zero (that is churn).
select
    'mrr_dip' as rule,
    account_id,
    cast(month as {{ dbt.type_string() }}) as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'MRR down ' || cast(round(100.0 * -mrr_change / previous_mrr, 1) as {{ dbt.type_string() }}) || '%: '
        || cast(round(previous_mrr, 2) as {{ dbt.type_string() }}) || ' -> ' || cast(round(mrr, 2) as {{ dbt.type_string() }}) as title,
    {{ json_object({
        'month': 'cast(month as ' ~ dbt.type_string() ~ ')',
        'previous_mrr': 'round(previous_mrr, 2)',
        'mrr': 'round(mrr, 2)',
        'change_pct': 'round(100.0 * mrr_change / previous_mrr, 1)',
    }) }} as details
from {{ ref('fct_mrr') }}
where month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
    and previous_mrr > 0
    and mrr > 0
    and -mrr_change >= previous_mrr * {{ alert_setting('mrr_dip', 'pct') }} / 100.0
