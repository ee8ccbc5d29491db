-- 031_api_key_expiry: a rotated API key keeps working beside its replacement
-- until expires_at (unix microseconds, by the Service's Clock), then stops
-- (issue 13, the tenant admin API). NULL: a key not rotated.
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at, id);
