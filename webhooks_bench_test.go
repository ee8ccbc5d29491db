package paykit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/internal/cputime"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/storetest"
)

// benchData is a payout's canonical snapshot, the size of a typical event's
// data: about 700 bytes.
var benchData = func() json.RawMessage {
	at := storetest.Base
	sek := func(s string) paykit.Money {
		return paykit.Money{Amount: decimal.RequireFromString(s), Currency: "SEK"}
	}
	b, err := json.Marshal(&paykit.Payout{UID: "25d2af38-59b9-4f73-9452-51787fed5c84", ID: "p-1", Basis: paykit.PricingBasisAmount,
		Amount: sek("1200.00"), InvoicedAmount: sek("1200.00"), Cost: sek("1560.00"), Fee: sek("36.00"), Payroll: sek("1200.00"),
		Tax: sek("324.00"), VAT: sek("0.00"), Description: "Delivery shift, Stockholm", EmployeeUID: "e-1", EmployeeID: "karl",
		InvoiceUID: "i-1", InvoiceID: "inv-1", Metadata: json.RawMessage(`{"user_id":3}`), Status: paykit.PayoutStatusAccepted,
		CreatedAt: at, NotifiedAt: &at, AcceptedAt: &at, UpdatedAt: at})
	if err != nil {
		panic(err)
	}
	return b
}()

// BenchmarkWebhookDelivery measures deliveries per second from the outbox to a
// local receiver: b.N events are appended (untimed), then RunDue fans them out
// and posts every delivery, signed, recording every attempt. With several
// endpoints each event is delivered to each of them.
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, bc := range []struct {
		endpoints, concurrency int
		scheme                 paykit.SignatureScheme
		sync                   string
	}{
		{1, 16, httpapi.SchemeGigapay, "FULL"},
		{8, 16, httpapi.SchemeGigapay, "FULL"},
		{8, 64, httpapi.SchemeGigapay, "FULL"},
		{8, 64, paykit.SchemeStandard, "FULL"},
		{1, 16, httpapi.SchemeGigapay, "NORMAL"},
		{8, 64, httpapi.SchemeGigapay, "NORMAL"},
	} {
		name := fmt.Sprintf("endpoints=%d/concurrency=%d/%s/sync=%s", bc.endpoints, bc.concurrency, bc.scheme, strings.ToLower(bc.sync))
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var received atomic.Int64
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				received.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rcv.Close()
			db, err := store.Open(filepath.Join(b.TempDir(), "paykit.db"), store.WithSynchronous(bc.sync))
			require.NoError(b, err)
			defer db.Close()
			mock := clock.NewMock()
			svc := paykit.New(db, paykit.WithClock(mock), paykit.WithDeliveryConcurrency(bc.concurrency), local)
			httpapi.RegisterSchemes(svc)
			tn, err := svc.CreateTenant(ctx, "", "bench")
			require.NoError(b, err)
			for i := range bc.endpoints {
				_, err := svc.CreateEndpoint(ctx, tn.ID, paykit.EndpointCreate{URL: fmt.Sprintf("%s/%d", rcv.URL, i),
					Events: []string{paykit.EventPayoutAccepted}, Scheme: bc.scheme})
				require.NoError(b, err)
			}
			appendEvents(b, db, tn.ID, b.N)
			received.Store(0)

			b.ResetTimer()
			start, cpu := time.Now(), cputime.Process()
			require.NoError(b, svc.RunDue(ctx))
			elapsed, cpu := time.Since(start), cputime.Process()-cpu
			b.StopTimer()
			want := int64(b.N * bc.endpoints)
			require.Equal(b, want, received.Load())
			b.ReportMetric(float64(want)/elapsed.Seconds(), "deliveries/s")
			// The CPU of the whole process, the receiver's included.
			b.ReportMetric(float64(cpu.Microseconds())/float64(want), "cpu-µs/delivery")
		})
	}
}

// appendEvents appends n events in transactions of 500.
func appendEvents(tb testing.TB, s paykit.Store, tenantID string, n int) {
	tb.Helper()
	ctx := context.Background()
	for n > 0 {
		k := min(n, 500)
		require.NoError(tb, s.InTx(ctx, func(tx paykit.Tx) error {
			for range k {
				err := tx.AppendEvent(ctx, &paykit.Event{ID: storeID(), TenantID: tenantID, Type: paykit.EventPayoutAccepted,
					SubjectID: "p", Data: benchData, CreatedAt: storetest.Base})
				if err != nil {
					return err
				}
			}
			return nil
		}))
		n -= k
	}
}

// BenchmarkEventCost measures what appending an event adds to the transaction
// that makes a change: a balance update alone, against the same update with
// its event, on one caller and on many (where group commit shares fsyncs).
func BenchmarkEventCost(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		for _, withEvent := range []bool{false, true} {
			for _, parallel := range []bool{false, true} {
				name := fmt.Sprintf("sync=%s/event=%v/parallel=%v", strings.ToLower(sync), withEvent, parallel)
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					db, err := store.Open(filepath.Join(b.TempDir(), "paykit.db"), store.WithSynchronous(sync))
					require.NoError(b, err)
					defer db.Close()
					tn := storetest.MustTenant(b, db)
					acct := storetest.MustAccount(b, db, tn.ID, paykit.AccountKindUser, "USD")
					op := func() error {
						return db.InTx(ctx, func(tx paykit.Tx) error {
							if err := tx.UpdateAccountBalances(ctx, tn.ID, acct.ID, paykit.BalanceDelta{CreditsPosted: 1}, storetest.Base); err != nil {
								return err
							}
							if !withEvent {
								return nil
							}
							return tx.AppendEvent(ctx, &paykit.Event{ID: storeID(), TenantID: tn.ID, Type: "account.credited",
								SubjectID: acct.ID, Data: benchData, CreatedAt: storetest.Base})
						})
					}
					b.ResetTimer()
					if parallel {
						b.SetParallelism(16)
						b.RunParallel(func(pb *testing.PB) {
							for pb.Next() {
								if err := op(); err != nil {
									b.Error(err)
									return
								}
							}
						})
						return
					}
					for b.Loop() {
						require.NoError(b, op())
					}
				})
			}
		}
	}
}
