package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// MustEndpoint creates an enabled endpoint of the tenant with every field set
// (its scheme a name the store keeps, whether or not a Service has it);
// opts adjust it before it is stored.
func MustEndpoint(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Endpoint)) *paykit.Endpoint {
	tb.Helper()
	e := &paykit.Endpoint{ID: "wh_" + NewID(), TenantID: tenantID, URL: "https://example.com/hooks/" + NewID(),
		Events: []string{paykit.EventPayoutCreated, paykit.EventPayoutAccepted}, Scheme: "gigapay", Secret: "s3cr3t",
		StandardSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Enabled: true, Description: "payouts",
		Headers: map[string]string{"X-Api-Key": "k"}, Metadata: json.RawMessage(`{"team":"ops"}`),
		CreatedAt: Base, UpdatedAt: Base, FromSeq: 7}
	for _, o := range opts {
		o(e)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateEndpoint(context.Background(), e) }))
	return e
}

// MustDelivery creates a pending delivery of ev, due at Base, to the endpoint
// ep, or a callback to https://callbacks.example.com when ep is nil; opts
// adjust it before it is stored.
func MustDelivery(tb testing.TB, s paykit.Store, ev *paykit.Event, ep *paykit.Endpoint, opts ...func(*paykit.Delivery)) *paykit.Delivery {
	tb.Helper()
	d := &paykit.Delivery{ID: NewID(), TenantID: ev.TenantID, EventID: ev.ID, EventType: ev.Type,
		URL: "https://callbacks.example.com/notify?order=1", Scheme: paykit.SchemeMemento, Body: ev.Data,
		Status: paykit.DeliveryStatusPending, NextAttemptAt: ptr(Base), CreatedAt: Base, UpdatedAt: Base}
	if ep != nil {
		d.EndpointID, d.URL, d.Scheme = ep.ID, ep.URL, ep.Scheme
	}
	for _, o := range opts {
		o(d)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateDelivery(context.Background(), d) }))
	return d
}

func endpointID(e *paykit.Endpoint) string { return e.ID }
func deliveryID(d *paykit.Delivery) string { return d.ID }

func testWebhookEndpoints(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID, func(e *paykit.Endpoint) { e.FailingSince = ptr(Base.Add(time.Second)) })
		got, err := s.FindEndpointByID(ctx, tn.ID, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
	})
	t.Run("Minimal", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID, func(e *paykit.Endpoint) {
			e.Events, e.Headers, e.Metadata, e.StandardSecret, e.Description = nil, nil, nil, "", ""
		})
		got, err := s.FindEndpointByID(ctx, tn.ID, e.ID)
		require.NoError(t, err)
		require.Empty(t, got.Events)
		require.Nil(t, got.Headers)
		require.Nil(t, got.Metadata)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID)
		_, err := s.FindEndpointByID(ctx, other.ID, e.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindEndpointByID(ctx, tn.ID, "missing")
		RequireCode(t, err, paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEndpoint(ctx, "missing", e) }), paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEndpoint(ctx, other.ID, e.ID) }), paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID)
		dup := *e
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateEndpoint(ctx, &dup) }), paykit.ECONFLICT)
		// IDs are unique per tenant only.
		MustEndpoint(t, s, other.ID, func(o *paykit.Endpoint) { o.ID = e.ID })
	})
	t.Run("Update", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID)
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, e)
		old := e.ID
		e.ID, e.URL, e.Events, e.Scheme, e.Secret, e.StandardSecret = "renamed-"+NewID(), "https://example.org/x", []string{"a"}, paykit.SchemeStandard, "whsec_AAAA", ""
		e.Enabled, e.DisabledReason, e.Description, e.Headers, e.Metadata = false, "gone", "d", map[string]string{"A": "b"}, json.RawMessage(`{}`)
		e.FailingSince, e.UpdatedAt = ptr(Base.Add(time.Minute)), Base.Add(time.Hour)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEndpoint(ctx, old, e) }))
		got, err := s.FindEndpointByID(ctx, tn.ID, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
		_, err = s.FindEndpointByID(ctx, tn.ID, old)
		RequireCode(t, err, paykit.ENOTFOUND)

		// The delivery follows the rename.
		gotD, err := s.FindDeliveryByID(ctx, tn.ID, d.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, gotD.EndpointID)

		taken := MustEndpoint(t, s, tn.ID)
		e2 := *e
		e2.ID = taken.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEndpoint(ctx, e.ID, &e2) }), paykit.ECONFLICT)
	})
	t.Run("Delete", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID)
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, e)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.CreateDeliveryAttempt(ctx, &paykit.DeliveryAttempt{DeliveryID: d.ID, TenantID: tn.ID, N: 1, URL: e.URL, At: Base})
		}))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEndpoint(ctx, tn.ID, e.ID) }))
		_, err := s.FindEndpointByID(ctx, tn.ID, e.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindDeliveryByID(ctx, tn.ID, d.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		as, err := s.FindDeliveryAttempts(ctx, tn.ID, d.ID)
		require.NoError(t, err)
		require.Empty(t, as)
	})
	t.Run("FindEndpoints", func(t *testing.T) {
		tn := MustTenant(t, s)
		var all []*paykit.Endpoint
		for i := range 7 {
			all = append(all, MustEndpoint(t, s, tn.ID, func(e *paykit.Endpoint) {
				// Creation order, not ID order: IDs are the client's.
				e.ID = fmt.Sprintf("z%d-%s", 9-i, NewID())
				// Ties of CreatedAt go by FromSeq.
				e.CreatedAt, e.FromSeq = Base.Add(time.Duration(i/2)*time.Second), int64(i)
				e.Enabled = i%2 == 0
				if i%3 == 0 {
					e.Scheme, e.Secret = paykit.SchemeStandard, "whsec_AAAA"
				}
			}))
		}
		MustEndpoint(t, s, other.ID)
		find := func(f paykit.EndpointFilter) []string {
			f.Limit = 2
			return ids(pages(t, 2, func(after string) ([]*paykit.Endpoint, error) {
				f.After = after
				return s.FindEndpoints(ctx, tn.ID, f)
			}, endpointID), endpointID)
		}
		want := func(keep func(*paykit.Endpoint) bool) []string {
			var out []string
			for _, e := range all {
				if keep(e) {
					out = append(out, e.ID)
				}
			}
			return out
		}
		require.Equal(t, want(func(*paykit.Endpoint) bool { return true }), find(paykit.EndpointFilter{}))
		require.Equal(t, want(func(e *paykit.Endpoint) bool { return e.Enabled }), find(paykit.EndpointFilter{Enabled: ptr(true)}))
		require.Equal(t, want(func(e *paykit.Endpoint) bool { return !e.Enabled }), find(paykit.EndpointFilter{Enabled: ptr(false)}))
		require.Equal(t, want(func(e *paykit.Endpoint) bool { return e.Scheme == paykit.SchemeStandard }),
			find(paykit.EndpointFilter{Scheme: ptr(paykit.SchemeStandard)}))
		page, err := s.FindEndpoints(ctx, tn.ID, paykit.EndpointFilter{After: "missing"})
		require.NoError(t, err)
		require.Empty(t, page)
	})
	t.Run("FindEndpointPage", func(t *testing.T) {
		tn := MustTenant(t, s)
		var want []*paykit.Endpoint // newest first
		for i := range 7 {
			e := MustEndpoint(t, s, tn.ID, func(e *paykit.Endpoint) {
				// Creation order, not ID order: IDs are the client's.
				e.ID = fmt.Sprintf("z%d-%s", 9-i, NewID())
				// Ties of CreatedAt go by FromSeq.
				e.CreatedAt, e.FromSeq = Base.Add(time.Duration(i/2)*time.Second), int64(i)
				if i%3 == 0 {
					e.Scheme, e.Secret = paykit.SchemeStandard, "whsec_AAAA"
				}
			})
			want = append([]*paykit.Endpoint{e}, want...)
		}
		MustEndpoint(t, s, other.ID)
		find := func(f paykit.EndpointFilter, p paykit.ListPage) ([]string, int) {
			t.Helper()
			es, n, err := s.FindEndpointPage(ctx, tn.ID, f, p)
			require.NoError(t, err)
			return ids(es, endpointID), n
		}
		cur := func(e *paykit.Endpoint) *paykit.Cursor { return &paykit.Cursor{CreatedAt: e.CreatedAt, UID: e.ID} }
		all := ids(want, endpointID)

		got, n := find(paykit.EndpointFilter{}, paykit.ListPage{Limit: 100})
		require.Equal(t, all, got)
		require.Equal(t, 7, n)
		for size := 1; size <= 4; size++ {
			var walked []string
			page, _ := find(paykit.EndpointFilter{}, paykit.ListPage{Limit: size})
			for len(page) > 0 {
				walked = append(walked, page...)
				last := want[slices.Index(all, page[len(page)-1])]
				page, n = find(paykit.EndpointFilter{}, paykit.ListPage{After: cur(last), Limit: size})
				require.Equal(t, 7, n, "the count ignores the window")
			}
			require.Equal(t, all, walked, "size %d", size)
			for off := 0; off < 7; off += size {
				page, _ := find(paykit.EndpointFilter{}, paykit.ListPage{Offset: off, Limit: size})
				require.Equal(t, all[off:min(7, off+size)], page)
				if off+size < 7 {
					back, _ := find(paykit.EndpointFilter{}, paykit.ListPage{Before: cur(want[off+size]), Limit: size})
					require.Equal(t, all[off:off+size], back, "the page before %s", all[off+size])
				}
			}
		}

		std := paykit.SchemeStandard
		got, n = find(paykit.EndpointFilter{Scheme: &std}, paykit.ListPage{Limit: 100})
		require.Equal(t, []string{all[0], all[3], all[6]}, got)
		require.Equal(t, 3, n)
		got, n = find(paykit.EndpointFilter{Scheme: &std}, paykit.ListPage{After: cur(want[0]), Limit: 1})
		require.Equal(t, []string{all[3]}, got)
		require.Equal(t, 3, n)
		_, n = find(paykit.EndpointFilter{Enabled: ptr(false)}, paykit.ListPage{Limit: 1})
		require.Zero(t, n)

		// A cursor naming no endpoint of the tenant, or naming one at another
		// time (renamed or recreated since), reads nothing.
		for _, c := range []*paykit.Cursor{
			{CreatedAt: Base, UID: "missing"},
			{CreatedAt: want[3].CreatedAt.Add(time.Second), UID: want[3].ID},
		} {
			got, n = find(paykit.EndpointFilter{}, paykit.ListPage{After: c, Limit: 3})
			require.Empty(t, got)
			require.Equal(t, 7, n)
			got, _ = find(paykit.EndpointFilter{}, paykit.ListPage{Before: c, Limit: 3})
			require.Empty(t, got)
		}
		got, _ = find(paykit.EndpointFilter{}, paykit.ListPage{Before: cur(want[0]), Limit: 3})
		require.Empty(t, got)
		got, _ = find(paykit.EndpointFilter{}, paykit.ListPage{After: cur(want[6]), Limit: 3})
		require.Empty(t, got)
		got, _ = find(paykit.EndpointFilter{}, paykit.ListPage{Offset: 7, Limit: 3})
		require.Empty(t, got)
	})
}

func testWebhookFanOut(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("ClaimEventsToFanOut", func(t *testing.T) {
		var all []*paykit.Event
		for i := range 5 {
			tenant := tn.ID
			if i%2 == 1 {
				tenant = other.ID
			}
			all = append(all, MustEvent(t, s, tenant, "x.happened", NewID()))
		}
		claim := func(n int) []*paykit.Event {
			var got []*paykit.Event
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				var err error
				got, err = tx.ClaimEventsToFanOut(ctx, n)
				return err
			}))
			return got
		}
		require.Equal(t, all[:3], claim(3), "every tenant's, in Seq order")
		require.Equal(t, all, claim(100), "until marked, claimed again")

		err := s.InTx(ctx, func(tx paykit.Tx) error {
			require.NoError(t, tx.MarkEventsFannedOut(ctx, []int64{all[0].Seq, all[1].Seq}, Base))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		require.Equal(t, all, claim(100), "a mark rolls back")

		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.MarkEventsFannedOut(ctx, []int64{all[0].Seq, all[1].Seq, all[3].Seq}, Base)
		}))
		require.Equal(t, []*paykit.Event{all[2], all[4]}, claim(100))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.MarkEventsFannedOut(ctx, nil, Base) }))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.MarkEventsFannedOut(ctx, []int64{all[2].Seq, all[4].Seq}, Base)
		}))
		require.Empty(t, claim(100))
	})
	t.Run("ClaimsAreShared", func(t *testing.T) {
		// Claimers at once, each marking what it claims: every event is
		// claimed by exactly one of them.
		const events, claimers = 60, 4
		want := map[int64]bool{}
		for range events {
			want[MustEvent(t, s, tn.ID, "x.happened", NewID()).Seq] = true
		}
		var mu sync.Mutex
		got := map[int64]int{}
		var wg sync.WaitGroup
		for range claimers {
			wg.Go(func() {
				for {
					var evs []*paykit.Event
					err := s.InTx(ctx, func(tx paykit.Tx) error {
						var err error
						if evs, err = tx.ClaimEventsToFanOut(ctx, 7); err != nil || len(evs) == 0 {
							return err
						}
						seqs := make([]int64, len(evs))
						for i, ev := range evs {
							seqs[i] = ev.Seq
						}
						return tx.MarkEventsFannedOut(ctx, seqs, Base)
					})
					if !assert.NoError(t, err) || len(evs) == 0 {
						return
					}
					mu.Lock()
					for _, ev := range evs {
						got[ev.Seq]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, got, len(want))
		for seq, n := range got {
			require.True(t, want[seq], "event %d", seq)
			require.Equal(t, 1, n, "event %d claimed %d times", seq, n)
		}
	})
	t.Run("FindEventByID", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, "x.happened", NewID())
		got, err := s.FindEventByID(ctx, tn.ID, ev.ID)
		require.NoError(t, err)
		require.Equal(t, ev, got)
		_, err = s.FindEventByID(ctx, other.ID, ev.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
}

func testWebhookDeliveries(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	ep := MustEndpoint(t, s, tn.ID)

	t.Run("OK", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		for _, e := range []*paykit.Endpoint{ep, nil} {
			d := MustDelivery(t, s, ev, e, func(d *paykit.Delivery) {
				d.Secret, d.Attempts, d.Tries, d.LastAttemptAt = "cb-secret", 2, 1, ptr(Base.Add(-time.Second))
				d.LastStatusCode, d.LastError, d.LeaseUntil = 503, "busy", ptr(Base.Add(time.Minute))
			})
			got, err := s.FindDeliveryByID(ctx, tn.ID, d.ID)
			require.NoError(t, err)
			require.Equal(t, d, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, nil)
		_, err := s.FindDeliveryByID(ctx, other.ID, d.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		c := *d
		c.TenantID = other.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateDelivery(ctx, &c) }), paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, ep)
		dup := *d
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDelivery(ctx, &dup) }), paykit.ECONFLICT)
		dup.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDelivery(ctx, &dup) }), paykit.ECONFLICT) // one per (event, endpoint)
		// Callbacks of one event may be several.
		MustDelivery(t, s, ev, nil)
		MustDelivery(t, s, ev, nil)
	})
	t.Run("Update", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, ep)
		d.Status, d.Attempts, d.Tries, d.NextAttemptAt, d.LastAttemptAt = paykit.DeliveryStatusSucceeded, 3, 3, nil, ptr(Base.Add(time.Hour))
		d.LastStatusCode, d.LastError, d.LeaseUntil, d.UpdatedAt = 204, "", nil, Base.Add(time.Hour)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateDelivery(ctx, d) }))
		got, err := s.FindDeliveryByID(ctx, tn.ID, d.ID)
		require.NoError(t, err)
		require.Equal(t, d, got)
	})
	t.Run("Attempts", func(t *testing.T) {
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		d := MustDelivery(t, s, ev, ep)
		want := []*paykit.DeliveryAttempt{
			{DeliveryID: d.ID, TenantID: tn.ID, N: 1, URL: ep.URL, At: Base, StatusCode: 500, Response: "oops",
				Error: "answered 500", Duration: 1500 * time.Microsecond},
			{DeliveryID: d.ID, TenantID: tn.ID, N: 2, URL: ep.URL, At: Base.Add(5 * time.Second), Error: "timeout"},
			{DeliveryID: d.ID, TenantID: tn.ID, N: 3, URL: ep.URL, At: Base.Add(time.Minute), StatusCode: 200, Succeeded: true},
		}
		for _, a := range slices.Backward(want) {
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDeliveryAttempt(ctx, a) }))
		}
		got, err := s.FindDeliveryAttempts(ctx, tn.ID, d.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateDeliveryAttempt(ctx, want[0]) }), paykit.ECONFLICT)
		got, err = s.FindDeliveryAttempts(ctx, other.ID, d.ID)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("FindDeliveries", func(t *testing.T) {
		tn := MustTenant(t, s)
		e1, e2 := MustEndpoint(t, s, tn.ID), MustEndpoint(t, s, tn.ID)
		var all []*paykit.Delivery
		var evs []*paykit.Event
		for i := range 4 {
			ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
			evs = append(evs, ev)
			all = append(all, MustDelivery(t, s, ev, e1), MustDelivery(t, s, ev, e2, func(d *paykit.Delivery) {
				if i%2 == 0 {
					d.Status = paykit.DeliveryStatusFailed
				}
			}), MustDelivery(t, s, ev, nil))
		}
		MustDelivery(t, s, MustEvent(t, s, other.ID, paykit.EventPayoutCreated, NewID()), nil)
		find := func(f paykit.DeliveryFilter) []string {
			f.Limit = 2
			return ids(pages(t, 2, func(after string) ([]*paykit.Delivery, error) {
				f.After = after
				return s.FindDeliveries(ctx, tn.ID, f)
			}, deliveryID), deliveryID)
		}
		want := func(keep func(*paykit.Delivery) bool) []string {
			var out []string
			for _, d := range all {
				if keep(d) {
					out = append(out, d.ID)
				}
			}
			return out
		}
		require.Equal(t, want(func(*paykit.Delivery) bool { return true }), find(paykit.DeliveryFilter{}))
		require.Equal(t, want(func(d *paykit.Delivery) bool { return d.EndpointID == e2.ID }), find(paykit.DeliveryFilter{EndpointID: &e2.ID}))
		require.Equal(t, want(func(d *paykit.Delivery) bool { return d.EventID == evs[1].ID }), find(paykit.DeliveryFilter{EventID: &evs[1].ID}))
		require.Equal(t, want(func(d *paykit.Delivery) bool { return d.Status == paykit.DeliveryStatusFailed }),
			find(paykit.DeliveryFilter{Status: ptr(paykit.DeliveryStatusFailed)}))
	})
	t.Run("FailPendingDeliveries", func(t *testing.T) {
		e := MustEndpoint(t, s, tn.ID)
		ev := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		ev2 := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID())
		pending := MustDelivery(t, s, ev, e, func(d *paykit.Delivery) { d.LeaseUntil = ptr(Base.Add(time.Minute)) })
		done := MustDelivery(t, s, ev2, e, func(d *paykit.Delivery) { d.Status, d.NextAttemptAt = paykit.DeliveryStatusSucceeded, nil })
		elsewhere := MustDelivery(t, s, ev, ep)
		now := Base.Add(time.Hour)
		n, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.FailPendingDeliveries(ctx, tn.ID, e.ID, "disabled", now) })
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := s.FindDeliveryByID(ctx, tn.ID, pending.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.DeliveryStatusFailed, got.Status)
		require.Equal(t, "disabled", got.LastError)
		require.Nil(t, got.NextAttemptAt)
		require.Nil(t, got.LeaseUntil)
		require.Equal(t, now, got.UpdatedAt)
		for _, d := range []*paykit.Delivery{done, elsewhere} {
			got, err := s.FindDeliveryByID(ctx, tn.ID, d.ID)
			require.NoError(t, err)
			require.Equal(t, d, got)
		}
	})
}

func testClaimDeliveries(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	e1, e2 := MustEndpoint(t, s, tn.ID), MustEndpoint(t, s, other.ID)
	ev, ev2 := MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID()), MustEvent(t, s, other.ID, paykit.EventPayoutCreated, NewID())
	at := func(d time.Duration) func(*paykit.Delivery) {
		return func(dl *paykit.Delivery) { dl.NextAttemptAt = ptr(Base.Add(d)) }
	}
	// Lane e1: due at -3s, -1s, +1s (not yet due), and one succeeded.
	a := MustDelivery(t, s, ev, e1, at(-3*time.Second))
	b := MustDelivery(t, s, MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID()), e1, at(-time.Second))
	MustDelivery(t, s, MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID()), e1, at(time.Second))
	MustDelivery(t, s, MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID()), e1, at(-time.Hour),
		func(d *paykit.Delivery) { d.Status = paykit.DeliveryStatusSucceeded })
	// Callbacks to one host share a lane, whatever the path; another host has its own.
	c1 := MustDelivery(t, s, ev, nil, at(-2*time.Second))
	c2 := MustDelivery(t, s, ev, nil, at(0), func(d *paykit.Delivery) { d.URL = "https://CALLBACKS.example.com/other" })
	c3 := MustDelivery(t, s, ev, nil, at(-time.Minute), func(d *paykit.Delivery) {
		d.URL, d.LeaseUntil = "https://merchant.example.net/cb", ptr(Base.Add(time.Second)) // leased
	})
	// Another tenant's endpoint.
	o := MustDelivery(t, s, ev2, e2, at(-2500*time.Millisecond))

	lanes, err := s.FindDueDeliveryLanes(ctx, Base, 10)
	require.NoError(t, err)
	require.Len(t, lanes, 3, "the leased callback's lane is not due: %v", lanes)
	require.Equal(t, tn.ID, lanes[0].TenantID, "lane of e1, due at -3s, first")
	require.Equal(t, other.ID, lanes[1].TenantID)
	require.Equal(t, tn.ID, lanes[2].TenantID)
	laneE1, laneCB := lanes[0], lanes[2]
	require.NotEqual(t, laneE1.Key, laneCB.Key)
	limited, err := s.FindDueDeliveryLanes(ctx, Base, 1)
	require.NoError(t, err)
	require.Equal(t, lanes[:1], limited)

	claim := func(lane paykit.DeliveryLane, now time.Time, n int) []string {
		ds, err := txValue(s, func(tx paykit.Tx) ([]*paykit.Delivery, error) {
			return tx.ClaimDeliveries(ctx, lane, now, now.Add(time.Minute), n)
		})
		require.NoError(t, err)
		for _, d := range ds {
			require.Equal(t, now.Add(time.Minute), *d.LeaseUntil)
		}
		return ids(ds, deliveryID)
	}
	require.Equal(t, []string{a.ID}, claim(laneE1, Base, 1))
	require.Equal(t, []string{b.ID}, claim(laneE1, Base, 5), "a is leased")
	require.Empty(t, claim(laneE1, Base, 5))
	require.Equal(t, []string{c1.ID, c2.ID}, claim(laneCB, Base, 5))
	require.Empty(t, claim(paykit.DeliveryLane{TenantID: other.ID, Key: laneE1.Key}, Base, 5), "a lane is per tenant")
	require.Equal(t, []string{o.ID}, claim(lanes[1], Base, 5))

	// When the lease and the leased callback's lease end, they are claimable again.
	later := Base.Add(time.Minute)
	lanes, err = s.FindDueDeliveryLanes(ctx, later, 10)
	require.NoError(t, err)
	require.Len(t, lanes, 4)
	require.Equal(t, []string{c3.ID}, claim(lanes[0], later, 5), "the most overdue lane first")

	t.Run("Concurrent", func(t *testing.T) {
		tn := MustTenant(t, s)
		e := MustEndpoint(t, s, tn.ID)
		want := map[string]bool{}
		for range 20 {
			want[MustDelivery(t, s, MustEvent(t, s, tn.ID, paykit.EventPayoutCreated, NewID()), e).ID] = true
		}
		lanes, err := s.FindDueDeliveryLanes(ctx, Base, 100)
		require.NoError(t, err)
		i := slices.IndexFunc(lanes, func(l paykit.DeliveryLane) bool { return l.TenantID == tn.ID })
		require.GreaterOrEqual(t, i, 0)
		var (
			mu  sync.Mutex
			got = map[string]bool{}
			wg  sync.WaitGroup
		)
		for range 8 {
			wg.Go(func() {
				for {
					ds, err := txValue(s, func(tx paykit.Tx) ([]*paykit.Delivery, error) {
						return tx.ClaimDeliveries(ctx, lanes[i], Base, Base.Add(time.Minute), 3)
					})
					require.NoError(t, err)
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						require.False(t, got[d.ID], "claimed twice")
						got[d.ID] = true
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Equal(t, want, got)
	})
}
