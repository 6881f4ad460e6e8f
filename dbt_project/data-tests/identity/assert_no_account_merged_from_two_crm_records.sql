-- A billing customer or product account that two CRM records claim (two accounts storing the same
-- Stripe id, two companies on one domain or with one name) must stay ambiguous: attaching it to either
-- would merge two CRM records' revenue or usage into one account. Only an override may decide.
select system, source_id, account_id, match_rule, candidate_accounts
from {{ ref('dim_identity_crosswalk') }}
where account_id is not null
  and match_rule <> 'override'
  and n_candidates <> 1
