-- 006_standard_secrets: every webhook endpoint has a Standard Webhooks secret,
-- so that webhook-id, webhook-timestamp and webhook-signature always come
-- together. A standard endpoint's is its own secret; the others, which had
-- none, get a new one: "whsec_" and 48 hex digits of 24 random bytes, which is
-- also valid base64 (a 36-byte key), so it is a well-formed whsec_ secret.
-- Readable at once through the Service and GET /webhooks/webhook-endpoints.

UPDATE webhook_endpoints SET standard_secret = secret
WHERE standard_secret = '' AND scheme = 'standard';

UPDATE webhook_endpoints SET standard_secret = 'whsec_' || lower(hex(randomblob(24)))
WHERE standard_secret = '';
