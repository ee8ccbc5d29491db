package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// testRetention: the purges of finished deliveries (with their attempts)
// and of the events nothing needs any more, oldest first and in bounded
// batches, across tenants; pending deliveries, events not yet fanned out or
// with a delivery left, and the newest event are kept, and a later event's
// Seq stays above the cursor.
func testRetention(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	ep := MustEndpoint(t, s, tn.ID)
	old, cutoff := Base.Add(-2*time.Hour), Base.Add(-time.Hour)
	event := func(tenantID string, at time.Time) *paykit.Event {
		t.Helper()
		e := &paykit.Event{ID: NewID(), TenantID: tenantID, Type: paykit.EventPayoutCreated, SubjectID: "p", Data: []byte(`{}`), CreatedAt: at}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.AppendEvent(ctx, e) }))
		return e
	}
	finished := func(ev *paykit.Event, ep *paykit.Endpoint, st paykit.DeliveryStatus, at time.Time) *paykit.Delivery {
		return MustDelivery(t, s, ev, ep, func(d *paykit.Delivery) {
			d.Status, d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = st, nil, at.Add(-time.Minute), at
		})
	}
	exists := func(d *paykit.Delivery) bool {
		_, err := s.FindDeliveryByID(ctx, d.TenantID, d.ID)
		if paykit.ErrorCode(err) == paykit.ENOTFOUND {
			return false
		}
		require.NoError(t, err)
		return true
	}
	eventExists := func(e *paykit.Event) bool {
		_, err := s.FindEventByID(ctx, e.TenantID, e.ID)
		if paykit.ErrorCode(err) == paykit.ENOTFOUND {
			return false
		}
		require.NoError(t, err)
		return true
	}
	deleteDeliveries := func(limit int) int {
		n, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.DeleteFinishedDeliveries(ctx, cutoff, limit) })
		require.NoError(t, err)
		return n
	}
	deleteEventsBefore := func(cutoff time.Time, limit int) int {
		n, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.DeleteEvents(ctx, cutoff, limit) })
		require.NoError(t, err)
		return n
	}
	deleteEvents := func(limit int) int { return deleteEventsBefore(cutoff, limit) }

	// Deliveries: finished before the cutoff go, oldest first, with their
	// attempts; pending ones, and those finished since, stay.
	e1, e2, e3 := event(tn.ID, old), event(tn.ID, old), event(other.ID, old)
	oldest := finished(e1, ep, paykit.DeliveryStatusSucceeded, old.Add(-time.Minute))
	require.NoError(t, inTx(s, func(tx paykit.Tx) error {
		return tx.CreateDeliveryAttempt(ctx, &paykit.DeliveryAttempt{DeliveryID: oldest.ID, TenantID: tn.ID, N: 1, URL: ep.URL, At: old, StatusCode: 204, Succeeded: true})
	}))
	failed := finished(e1, nil, paykit.DeliveryStatusFailed, old)
	elsewhere := finished(e3, nil, paykit.DeliveryStatusSucceeded, old)
	recent := finished(e2, ep, paykit.DeliveryStatusSucceeded, Base)
	pending := MustDelivery(t, s, e2, nil, func(d *paykit.Delivery) { d.CreatedAt, d.UpdatedAt = old, old })

	require.Equal(t, 1, deleteDeliveries(1))
	require.False(t, exists(oldest), "the oldest first")
	attempts, err := s.FindDeliveryAttempts(ctx, tn.ID, oldest.ID)
	require.NoError(t, err)
	require.Empty(t, attempts, "its attempts with it")
	require.True(t, exists(failed))
	require.Equal(t, 2, deleteDeliveries(10), "failed too, of every tenant")
	require.False(t, exists(failed))
	require.False(t, exists(elsewhere))
	require.True(t, exists(recent), "finished after the cutoff")
	require.True(t, exists(pending), "pending, however old")
	require.Zero(t, deleteDeliveries(10))

	// Events: only those fanned out, without a delivery, before the cutoff,
	// and never the newest.
	fannedOutThrough(t, s, e3.Seq)
	later := event(tn.ID, old) // not fanned out yet, and the newest
	require.Equal(t, 2, deleteEvents(10))
	require.False(t, eventExists(e1))
	require.False(t, eventExists(e3), "of every tenant")
	require.True(t, eventExists(e2), "a delivery is left")
	require.True(t, eventExists(later), "not fanned out")

	fannedOutThrough(t, s, later.Seq)
	require.Zero(t, deleteEvents(10), "the newest event stays")
	next := event(tn.ID, Base)
	require.Greater(t, next.Seq, later.Seq)
	require.Equal(t, 1, deleteEvents(10))
	require.False(t, eventExists(later))
	require.True(t, eventExists(next), "after the cutoff")
	// Everything but the newest gone: a new event's Seq is above every Seq
	// handed out.
	fannedOutThrough(t, s, next.Seq)
	next2 := event(tn.ID, Base)
	require.Greater(t, next2.Seq, next.Seq)

	// Events appended after a later-created one (a clock that ran behind) are
	// found by seq, which follows creation: they wait until the cutoff passes
	// the later one, and none is deleted before its time.
	var evs []*paykit.Event
	for i := range 3 {
		evs = append(evs, event(other.ID, old.Add(time.Duration(i)*time.Second)))
	}
	newest := event(other.ID, Base)
	fannedOutThrough(t, s, newest.Seq)
	require.Zero(t, deleteEvents(10))
	for _, e := range evs {
		require.True(t, eventExists(e))
	}
	// A bounded batch, in seq order; never the newest, nor one with a delivery.
	later2 := Base.Add(time.Minute)
	require.Equal(t, 2, deleteEventsBefore(later2, 2))
	require.False(t, eventExists(next))
	require.False(t, eventExists(next2))
	require.True(t, eventExists(evs[0]))
	require.Equal(t, 2, deleteEventsBefore(later2, 2))
	require.False(t, eventExists(evs[0]))
	require.False(t, eventExists(evs[1]))
	require.True(t, eventExists(evs[2]))
	require.Equal(t, 1, deleteEventsBefore(later2, 10))
	require.False(t, eventExists(evs[2]))
	require.True(t, eventExists(e2), "a delivery is left")
	require.True(t, eventExists(newest), "the newest")
}

func fannedOutThrough(t *testing.T, s paykit.Store, seq int64) {
	ctx := context.Background()
	require.NoError(t, inTx(s, func(tx paykit.Tx) error {
		evs, err := tx.ClaimEventsToFanOut(ctx, paykit.MaxLimit)
		if err != nil {
			return err
		}
		var seqs []int64
		for _, ev := range evs {
			if ev.Seq <= seq {
				seqs = append(seqs, ev.Seq)
			}
		}
		return tx.MarkEventsFannedOut(ctx, seqs, Base)
	}))
}
