-- Every match says how it was made; ambiguous and unmatched records carry no account.
select system, source_id
from {{ ref('dim_identity_crosswalk') }}
where (match_status = 'matched') <> (account_id is not null)
   or (match_status = 'matched' and (match_rule is null or confidence is null))
