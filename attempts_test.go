package paykit_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestWebhooks_LaneStopsAtFailure: a lane claims a batch of deliveries,
// attempts them until one fails, and releases the rest of the batch, which
// the next RunDue attempts in order, while the failed one waits for its
// retry.
func TestWebhooks_LaneStopsAtFailure(t *testing.T) {
	// A concurrency of 4: one attempt in flight per lane, four per claim.
	e := MustOpen(t, local, paykit.WithDeliveryConcurrency(4))
	rcv := newReceiver(t, func(n int, _ *http.Request) int {
		if n == 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	tenant := e.MustTenant(t)
	e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
	for i := range 6 {
		e.mustEvent(t, tenant, "thing.happened", fmt.Sprintf(`{"n":%d}`, i))
	}
	e.MustRunDue(t)
	require.Len(t, rcv.requests(), 2, "the first succeeded, the second failed, and the lane stopped")

	state := func() (attempts []int, leased []bool, statuses []paykit.DeliveryStatus) {
		evs := e.eventsOfType(t, tenant, "thing.happened")
		for _, ev := range evs {
			got := e.mustDeliveries(t, tenant, ev.ID)
			require.Len(t, got, 1)
			d := got[0]
			attempts, leased, statuses = append(attempts, d.Attempts), append(leased, d.LeaseUntil != nil), append(statuses, d.Status)
		}
		return attempts, leased, statuses
	}
	attempts, leased, statuses := state()
	require.Equal(t, []int{1, 1, 0, 0, 0, 0}, attempts)
	require.Equal(t, []bool{false, false, false, false, false, false}, leased, "the claimed ones not attempted were released")
	require.Equal(t, []paykit.DeliveryStatus{paykit.DeliveryStatusSucceeded, paykit.DeliveryStatusPending,
		paykit.DeliveryStatusPending, paykit.DeliveryStatusPending, paykit.DeliveryStatusPending, paykit.DeliveryStatusPending}, statuses)

	// At the same instant, the next RunDue delivers the rest, in order; the
	// failed one waits for its retry.
	e.MustRunDue(t)
	attempts, _, _ = state()
	require.Equal(t, []int{1, 1, 1, 1, 1, 1}, attempts)
	reqs := rcv.requests()
	require.Len(t, reqs, 6)
	var order []string
	for _, r := range reqs {
		order = append(order, e.mustDeliveryByWebhookID(t, tenant, r).EventID)
	}
	var want []string
	for _, ev := range e.eventsOfType(t, tenant, "thing.happened") {
		want = append(want, ev.ID)
	}
	require.Equal(t, want, order)

	e.clock.Add(5 * time.Second)
	e.MustRunDue(t)
	reqs = rcv.requests()
	require.Len(t, reqs, 7)
	require.Equal(t, reqs[1].Header.Get("webhook-id"), reqs[6].Header.Get("webhook-id"), "the retry of the failed one")
	attempts, leased, statuses = state()
	require.Equal(t, []int{1, 2, 1, 1, 1, 1}, attempts)
	require.NotContains(t, leased, true)
	for _, st := range statuses {
		require.Equal(t, paykit.DeliveryStatusSucceeded, st)
	}
}

// TestWebhooks_ManyClaims: a RunDue delivers a backlog larger than many
// claims, to several endpoints, each delivery once and each recorded, with
// no more attempts in flight to an endpoint than its lane may have.
func TestWebhooks_ManyClaims(t *testing.T) {
	e := MustOpen(t, local) // the default concurrency, 16: 4 in flight per lane, 16 per claim
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		most     = map[string]int{}
	)
	rcv := newReceiver(t, nil)
	counting := rcv.Config.Handler
	rcv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight[r.URL.Path]++
		most[r.URL.Path] = max(most[r.URL.Path], inFlight[r.URL.Path])
		mu.Unlock()
		counting.ServeHTTP(w, r)
		mu.Lock()
		inFlight[r.URL.Path]--
		mu.Unlock()
	})
	tenant := e.MustTenant(t)
	const endpoints, events = 3, 70
	for i := range endpoints {
		e.mustEndpoint(t, tenant, fmt.Sprintf("%s/%d", rcv.URL, i), []string{"thing.happened"})
	}
	for i := range events {
		e.mustEvent(t, tenant, "thing.happened", fmt.Sprintf(`{"n":%d}`, i))
	}
	e.MustRunDue(t)

	reqs := rcv.requests()
	require.Len(t, reqs, endpoints*events)
	seen := map[string]bool{}
	for _, r := range reqs {
		id := r.Header.Get("webhook-id")
		require.False(t, seen[id], "delivery %s posted twice", id)
		seen[id] = true
		d, as := e.mustDelivery(t, tenant, id)
		require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
		require.Nil(t, d.LeaseUntil)
		require.Len(t, as, 1)
		require.True(t, as[0].Succeeded)
	}
	mu.Lock()
	defer mu.Unlock()
	for path, n := range most {
		require.LessOrEqual(t, n, 4, "in flight to %s", path)
	}
}

// mustDeliveryByWebhookID returns the delivery a received request was an
// attempt of.
func (e *env) mustDeliveryByWebhookID(tb testing.TB, tenantID string, r *received) *paykit.Delivery {
	tb.Helper()
	d, err := e.svc.FindDeliveryByID(context.Background(), tenantID, r.Header.Get("webhook-id"))
	require.NoError(tb, err)
	return d
}

// eventsOfType returns the tenant's events of typ, in order.
func (e *env) eventsOfType(tb testing.TB, tenantID, typ string) []*paykit.Event {
	tb.Helper()
	evs, err := e.svc.FindEvents(context.Background(), tenantID, paykit.EventFilter{Type: &typ, Limit: paykit.MaxLimit})
	require.NoError(tb, err)
	return evs
}
