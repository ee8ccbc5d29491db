package store_test

// The parent's checks of TestMultiProcess (multiprocess_test.go), run once
// every worker has stopped.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// requireSources checks every token source to the cent: its posted balance
// is its deposit, and its pending debits are what was accepted (payments
// still processing) plus, before the expiries, what the active tokens hold.
func (w *mpWorld) requireSources(t *testing.T, ctx context.Context, svc *paykit.Service, k *mpTally, active bool) {
	accepted, reserved := map[string]int64{}, map[string]int64{}
	for _, o := range k.tokens {
		switch {
		case o.end == "accepted":
			accepted[o.token.Source] += o.token.Amount
		case o.end == "expired" && active:
			reserved[o.token.Source] += o.token.Amount
		}
	}
	for _, id := range w.seed.Sources {
		a, err := svc.FindAccountByID(ctx, w.seed.Tokens, id)
		require.NoError(t, err)
		require.Equal(t, w.funded, a.CreditsPosted-a.DebitsPosted, "posted balance of %s", id)
		require.Equal(t, accepted[id]+reserved[id], a.DebitsPending, "pending debits of %s", id)
		require.Equal(t, w.funded-accepted[id]-reserved[id], a.Available().Minor(), "available of %s", id)
		require.GreaterOrEqual(t, a.Available().Minor(), int64(0))
	}
}

// mpEvents counts a tenant's events by subject and type.
func mpEvents(t *testing.T, ctx context.Context, svc *paykit.Service, tenantID string) (map[string]map[string]int, []*paykit.Event) {
	counts := map[string]map[string]int{}
	var all []*paykit.Event
	for after := int64(0); ; {
		evs, err := svc.FindEvents(ctx, tenantID, paykit.EventFilter{AfterSeq: after, Limit: paykit.MaxLimit})
		require.NoError(t, err)
		for _, ev := range evs {
			if counts[ev.SubjectID] == nil {
				counts[ev.SubjectID] = map[string]int{}
			}
			counts[ev.SubjectID][ev.Type]++
			after = ev.Seq
		}
		all = append(all, evs...)
		if len(evs) < paykit.MaxLimit {
			return counts, all
		}
	}
}

// requireEnded checks the events got of the token or request id (what
// names which): one of type created, and of ends, the event types of its
// possible ends, one of the end it had and none of the others.
func requireEnded(t *testing.T, got map[string]int, what, id, created string, ends map[string]string, end string) {
	t.Helper()
	require.Equal(t, 1, got[created], "%s %s", what, id)
	for e, typ := range ends {
		want := 0
		if e == end {
			want = 1
		}
		require.Equal(t, want, got[typ], "%s events of %s %s, which was %s", typ, what, id, end)
	}
}

// requireTokens checks each token's status and events: created once, and
// then exactly one of accepted, rejected or expired, the one the reports say.
func (w *mpWorld) requireTokens(t *testing.T, ctx context.Context, svc *paykit.Service, k *mpTally) {
	counts, _ := mpEvents(t, ctx, svc, w.seed.Tokens)
	ends := map[string]string{"accepted": paykit.EventTokenAccepted, "rejected": paykit.EventTokenRejected, "expired": paykit.EventTokenExpired}
	created := 0
	for id, o := range k.tokens {
		requireEnded(t, counts[id], "token", id, paykit.EventTokenCreated, ends, o.end)
		tok, err := svc.FindTokenByID(ctx, w.seed.Tokens, id)
		require.NoError(t, err)
		switch o.end {
		case "accepted":
			require.NotEmpty(t, tok.PaymentID, "token %s", id)
			require.Equal(t, paykit.TokenStatusActive, tok.Status, "token %s: its payment is processing", id)
		case "rejected":
			require.Equal(t, paykit.TokenStatusRejected, tok.Status, "token %s", id)
		case "expired":
			require.Equal(t, paykit.TokenStatusExpired, tok.Status, "token %s", id)
		}
	}
	for _, byType := range counts {
		created += byType[paykit.EventTokenCreated]
	}
	require.Equal(t, len(k.tokens), created, "tokens created that no worker reported (an idempotent create done twice?)")
}

// requireRequests checks each request's events as requireTokens does, and
// every payer's balance and the merchant's to the cent.
func (w *mpWorld) requireRequests(t *testing.T, ctx context.Context, svc *paykit.Service, k *mpTally) {
	counts, _ := mpEvents(t, ctx, svc, w.seed.Requests)
	ends := map[string]string{"paid": paykit.EventRequestPaid, "declined": paykit.EventRequestDeclined,
		"canceled": paykit.EventRequestCanceled, "expired": paykit.EventRequestExpired}
	paid, total := map[string]int64{}, int64(0)
	for id, o := range k.requests {
		requireEnded(t, counts[id], "request", id, paykit.EventRequestCreated, ends, o.end)
		r, err := svc.FindRequestByID(ctx, w.seed.Requests, id)
		require.NoError(t, err)
		if o.end == "paid" {
			require.Equal(t, paykit.RequestStatusPaid, r.Status)
			paid[o.request.Payer] += o.request.Amount
			total += o.request.Amount
		} else {
			require.Equal(t, paykit.RequestReason(o.end), r.Reason, "request %s", id)
		}
	}
	for name, id := range w.payers {
		a, err := svc.FindPayerAccount(ctx, w.seed.Requests, id, "USD")
		require.NoError(t, err)
		require.Equal(t, w.balance-paid[name], a.Available().Minor(), "payer %s", name)
	}
	m, err := svc.FindMerchantAccount(ctx, w.seed.Requests, "USD")
	require.NoError(t, err)
	require.Equal(t, total, m.Balance().Minor())
}

// requirePayouts checks that every payout joined the one invoice, which
// CheckAllInvariants has priced as the sum of their costs.
func (w *mpWorld) requirePayouts(t *testing.T, ctx context.Context, svc *paykit.Service, works []mpWork) {
	want := 0
	for _, wk := range works {
		want += len(wk.Payouts)
	}
	ps, n, err := svc.FindPayouts(ctx, w.seed.Payouts, paykit.PayoutFilter{ListPage: paykit.ListPage{Limit: paykit.MaxLimit}})
	require.NoError(t, err)
	require.Equal(t, want, n)
	invs, n, err := svc.FindInvoices(ctx, w.seed.Payouts, paykit.InvoiceFilter{})
	require.NoError(t, err)
	require.Equal(t, 1, n, "batched payouts made more than one invoice")
	require.True(t, invs[0].Open)
	for _, p := range ps {
		require.Equal(t, invs[0].UID, p.InvoiceUID)
	}
	_, n, err = svc.FindEmployees(ctx, w.seed.Payouts, paykit.EmployeeFilter{})
	require.NoError(t, err)
	require.Equal(t, len(w.seed.Employees)+mpInline, n, "inline employees created more or less than once")
}

// mpDue says whether any work is left: a pending delivery, or a token or
// request past its expiry that no sweep ended.
func mpDue(t *testing.T, ctx context.Context, db *store.DB, svc *paykit.Service, w *mpWorld, now time.Time) bool {
	ts, err := db.FindExpiredTokens(ctx, now, 1)
	require.NoError(t, err)
	rs, err := db.FindExpiredRequests(ctx, now, 1)
	require.NoError(t, err)
	if len(ts)+len(rs) > 0 {
		return true
	}
	pending := paykit.DeliveryStatusPending
	for tenantID := range w.endpoints {
		ds, err := svc.FindDeliveries(ctx, tenantID, paykit.DeliveryFilter{Status: &pending, Limit: 1})
		require.NoError(t, err)
		if len(ds) > 0 {
			return true
		}
	}
	return false
}

// requireDeliveries checks, for every tenant, that each event after its
// endpoint's creation has one delivery to it, succeeded; that the receiver
// got each delivery as often as its attempts say, numbered 1 to n, every
// time with its id and its body; and that it got nothing else. It returns
// how many deliveries took two attempts.
func (w *mpWorld) requireDeliveries(t *testing.T, ctx context.Context, svc *paykit.Service, rcv *mpReceiver) int {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	seen, twice := 0, 0
	for tenantID, ep := range w.endpoints {
		_, evs := mpEvents(t, ctx, svc, tenantID)
		byEvent := map[string][]*paykit.Delivery{}
		for after := ""; ; {
			ds, err := svc.FindDeliveries(ctx, tenantID, paykit.DeliveryFilter{After: after, Limit: paykit.MaxLimit})
			require.NoError(t, err)
			for _, d := range ds {
				byEvent[d.EventID] = append(byEvent[d.EventID], d)
				after = d.ID
			}
			if len(ds) < paykit.MaxLimit {
				break
			}
		}
		for _, ev := range evs {
			ds := byEvent[ev.ID]
			if ev.Seq <= ep.FromSeq {
				require.Empty(t, ds, "event %s is older than the endpoint", ev.ID)
				continue
			}
			require.Len(t, ds, 1, "deliveries of event %s (%s)", ev.ID, ev.Type)
			d := ds[0]
			require.Equal(t, ep.ID, d.EndpointID)
			require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status, "delivery %s of %s", d.ID, ev.Type)
			as, err := svc.FindDeliveryAttempts(ctx, tenantID, d.ID)
			require.NoError(t, err)
			got := rcv.got[d.ID]
			require.NotEmpty(t, got, "delivery %s never reached the receiver", d.ID)
			require.Len(t, got, len(as), "delivery %s: the receiver's count and the recorded attempts differ", d.ID)
			require.Equal(t, len(as), d.Attempts)
			for i, a := range as {
				require.Equal(t, i+1, a.N, "attempts of %s", d.ID)
				require.Equal(t, i == len(as)-1, a.Succeeded, "attempt %d of %s", a.N, d.ID)
			}
			for _, g := range got {
				require.Equal(t, "/"+strings.TrimPrefix(ep.URL, rcv.URL+"/"), g.path)
				require.Equal(t, string(d.Body), g.body, "delivery %s: a body that differs between attempts", d.ID)
			}
			if len(got) > 1 {
				twice++
			}
			seen++
		}
	}
	require.Equal(t, len(rcv.got), seen, "the receiver got deliveries that no event accounts for")
	require.Positive(t, twice, "no delivery was retried")
	return twice
}
