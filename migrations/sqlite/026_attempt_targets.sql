-- Where each attempt went (audit 3, finding 2): a delivery's page showed "Request as sent" rebuilt
-- from the webhook as it is now, so after a partner changed the URL or moved the API key from the
-- query to a header, old attempts showed a URL and headers that were never sent. Written with the
-- attempt, secrets already out:
--   url            the URL as sent, the API key's query value replaced by [redacted] (never the key)
--   api_key_header the header that carried the API key (lower case, as sent); NULL when it went in
--                  the query or no key was sent
--   languages      the company's languages the body was rendered with (JSON array, as companies.languages)
-- NULL url: no request was made (the event or webhook was gone, its secrets undecryptable, a lost
-- worker), or the attempt is older than this migration: the page then rebuilds from the webhook and says so.
ALTER TABLE delivery_attempts ADD COLUMN url TEXT;
ALTER TABLE delivery_attempts ADD COLUMN api_key_header TEXT;
ALTER TABLE delivery_attempts ADD COLUMN languages TEXT;
