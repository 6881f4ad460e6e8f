-- Unknown send outcomes (issue 19): an unanswered send is `unconfirmed` until SendGrid's activity
-- window has passed, then `sent` (found), `queued` again (policy resend) or `held` for a person.
-- ops.outbox.status: queued | sending | sent | failed | suppressed | unconfirmed | held
alter table ops.outbox add column if not exists unconfirmed_at timestamp;   -- when the outcome became unknown
alter table ops.outbox add column if not exists held_at timestamp;          -- when it was held for a person
alter table ops.outbox add column if not exists held_alerted_at timestamp;  -- when the data team was told
alter table ops.outbox add column if not exists request_id varchar;        -- tags the last send request (activity lookup)
