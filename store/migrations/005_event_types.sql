-- 005_event_types: the Gigapay nouns' events were recorded under Gigapay's
-- names ("Payout.accepted"); the Service now fires paykit's ("payout.accepted")
-- and the Gigapay dialect translates at its edge. Rename them where they are
-- stored, so that fan-out still matches the endpoints that subscribed to them
-- and a delivery still names its event's type. Each is its name in lower case.

UPDATE events SET type = lower(type)
WHERE type IN ('Employee.created', 'Employee.notified', 'Employee.claimed', 'Employee.verified',
	'Payout.created', 'Payout.notified', 'Payout.accepted', 'Invoice.created', 'Invoice.paid');

UPDATE webhook_deliveries SET event_type = lower(event_type)
WHERE event_type IN ('Employee.created', 'Employee.notified', 'Employee.claimed', 'Employee.verified',
	'Payout.created', 'Payout.notified', 'Payout.accepted', 'Invoice.created', 'Invoice.paid');

UPDATE webhook_endpoints SET events = (
	SELECT json_group_array(
		CASE WHEN value IN ('Employee.created', 'Employee.notified', 'Employee.claimed', 'Employee.verified',
			'Payout.created', 'Payout.notified', 'Payout.accepted', 'Invoice.created', 'Invoice.paid')
		THEN lower(value) ELSE value END ORDER BY key)
	FROM json_each(webhook_endpoints.events))
WHERE EXISTS (
	SELECT 1 FROM json_each(webhook_endpoints.events)
	WHERE value IN ('Employee.created', 'Employee.notified', 'Employee.claimed', 'Employee.verified',
		'Payout.created', 'Payout.notified', 'Payout.accepted', 'Invoice.created', 'Invoice.paid'));
