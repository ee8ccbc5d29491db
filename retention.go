package paykit

import (
	"context"
	"time"
)

// Retention: the outbox and the delivery log are kept for a period, then
// purged by RunDue in bounded batches, so that storage stops growing with
// the history. Only what has served its purpose goes: a delivery once it
// finished (succeeded or failed), with its attempts, and an event once it
// was fanned out and no delivery of it is left. Idempotency records live
// their own TTL (forgetIdempotencyKeys); the ledger and the nouns (tokens,
// payments, payouts, requests ...) are never purged.

// DefaultRetention is how long finished deliveries and events are kept.
const DefaultRetention = 30 * 24 * time.Hour

// WithRetention sets how long, by the Clock, a finished delivery (from when
// it finished) and an event (from when it happened) are kept before RunDue
// purges them (default DefaultRetention); d <= 0 keeps them forever. An
// event that a pending delivery still needs, or that is not yet fanned out,
// is kept whatever its age. A purged event no longer appears in FindEvents
// and cannot be redelivered.
func WithRetention(d time.Duration) Option { return func(s *Service) { s.retention = d } }

// purgeDeliveries deletes a batch of the deliveries that finished before the
// retention period, with their attempts.
func (s *Service) purgeDeliveries(ctx context.Context) (int, error) {
	if s.retention <= 0 {
		return 0, nil
	}
	return inTx(ctx, s.store, func(tx Tx) (int, error) {
		return tx.DeleteFinishedDeliveries(ctx, s.now().Add(-s.retention), s.batchSize)
	})
}

// purgeEvents deletes a batch of the events older than the retention period
// that nothing needs any more. It runs after purgeDeliveries, which frees
// them.
func (s *Service) purgeEvents(ctx context.Context) (int, error) {
	if s.retention <= 0 {
		return 0, nil
	}
	return inTx(ctx, s.store, func(tx Tx) (int, error) {
		return tx.DeleteEvents(ctx, s.now().Add(-s.retention), s.batchSize)
	})
}
