-- Placeholder on branch issue-20s only, so 0006 has no gap here: DELETE on merge (the real
-- 0005 comes from another branch).
select 1;
