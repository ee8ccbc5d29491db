package paykit_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestService_Retention (issue 13, finding 4): RunDue purges, by the Clock,
// the deliveries that finished more than the retention period ago, with their
// attempts, and then the events nothing needs any more, in batches, however
// many; it keeps what is still undelivered, and every ledger row and noun.
func TestService_Retention(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local, paykit.WithRetention(48*time.Hour), paykit.WithRetrySchedule([]time.Duration{0, time.Hour, 100 * time.Hour}))
	tenant := e.MustTenant(t)
	ok := newReceiver(t, nil)
	down := newReceiver(t, func(int, *http.Request) int { return http.StatusServiceUnavailable })
	e.mustEndpoint(t, tenant, ok.URL, []string{paykit.EventTokenCreated, paykit.EventTokenRejected})
	e.mustEndpoint(t, tenant, down.URL, []string{paykit.EventTokenRejected})
	count := func(typ string) int {
		f := paykit.EventFilter{Limit: paykit.MaxLimit}
		if typ != "" {
			f.Type = &typ
		}
		evs, err := e.svc.FindEvents(ctx, tenant, f)
		require.NoError(t, err)
		return len(evs)
	}

	payer := e.MustAccount(t, tenant, "1000")
	var toks []*paykit.Token
	for range 250 { // more than a batch (100)
		toks = append(toks, e.MustToken(t, tenant, payer.ID, "1", 24*time.Hour))
	}
	_, err := e.svc.RejectToken(ctx, tenant, toks[0].Token)
	require.NoError(t, err)
	e.MustRunDue(t)
	require.Len(t, ok.requests(), 251)
	require.Len(t, down.requests(), 1)
	all := count("")

	// A day later the tokens expire (no endpoint wants that); nothing is
	// old enough to go.
	e.clock.Add(25 * time.Hour)
	e.MustRunDue(t)
	require.Equal(t, all+249, count(""))

	// Two days after the creations, their delivered events go with their
	// deliveries and attempts, all 250 in one RunDue; the expiries are
	// younger.
	e.clock.Add(24 * time.Hour)
	e.MustRunDue(t)
	require.Zero(t, count(paykit.EventTokenCreated))
	require.Equal(t, 249, count(paykit.EventTokenExpired))
	// The rejection's delivery to the receiver that is down is still pending
	// (its last try is 100 h after the second): it and its event stay; its
	// delivery that succeeded went.
	require.Equal(t, 1, count(paykit.EventTokenRejected))
	ds, err := e.svc.FindDeliveries(ctx, tenant, paykit.DeliveryFilter{Limit: paykit.MaxLimit})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, paykit.DeliveryStatusPending, ds[0].Status)
	_, attempts := e.mustDelivery(t, tenant, ds[0].ID)
	require.Len(t, attempts, 2)
	// The tokens and the ledger are all there.
	for _, tok := range toks {
		_, err := e.svc.FindTokenByID(ctx, tenant, tok.ID)
		require.NoError(t, err)
	}
	e.RequireBalances(t, tenant, payer.ID, "1000.00", "1000.00")

	// Once the pending delivery fails for good, it goes two days later, and
	// its event with it.
	e.clock.Add(100 * time.Hour)
	e.MustRunDue(t)
	require.Equal(t, paykit.DeliveryStatusFailed, e.mustDeliveries(t, tenant, ds[0].EventID)[0].Status)
	e.clock.Add(49 * time.Hour)
	e.MustRunDue(t)
	_, err = e.svc.FindEventByID(ctx, tenant, ds[0].EventID)
	requireCode(t, paykit.ENOTFOUND, err)
	require.Zero(t, count(paykit.EventTokenRejected))
	require.Equal(t, 1, count(""), "all but the newest event, whose seq the next one must pass")
	e.RequireBalances(t, tenant, payer.ID, "1000.00", "1000.00")

	// New events are fanned out and delivered as ever.
	e.MustToken(t, tenant, payer.ID, "1", time.Hour)
	e.MustRunDue(t)
	require.Len(t, ok.requests(), 252)
}

// TestService_RetentionKeeps: an event not yet fanned out is kept however old
// (a RunDue that comes late still delivers it); an idempotency record lives
// its TTL, whatever the retention; WithRetention(0) keeps everything.
func TestService_RetentionKeeps(t *testing.T) {
	ctx := context.Background()
	t.Run("NotFannedOut", func(t *testing.T) {
		e := MustOpen(t, local, paykit.WithRetention(time.Hour))
		tenant := e.MustTenant(t)
		rcv := newReceiver(t, nil)
		e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
		e.mustEvent(t, tenant, "thing.happened", `{}`)
		e.clock.Add(2 * time.Hour) // no RunDue meanwhile
		e.MustRunDue(t)
		require.Len(t, rcv.requests(), 1)
	})
	t.Run("IdempotencyTTL", func(t *testing.T) {
		e := MustOpen(t, paykit.WithRetention(time.Hour))
		tenant := e.MustTenant(t)
		payer := e.MustAccount(t, tenant, "10")
		in := paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1"), Memo: "gig"}
		first, err := e.svc.CreateToken(paykit.WithIdempotencyKey(ctx, "k"), tenant, in)
		require.NoError(t, err)
		e.mustEvent(t, tenant, "thing.happened", `{}`) // the newest event stays
		e.MustRunDue(t)
		e.clock.Add(23 * time.Hour)
		e.MustRunDue(t)
		require.Zero(t, len(e.eventTypes(t, tenant, first.ID)), "its events are gone")
		again, err := e.svc.CreateToken(paykit.WithIdempotencyKey(ctx, "k"), tenant, in)
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID, "replayed: the record lives 24 h")
	})
	t.Run("Forever", func(t *testing.T) {
		e := MustOpen(t, local, paykit.WithRetention(0))
		tenant := e.MustTenant(t)
		rcv := newReceiver(t, nil)
		e.mustEndpoint(t, tenant, rcv.URL, nil)
		ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
		e.MustRunDue(t)
		e.clock.Add(10 * 365 * 24 * time.Hour)
		e.MustRunDue(t)
		_, err := e.svc.FindEventByID(ctx, tenant, ev.ID)
		require.NoError(t, err)
		require.Len(t, e.mustDeliveries(t, tenant, ev.ID), 1)
	})
	t.Run("Default", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
		e.mustEvent(t, tenant, "thing.happened", `{}`) // the newest stays
		e.clock.Add(paykit.DefaultRetention)
		e.MustRunDue(t)
		_, err := e.svc.FindEventByID(ctx, tenant, ev.ID)
		require.NoError(t, err, "kept for the period")
		e.clock.Add(time.Microsecond)
		e.MustRunDue(t)
		_, err = e.svc.FindEventByID(ctx, tenant, ev.ID)
		requireCode(t, paykit.ENOTFOUND, err)
	})
}
