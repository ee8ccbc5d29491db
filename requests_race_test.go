package paykit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestRequest_PayExpireCancelRace races payers, the merchant canceling and the
// clock passing the expiry (with a sweep) on the same requests: each ends in
// exactly one outcome, fires exactly one final event, and the balances are
// exactly what the payments add up to.
func TestRequest_PayExpireCancelRace(t *testing.T) {
	ctx := context.Background()
	e, tenant, alice := requestSetup(t)
	const rounds, racers = 30, 4
	outcomes := map[string]int{}
	for i := range rounds {
		r := e.MustRequest(t, tenant, "alice", "1.00", 10*time.Second)
		e.clock.Add(10*time.Second - 2*time.Microsecond)

		type result struct {
			op  string
			err error
		}
		results := make(chan result, 2*racers+1)
		start := make(chan struct{})
		var wg sync.WaitGroup
		jitter := func() {
			for range rand.IntN(4) {
				runtime.Gosched()
			}
		}
		for range racers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				jitter()
				_, err := e.svc.PayRequest(ctx, tenant, r.ID)
				results <- result{"pay", err}
			}()
			go func() {
				defer wg.Done()
				<-start
				jitter()
				_, err := e.svc.CancelRequest(ctx, tenant, r.ID)
				results <- result{"cancel", err}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			jitter()
			e.clock.Add(2 * time.Microsecond) // past the expiry
			results <- result{"sweep", e.svc.RunDue(ctx)}
		}()
		close(start)
		wg.Wait()
		close(results)
		// A sweep passes over a request that a payment or a cancellation holds
		// (on a store with row locks, as PostgreSQL's): if that one then fails,
		// the request is expired by the next sweep, and by no other.
		require.NoError(t, e.svc.RunDue(ctx))

		won := map[string]int{}
		for res := range results {
			if res.err == nil {
				won[res.op]++
				continue
			}
			require.Contains(t, []string{paykit.ECONFLICT, paykit.EEXPIRED}, paykit.ErrorCode(res.err), "round %d %s: %v", i, res.op, res.err)
		}
		require.Equal(t, 1, won["sweep"], "round %d", i)

		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		outcome := string(got.Status)
		if got.Reason != "" {
			outcome += " (" + string(got.Reason) + ")"
		}
		outcomes[outcome]++
		switch outcome {
		case "paid":
			require.Equal(t, 1, won["pay"], "round %d: one payment", i)
			require.Zero(t, won["cancel"], "round %d", i)
			require.NotEmpty(t, got.TransactionID)
		case "rejected (canceled)":
			require.Zero(t, won["pay"], "round %d", i)
			require.NotZero(t, won["cancel"], "round %d", i)
		case "rejected (expired)":
			require.Zero(t, won["pay"]+won["cancel"], "round %d", i)
		default:
			t.Fatalf("round %d: request ended %s", i, outcome)
		}
		final := e.eventTypes(t, tenant, r.ID)
		require.Len(t, final, 2, "round %d: one final event, not %v", i, final)
		require.Equal(t, "request."+map[string]string{"paid": "paid", "rejected (canceled)": "canceled",
			"rejected (expired)": "expired"}[outcome], final[1])
	}
	t.Logf("outcomes of %d rounds: %v", rounds, outcomes)

	paid := outcomes["paid"]
	e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), fmt.Sprintf("%d.00", 100-paid), fmt.Sprintf("%d.00", 100-paid))
	if paid > 0 {
		e.requireMerchantBalance(t, tenant, fmt.Sprintf("%d.00", paid))
	}
	require.NoError(t, e.svc.CheckLedger(ctx, tenant))
}

// TestRequest_PayRaceForFunds pays many requests of one payer at once: exactly
// as many succeed as the balance covers, and it never goes below zero.
func TestRequest_PayRaceForFunds(t *testing.T) {
	ctx := context.Background()
	e, tenant, _ := requestSetup(t)
	bob := e.MustPayer(t, tenant, paykit.PayerCreate{Username: "bob", Currency: "USD", Balance: dec("5.00")})
	var rs []*paykit.Request
	for range 12 {
		rs = append(rs, e.MustRequest(t, tenant, "bob", "1.00", time.Minute))
	}
	errs := make(chan error, len(rs))
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() {
			_, err := e.svc.PayRequest(ctx, tenant, r.ID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	paid := 0
	for err := range errs {
		if err == nil {
			paid++
		} else {
			requireCode(t, paykit.ELIMIT, err)
		}
	}
	require.Equal(t, 5, paid)
	e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, bob.ID), "0.00", "0.00")
	e.requireMerchantBalance(t, tenant, "5.00")
}
