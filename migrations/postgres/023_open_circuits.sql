-- Open circuits, seen from every node (issue 14: the operator's fleet page counts them). A
-- circuit lives in the memory of the dispatcher that opened it; the dispatcher writes here when
-- it opens or re-opens (once per opening, not per delivery), so the console and the API read one
-- answer whichever node serves them. A circuit is open while circuit_open_until is in the future;
-- a probe after that time closes it (a success) or re-opens it with a later time.
ALTER TABLE webhooks ADD COLUMN circuit_open_until BIGINT;
