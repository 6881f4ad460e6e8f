-- Customer email from the account's CSM (issue 20): a per-message sender name and Reply-To.
-- Null keeps delivery.from_name / delivery.reply_to (digests, reports and other staff mail).
alter table ops.outbox add column if not exists from_name varchar;
alter table ops.outbox add column if not exists reply_to varchar;
