-- 004_delivery_outcomes: as SQLite's 043_delivery_outcomes.sql, an index
-- that holds all FindDeliveryOutcomes reads.
CREATE INDEX webhook_deliveries_attempted ON webhook_deliveries (tenant_id, last_attempt_at, status);
