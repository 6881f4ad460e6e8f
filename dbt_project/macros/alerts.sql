{#- One setting of an alert rule from var alert_rules (flows/config.py Alerts), e.g.
    alert_setting('health_dip', 'points'). -#}
{% macro alert_setting(rule, key) -%}
    {{ return(var('alert_rules')[rule][key]) }}
{%- endmacro %}

{#- The rule models fct_alert_candidates unions, in catalogue order. -#}
{% macro alert_rule_names() -%}
    {{ return(['health_dip', 'health_trend', 'renewal_window', 'touchpoint_trend', 'champion_lost',
               'mrr_dip', 'churn_tolerance', 'feature_dip', 'task_due', 'task_overdue',
               'csm_late_tasks', 'payment_overdue']) }}
{%- endmacro %}
