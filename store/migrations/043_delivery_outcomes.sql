-- 043_delivery_outcomes: the console's webhook chart counts a tenant's
-- deliveries by the day of their last attempt, a day at a time
-- (FindDeliveryOutcomes). This index holds all such a count reads, so it
-- reads that day's entries and nothing else, however many deliveries the
-- tenant has. A delivery not yet attempted has NULL here and is never counted.
CREATE INDEX webhook_deliveries_attempted ON webhook_deliveries (tenant_id, last_attempt_at, status);
