package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// testDeliveryBatches checks the writes and the read the delivery engine
// makes for many deliveries at once (issue 15), with more rows than one
// statement of a store may carry.
func testDeliveryBatches(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	const n = 70 // more than two statements' worth in package store
	newDeliveries := func(ep *paykit.Endpoint) []*paykit.Delivery {
		out := make([]*paykit.Delivery, n)
		for i := range out {
			ev := MustEvent(t, s, ep.TenantID, paykit.EventPayoutCreated, NewID())
			out[i] = &paykit.Delivery{ID: NewID(), TenantID: ev.TenantID, EventID: ev.ID, EventType: ev.Type,
				EndpointID: ep.ID, URL: ep.URL, Scheme: ep.Scheme, Body: ev.Data, Status: paykit.DeliveryStatusPending,
				NextAttemptAt: ptr(Base), CreatedAt: Base, UpdatedAt: Base}
		}
		return out
	}
	find := func(tenantID string, ds []*paykit.Delivery) []*paykit.Delivery {
		got, err := s.FindDeliveriesByID(ctx, tenantID, ids(ds, deliveryID))
		require.NoError(t, err)
		return got
	}

	t.Run("CreateDeliveries", func(t *testing.T) {
		ep := MustEndpoint(t, s, tn.ID)
		ds := newDeliveries(ep)
		ds[3].LeaseUntil, ds[4].Secret = ptr(Base.Add(time.Minute)), "cb-secret"
		// One was made before, as RedeliverEvent makes one: it is skipped, and
		// stays as it was.
		before := *ds[5]
		before.ID, before.Attempts = NewID(), 2
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDelivery(ctx, &before) }))
		got, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.CreateDeliveries(ctx, ds) })
		require.NoError(t, err)
		require.Equal(t, n-1, got)
		found := find(tn.ID, ds)
		require.Equal(t, append(append([]*paykit.Delivery(nil), ds[:5]...), ds[6:]...), found, "in ID order")
		d, err := s.FindDeliveryByID(ctx, tn.ID, before.ID)
		require.NoError(t, err)
		require.Equal(t, &before, d)

		got, err = txValue(s, func(tx paykit.Tx) (int, error) { return tx.CreateDeliveries(ctx, nil) })
		require.NoError(t, err)
		require.Zero(t, got)
	})
	t.Run("FindDeliveriesByID", func(t *testing.T) {
		ep := MustEndpoint(t, s, tn.ID)
		ds := newDeliveries(ep)
		_, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.CreateDeliveries(ctx, ds) })
		require.NoError(t, err)
		// Asked out of order, with an unknown ID and another tenant's delivery.
		elsewhere := MustDelivery(t, s, MustEvent(t, s, other.ID, paykit.EventPayoutCreated, NewID()), nil)
		ask := []string{ds[9].ID, NewID(), elsewhere.ID, ds[2].ID, ds[40].ID}
		got, err := s.FindDeliveriesByID(ctx, tn.ID, ask)
		require.NoError(t, err)
		require.Equal(t, []*paykit.Delivery{ds[2], ds[9], ds[40]}, got)
		got, err = s.FindDeliveriesByID(ctx, tn.ID, nil)
		require.NoError(t, err)
		require.Empty(t, got)
		require.Equal(t, ds, find(tn.ID, ds))
		require.Empty(t, find(other.ID, ds))
	})
	t.Run("UpdateDeliveries", func(t *testing.T) {
		ep := MustEndpoint(t, s, tn.ID)
		ds := newDeliveries(ep)
		_, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.CreateDeliveries(ctx, ds) })
		require.NoError(t, err)
		for i, d := range ds {
			d.Attempts, d.Tries, d.LastAttemptAt, d.UpdatedAt = i+1, i%3, ptr(Base.Add(time.Duration(i)*time.Second)), Base.Add(time.Hour)
			switch i % 3 {
			case 0:
				d.Status, d.NextAttemptAt, d.LastStatusCode = paykit.DeliveryStatusSucceeded, nil, 204
			case 1:
				d.NextAttemptAt, d.LastStatusCode, d.LastError = ptr(Base.Add(time.Minute)), 503, "busy"
				d.LeaseUntil = ptr(Base.Add(2 * time.Minute))
			case 2:
				d.Status, d.NextAttemptAt, d.LastError = paykit.DeliveryStatusFailed, nil, "gone"
			}
		}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateDeliveries(ctx, ds) }))
		require.Equal(t, ds, find(tn.ID, ds))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateDeliveries(ctx, nil) }))

		t.Run("ErrNotFound", func(t *testing.T) {
			c := *ds[0]
			c.TenantID, c.Status = other.ID, paykit.DeliveryStatusPending
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateDeliveries(ctx, []*paykit.Delivery{ds[1], &c})
			}), paykit.ENOTFOUND)
			require.Equal(t, ds, find(tn.ID, ds), "nothing changed")
		})
	})
	t.Run("FindDeliveryOutcomes", func(t *testing.T) {
		mine, theirs := MustTenant(t, s), MustTenant(t, s)
		from, to := Base.Add(24*time.Hour), Base.Add(48*time.Hour)
		deliver := func(tenantID string, st paykit.DeliveryStatus, at *time.Time) {
			MustDelivery(t, s, MustEvent(t, s, tenantID, paykit.EventPayoutCreated, NewID()), nil, func(d *paykit.Delivery) {
				d.Status, d.LastAttemptAt = st, at
			})
		}
		succeeded, failed, pending := paykit.DeliveryStatusSucceeded, paykit.DeliveryStatusFailed, paykit.DeliveryStatusPending
		deliver(mine.ID, succeeded, ptr(from)) // the span's first instant
		deliver(mine.ID, succeeded, ptr(from.Add(time.Hour)))
		deliver(mine.ID, failed, ptr(from.Add(2*time.Hour)))
		deliver(mine.ID, pending, ptr(to.Add(-time.Microsecond)))     // retrying, its last instant
		deliver(mine.ID, succeeded, ptr(from.Add(-time.Microsecond))) // before it
		deliver(mine.ID, failed, ptr(to))                             // after it
		deliver(mine.ID, pending, nil)                                // never attempted
		deliver(theirs.ID, succeeded, ptr(from.Add(time.Hour)))       // another tenant's
		got, err := s.FindDeliveryOutcomes(ctx, mine.ID, from, to)
		require.NoError(t, err)
		require.Equal(t, paykit.DeliveryOutcomes{Succeeded: 2, Failed: 2}, got)
		got, err = s.FindDeliveryOutcomes(ctx, mine.ID, to.Add(time.Hour), to.Add(2*time.Hour))
		require.NoError(t, err)
		require.Zero(t, got, "a span with no delivery")
		got, err = s.FindDeliveryOutcomes(ctx, theirs.ID, from, to)
		require.NoError(t, err)
		require.Equal(t, paykit.DeliveryOutcomes{Succeeded: 1}, got)
	})
	t.Run("CreateDeliveryAttempts", func(t *testing.T) {
		ep := MustEndpoint(t, s, tn.ID)
		ds := newDeliveries(ep)
		_, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.CreateDeliveries(ctx, ds) })
		require.NoError(t, err)
		var as []*paykit.DeliveryAttempt
		for i, d := range ds {
			as = append(as, &paykit.DeliveryAttempt{DeliveryID: d.ID, TenantID: tn.ID, N: 1, URL: ep.URL, At: Base,
				StatusCode: 200 + i%2*300, Response: "ok", Duration: time.Duration(i) * time.Millisecond, Succeeded: i%2 == 0})
		}
		as = append(as, &paykit.DeliveryAttempt{DeliveryID: ds[0].ID, TenantID: tn.ID, N: 2, URL: ep.URL,
			At: Base.Add(time.Second), Error: "timeout"})
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDeliveryAttempts(ctx, as) }))
		for _, i := range []int{0, 1, n - 1} {
			got, err := s.FindDeliveryAttempts(ctx, tn.ID, ds[i].ID)
			require.NoError(t, err)
			want := []*paykit.DeliveryAttempt{as[i]}
			if i == 0 {
				want = append(want, as[n])
			}
			require.Equal(t, want, got)
		}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDeliveryAttempts(ctx, nil) }))

		t.Run("ErrConflict", func(t *testing.T) {
			again := &paykit.DeliveryAttempt{DeliveryID: ds[5].ID, TenantID: tn.ID, N: 2, URL: ep.URL, At: Base}
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				return tx.CreateDeliveryAttempts(ctx, []*paykit.DeliveryAttempt{again, as[7]})
			}), paykit.ECONFLICT)
			got, err := s.FindDeliveryAttempts(ctx, tn.ID, ds[5].ID)
			require.NoError(t, err)
			require.Equal(t, []*paykit.DeliveryAttempt{as[5]}, got, "the failed transaction inserted nothing")
		})
	})
}
