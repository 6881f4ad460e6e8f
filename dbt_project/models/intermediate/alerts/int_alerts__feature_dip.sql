-- Feature usage dip on a paying account: a feature's events in the last 30 days fell at least
-- alerts.feature_dip.drop_pct below the prior 30 days (which had min_prior_events or more).
-- The feature is the subject and the title names it and its drop.
with features as (
    select features.*
    from {{ ref('fct_account_feature_usage') }} as features
    inner join {{ ref('dim_accounts') }} as accounts
        on features.account_id = accounts.account_id and accounts.is_paying
    where features.events_prior_30d >= {{ alert_setting('feature_dip', 'min_prior_events') }}
        {% if alert_setting('feature_dip', 'key_features_only') %}and features.is_key_feature{% endif %}
)

select
    'feature_dip' as rule,
    account_id,
    feature as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Usage of ' || feature || ' down ' || cast(cast(round(-100 * usage_trend) as integer) as {{ dbt.type_string() }}) || '% ('
        || cast(events_prior_30d as {{ dbt.type_string() }}) || ' -> ' || cast(events_30d as {{ dbt.type_string() }})
        || ' events, 30 days vs prior 30)' as title,
    {{ json_object({
        'feature': 'feature',
        'events_30d': 'events_30d',
        'events_prior_30d': 'events_prior_30d',
        'drop_pct': 'round(-100 * usage_trend, 1)',
        'last_used_date': 'cast(last_used_date as ' ~ dbt.type_string() ~ ')',
    }) }} as details
from features
where usage_trend <= -{{ alert_setting('feature_dip', 'drop_pct') }} / 100.0
