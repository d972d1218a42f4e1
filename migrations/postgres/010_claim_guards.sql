-- Dispatcher invariants (issue 11). claim_token names the claim that holds a 'delivering' row:
-- every later move of the row (complete, fail, release, reclaim) says which claim it comes from
-- and changes nothing once another claim (or the reclaim job) has taken the row over.
ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
-- Which claim made each attempt: one claim makes at most one attempt record.
ALTER TABLE delivery_attempts ADD COLUMN claim_token TEXT;
-- attempt_limit: attempts this delivery may use when more than the retry schedule gives it (a
-- manual retry or recovery of a dead delivery grants one more); NULL: the schedule's length.
ALTER TABLE deliveries ADD COLUMN attempt_limit INTEGER;

-- A webhook whose deliveries cannot be built (its secrets do not decrypt, its URL does not
-- parse, its event cannot be rendered): flagged for operators (GET /v1/admin/webhooks?status=broken)
-- until one of its deliveries succeeds again.
ALTER TABLE webhooks ADD COLUMN broken_at BIGINT;
ALTER TABLE webhooks ADD COLUMN broken_reason TEXT;
CREATE INDEX webhooks_broken ON webhooks(broken_at) WHERE broken_at IS NOT NULL;
