package paykit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A lane's deliveries are claimed, attempted and recorded in batches: a lane
// claims as many deliveries as the delivery concurrency, attempts them a
// quarter of that at a time, and records the batch's outcomes in one
// transaction, which also claims its next batch. So a transaction carries a
// batch's attempts rather than one, and a claim and its record write pages of
// neighbouring rows (the fan-out creates a lane's deliveries together) rather
// than a page per row.

// perLane is how many attempts one lane may have in flight.
func (s *Service) perLane() int { return (s.webhooks.concurrency + 3) / 4 }

// perClaim is how many deliveries a lane claims at a time: as many as the
// delivery concurrency, four rounds of perLane.
func (s *Service) perClaim() int { return 4 * s.perLane() }

// deliverLane claims and attempts the lane's deliveries due at now, perClaim
// at a time with perLane in flight, until none is left or an attempt fails.
// Each claim's outcomes are recorded in one transaction, which also claims
// the next batch.
func (s *Service) deliverLane(ctx context.Context, lane DeliveryLane, now time.Time) error {
	ds, err := inTx(ctx, s.store, func(tx Tx) ([]*Delivery, error) { return s.claim(ctx, tx, lane, now) })
	for err == nil && len(ds) > 0 {
		ds, err = s.attemptBatch(ctx, lane, now, ds)
	}
	return err
}

// claim leases the next perClaim deliveries of the lane due at now, for long
// enough to attempt them all, perLane at a time, each for up to the delivery
// timeout.
func (s *Service) claim(ctx context.Context, tx Tx, lane DeliveryLane, now time.Time) ([]*Delivery, error) {
	rounds := time.Duration((s.perClaim() + s.perLane() - 1) / s.perLane())
	return tx.ClaimDeliveries(ctx, lane, now, s.now().Add(rounds*s.webhooks.timeout+leaseMargin), s.perClaim())
}

// attemptBatch attempts the claimed deliveries ds of the lane, perLane at a
// time, until they are done or an attempt fails; records every attempt made
// and releases the deliveries it did not attempt; and returns the lane's next
// batch, claimed in the same transaction, unless ds was its last or an
// attempt failed.
func (s *Service) attemptBatch(ctx context.Context, lane DeliveryLane, now time.Time, ds []*Delivery) ([]*Delivery, error) {
	// A lane is one endpoint, or callbacks, which have none.
	var ep *Endpoint
	if id := ds[0].EndpointID; id != "" {
		var err error
		if ep, err = s.store.FindEndpointByID(ctx, lane.TenantID, id); ErrorCode(err) == ENOTFOUND || (err == nil && !ep.Enabled) {
			// Deleted, renamed or disabled since the claim: its deliveries
			// went with it, follow it (retried when the lease ends), or
			// were failed.
			return nil, nil
		} else if err != nil {
			return nil, err
		}
	}
	var (
		wg       sync.WaitGroup
		inFlight = make(chan struct{}, s.perLane())
		stop     atomic.Bool // an attempt failed, or there was none
		results  = make([]*attemptResult, len(ds))
		errs     = make([]error, len(ds)+1)
		started  = make([]bool, len(ds))
	)
	for i, d := range ds {
		inFlight <- struct{}{}
		if stop.Load() || ctx.Err() != nil {
			<-inFlight
			break
		}
		started[i] = true
		wg.Add(1)
		go func() {
			defer func() { <-inFlight; wg.Done() }()
			results[i], errs[i] = s.attempt(ctx, d, ep)
			if results[i] == nil || !results[i].ok {
				stop.Store(true)
			}
		}()
	}
	wg.Wait()
	more := len(ds) == s.perClaim() && !stop.Load() && ctx.Err() == nil
	// A finished exchange is recorded even if ctx ends meanwhile.
	var next []*Delivery
	next, errs[len(ds)] = s.recordAttempts(context.WithoutCancel(ctx), lane, now, ds, started, ep, results, more)
	return next, errors.Join(errs...)
}

// recordAttempts stores, in one transaction, the outcome of each attempt of
// the claimed deliveries sent to sentTo (nil for callbacks), results[i] being
// claimed[i]'s (nil: no attempt); releases the lease of those it did not
// start; and claims the lane's next batch when more is set.
func (s *Service) recordAttempts(ctx context.Context, lane DeliveryLane, now time.Time, claimed []*Delivery, started []bool,
	sentTo *Endpoint, results []*attemptResult, more bool) ([]*Delivery, error) {
	if !more && !slices.ContainsFunc(results, func(r *attemptResult) bool { return r != nil }) && !slices.Contains(started, false) {
		return nil, nil
	}
	return inTx(ctx, s.store, func(tx Tx) ([]*Delivery, error) {
		if err := s.record(ctx, tx, claimed, started, sentTo, results); err != nil || !more {
			return nil, err
		}
		return s.claim(ctx, tx, lane, now)
	})
}

// record stores the outcome of each attempt of the claimed deliveries and
// schedules what follows each: nothing after a success, the next retry after
// a failure, or the end of the delivery when the schedule is spent or the
// receiver said 410 Gone. The claimed deliveries it did not start it
// releases, due as they were, unless their lease has passed to another
// claim. It also keeps the endpoint's failure streak.
func (s *Service) record(ctx context.Context, tx Tx, claimed []*Delivery, started []bool, sentTo *Endpoint, results []*attemptResult) error {
	now := s.now()
	type outcome struct {
		res   *attemptResult
		lease *time.Time // of the claim, for a delivery it did not start
	}
	byID := make(map[string]outcome, len(claimed))
	ids := make([]string, 0, len(claimed))
	for i, c := range claimed {
		if results[i] != nil || !started[i] {
			byID[c.ID] = outcome{results[i], c.LeaseUntil}
			ids = append(ids, c.ID)
		}
	}
	// One deleted with its endpoint meanwhile is not found, and not recorded.
	found, err := tx.FindDeliveriesByID(ctx, claimed[0].TenantID, ids)
	if err != nil {
		return err
	}
	var (
		ds         = found[:0]
		attempts   []*DeliveryAttempt
		endpointID string
		track      []*attemptResult
	)
	for _, d := range found {
		o := byID[d.ID]
		if o.res == nil {
			if d.LeaseUntil != nil && o.lease != nil && d.LeaseUntil.Equal(*o.lease) {
				d.LeaseUntil = nil
				ds = append(ds, d)
			}
			continue
		}
		a, err := s.applyAttempt(d, o.res, now)
		if err != nil {
			return err
		}
		ds, attempts = append(ds, d), append(attempts, a)
		// A success changes the endpoint only when it ends a failure streak;
		// one that began after sentTo was read ends at the next success.
		if d.EndpointID != "" && (!o.res.ok || sentTo.FailingSince != nil) {
			endpointID = d.EndpointID
			track = append(track, o.res)
		}
	}
	if err := tx.UpdateDeliveries(ctx, ds); err != nil {
		return err
	}
	if err := tx.CreateDeliveryAttempts(ctx, attempts); err != nil || len(track) == 0 {
		return err
	}
	ep, err := tx.FindEndpointByID(ctx, claimed[0].TenantID, endpointID)
	if err != nil {
		return err
	}
	for _, res := range track {
		if err := s.trackEndpoint(ctx, tx, now, ep, *res, res.gone()); err != nil {
			return err
		}
	}
	return nil
}

// applyAttempt counts the attempt res of d, as it is stored now, moves d to
// what follows it, and returns the attempt to record.
func (s *Service) applyAttempt(d *Delivery, res *attemptResult, now time.Time) (*DeliveryAttempt, error) {
	d.Attempts++
	d.Tries++
	a := &DeliveryAttempt{DeliveryID: d.ID, TenantID: d.TenantID, N: d.Attempts, URL: res.url, At: res.at,
		StatusCode: res.status, Response: res.response, Error: res.failure(), Duration: res.duration, Succeeded: res.ok}
	schedule := s.retrySchedule(d.Scheme)
	d.LastAttemptAt, d.LastStatusCode, d.LastError, d.LeaseUntil, d.UpdatedAt = &res.at, res.status, a.Error, nil, now
	switch {
	case res.ok:
		if err := moveDelivery(d, DeliveryStatusSucceeded); err != nil {
			return nil, err
		}
		d.NextAttemptAt = nil
	case d.Status != DeliveryStatusPending:
		// Failed meanwhile, when its endpoint was disabled.
	case res.gone() || d.Tries >= len(schedule):
		if err := moveDelivery(d, DeliveryStatusFailed); err != nil {
			return nil, err
		}
		d.NextAttemptAt = nil
	default:
		next := res.at.Add(schedule[d.Tries])
		d.NextAttemptAt = &next
	}
	return a, nil
}
