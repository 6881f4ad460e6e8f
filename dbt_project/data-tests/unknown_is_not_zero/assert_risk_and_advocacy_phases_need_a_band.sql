-- Unknown is not zero: the risk phase (and its playbooks) needs a red band, advocacy a green one;
-- an account whose band is withheld is never moved there.
select account_id, phase, health_band
from {{ ref('fct_account_phase_target') }}
where (phase = 'risk' and health_band is distinct from 'red')
    or (phase = 'advocacy' and health_band is distinct from 'green')
