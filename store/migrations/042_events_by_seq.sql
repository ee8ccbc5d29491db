-- 042_events_by_seq: the retention sweep finds old events by seq, which
-- follows their creation, by bisection (store/events.go, DeleteEvents);
-- events_created, an index every event paid for and only the sweep read,
-- goes. An event's commit writes one page fewer.
DROP INDEX events_created;
