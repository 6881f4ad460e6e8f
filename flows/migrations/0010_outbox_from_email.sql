-- 0010 customer mail from the CSM's own address on a configured sending domain
-- (delivery.csm_sender_domain); null keeps delivery.from_email.
alter table ops.outbox add column if not exists from_email varchar;
