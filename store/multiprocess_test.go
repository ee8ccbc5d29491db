package store_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/pgtest"
)

var (
	mpProcs = flag.Int("mp.procs", 2, "worker processes TestMultiProcess starts")
	mpRand  = flag.Uint64("mp.seed", 0, "seed of TestMultiProcess's amounts and picks (0: from the time)")
)

// mpFunding is the share of what the callers will ask of the token sources
// that the sources hold: the last creates find the funds short.
const mpFunding = 0.7

// TestMultiProcess is the multi-process proof: several OS processes
// (this test binary run again as workers, multiprocess_worker_test.go), each
// with its own pool, Service and mock clock, share one PostgreSQL schema.
// Each runs 64 concurrent callers through tokens, payouts and requests with
// its scheduler sweeping beside them, then they race each other on the same
// tokens and requests, and then every process's clock passes the expiries and
// retry delays while all of them run RunDue at once, until nothing is due.
// The parent, on a pool of its own, checks that no money was spent twice,
// that everything left expired exactly once, and that every delivery was made
// at least once, with one id for all its attempts and no attempt made twice.
//
// Clocks: each process has its own mock clock, all set to the same instants
// by the parent between phases, so that the leases (written by one process's
// clock, read by another's) mean the same in each.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(mpWorkerEnv) != "" {
		mpRunWorker(t)
		return
	}
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	start := time.Now()
	rcv := newMPReceiver(t)
	epoch := time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC)
	mock := clock.NewMock()
	mock.Set(epoch)
	db, err := store.Open(dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	svc := paykit.New(db, paykit.WithClock(mock), paykit.WithPrivateDestinations())

	seed := mpSeed{Epoch: epoch, Rand: *mpRand}
	if seed.Rand == 0 {
		seed.Rand = uint64(time.Now().UnixNano())
	}
	t.Logf("mp.seed=%d mp.procs=%d rounds=%d callers=%d", seed.Rand, *mpProcs, mpRounds, mpCallers)
	w := mpSeedWorld(t, svc, rcv.URL, &seed)

	procs := make([]*mpProc, *mpProcs)
	for i := range procs {
		procs[i] = startMPProc(t, i, dsn, &seed)
	}

	// Work: every process's callers at once, each process's RunDue beside.
	works := make([]mpWork, len(procs))
	mpBroadcast(t, procs, func(i int) string { return "work" }, func(i int) any { return &works[i] })
	var c mpContest
	for _, wk := range works {
		require.Empty(t, wk.Unexpected, "unexpected errors in the work phase")
		c.Tokens = append(c.Tokens, wk.Contested...)
		c.Requests = append(c.Requests, wk.Disputed...)
	}
	t.Logf("work: %s", time.Since(start))

	// Contest: every process on the same tokens and requests at once.
	arg, err := json.Marshal(&c)
	require.NoError(t, err)
	results := make([]mpContestResult, len(procs))
	mpBroadcast(t, procs, func(int) string { return "contest " + string(arg) }, func(i int) any { return &results[i] })
	k := w.tally(t, works, results, &c)
	t.Logf("contest: %s", time.Since(start))

	// Before the expiries: every source holds what was funded less what was
	// accepted and what the active tokens reserve.
	w.requireSources(t, ctx, svc, k, true)

	// Past every expiry, then rounds of RunDue in every process at once,
	// each round past the last round's retry delays, until nothing is due.
	runs, retries := 0, make([]uint64, len(procs))
	advance := func(d time.Duration) {
		mock.Add(d)
		now := make([]time.Time, len(procs))
		mpBroadcast(t, procs, func(int) string { return "advance " + d.String() }, func(i int) any { return &now[i] })
		for _, n := range now {
			require.True(t, n.Equal(mock.Now()))
		}
	}
	advance(2 * time.Hour)
	round := 0
	for ; ; round++ {
		require.Less(t, round, 20, "work is still due after 20 rounds")
		rs := make([]mpRun, len(procs))
		mpBroadcast(t, procs, func(int) string { return "rundue" }, func(i int) any { return &rs[i] })
		for i, r := range rs {
			require.Empty(t, r.Errors)
			runs += r.Runs
			retries[i] = r.Retries
		}
		if !mpDue(t, ctx, db, svc, w, mock.Now()) {
			break
		}
		advance(10 * time.Second)
	}
	for _, p := range procs {
		require.NoError(t, p.call("exit", nil))
	}
	for i, p := range procs {
		for p.stdout.Scan() {
			// what the worker's test prints as it ends
		}
		require.NoError(t, p.cmd.Wait(), "worker %d:\n%s", i, p.stderr.String())
	}
	t.Logf("rundue: %s, %d rounds, %d RunDue calls in all", time.Since(start), round+1, runs)

	require.NoError(t, svc.CheckAllInvariants(ctx))
	w.requireSources(t, ctx, svc, k, false)
	w.requireTokens(t, ctx, svc, k)
	w.requireRequests(t, ctx, svc, k)
	w.requirePayouts(t, ctx, svc, works)
	failedFirst := w.requireDeliveries(t, ctx, svc, rcv)
	t.Logf("%d tokens, %d requests, %d payouts; expected conflicts: %v; InTx retries by process: %v; "+
		"deliveries failed once then retried: %d; total %s",
		len(k.tokens), len(k.requests), len(k.payouts), k.expected, retries, failedFirst, time.Since(start))
}

// mpWorld is what the parent seeded, with what it needs to check.
type mpWorld struct {
	seed      *mpSeed
	funded    int64             // each source's deposit, minor units
	payers    map[string]string // username → payer ID
	balance   int64             // each payer's starting balance
	endpoints map[string]*paykit.Endpoint
}

// mpSeedWorld creates the three tenants, their endpoints on the receiver and
// the accounts, employees and payers the workers share.
func mpSeedWorld(t *testing.T, svc *paykit.Service, url string, seed *mpSeed) *mpWorld {
	ctx := context.Background()
	w := &mpWorld{seed: seed, payers: map[string]string{}, endpoints: map[string]*paykit.Endpoint{}}
	tenant := func(name string) string {
		tn, err := svc.CreateTenant(ctx, "", name)
		require.NoError(t, err)
		// Subscribed to every event, from the start.
		ep, err := svc.CreateEndpoint(ctx, tn.ID, paykit.EndpointCreate{URL: url + "/" + name})
		require.NoError(t, err)
		w.endpoints[tn.ID] = ep
		return tn.ID
	}

	seed.Tokens = tenant("tokens")
	const sources = 4
	// Each round a caller asks up to 4 × 9.99 of its source, and the first
	// 2×mpIdemKeys callers of each process 1.00 more, once.
	demand := int64(*mpProcs) * (mpCallers*mpRounds*4*550 + 2*mpIdemKeys*100) / sources
	w.funded = int64(float64(demand) * mpFunding)
	for i := range sources {
		a, err := svc.CreateAccount(ctx, seed.Tokens, paykit.AccountCreate{Currency: "USD", BusinessAccountID: fmt.Sprintf("payer-%d", i)})
		require.NoError(t, err)
		p, err := svc.CreateDeposit(ctx, seed.Tokens, paykit.DepositCreate{DestinationAccountID: a.ID,
			Amount: decimal.New(w.funded, -2), AssetType: "usd", ExternalStorage: "wire"})
		require.NoError(t, err)
		_, err = svc.CompletePayment(ctx, seed.Tokens, p.ID)
		require.NoError(t, err)
		seed.Sources = append(seed.Sources, a.ID)
		a, err = svc.CreateAccount(ctx, seed.Tokens, paykit.AccountCreate{Currency: "USD", UserIdentityID: fmt.Sprintf("payee-%d", i)})
		require.NoError(t, err)
		seed.Payees = append(seed.Payees, a.ID)
	}

	seed.Payouts = tenant("payouts")
	_, err := svc.EnsureIntegration(ctx, seed.Payouts, paykit.IntegrationCreate{})
	require.NoError(t, err)
	batching := true
	_, err = svc.UpdateIntegrationSettings(ctx, seed.Payouts, paykit.IntegrationSettings{InvoiceBatching: &batching})
	require.NoError(t, err)
	for i := range 8 {
		e, err := svc.CreateEmployee(ctx, seed.Payouts, paykit.EmployeeCreate{ID: fmt.Sprintf("emp-%d", i),
			Name: "Albin Lindskog", CellphoneNumber: "+46703000000", Country: "SWE"})
		require.NoError(t, err)
		seed.Employees = append(seed.Employees, e.ID)
	}

	seed.Requests = tenant("requests")
	_, err = svc.ConfigureMerchant(ctx, seed.Requests, paykit.MerchantSettings{SigningKey: "um2JjfnJbEUJnCpjKiV94jqp",
		RequestLimits: map[paykit.Currency]decimal.Decimal{"USD": decimal.NewFromInt(1000)}})
	require.NoError(t, err)
	w.balance = 1_000_000 // 10,000.00: never short
	for i := range 8 {
		name := fmt.Sprintf("payer%d", i)
		p, err := svc.RegisterPayer(ctx, seed.Requests, paykit.PayerCreate{Username: name, Currency: "usd", Balance: decimal.New(w.balance, -2)})
		require.NoError(t, err)
		seed.Payers = append(seed.Payers, name)
		w.payers[name] = p.ID
	}
	return w
}

// mpOutcome is what became of one token or request, by the workers' reports.
type mpOutcome struct {
	token   *mpToken
	request *mpRequest
	end     string // accepted, rejected, expired; paid, declined, canceled, expired
}

// mpTally is every token, request and payout the workers reported, with what
// became of it.
type mpTally struct {
	tokens   map[string]mpOutcome
	requests map[string]mpOutcome
	payouts  map[string]bool
	expected map[string]int
}

// tally merges the workers' reports and checks the contest: each contested
// token and request went exactly one process's way, and every other process
// lost it with ECONFLICT.
func (w *mpWorld) tally(t *testing.T, works []mpWork, results []mpContestResult, c *mpContest) *mpTally {
	k := &mpTally{tokens: map[string]mpOutcome{}, requests: map[string]mpOutcome{}, payouts: map[string]bool{}, expected: map[string]int{}}
	addToken := func(tok mpToken, end string) {
		require.NotContains(t, k.tokens, tok.ID)
		k.tokens[tok.ID] = mpOutcome{token: &tok, end: end}
	}
	addRequest := func(r mpRequest, end string) {
		require.NotContains(t, k.requests, r.ID)
		k.requests[r.ID] = mpOutcome{request: &r, end: end}
	}
	idem := map[string]string{}
	for _, wk := range works {
		for _, tok := range wk.Accepted {
			addToken(tok, "accepted")
		}
		for _, tok := range wk.Rejected {
			addToken(tok, "rejected")
		}
		for _, tok := range wk.Left {
			addToken(tok, "expired")
		}
		for _, r := range wk.Paid {
			addRequest(r, "paid")
		}
		for _, r := range wk.Declined {
			addRequest(r, "declined")
		}
		for _, r := range wk.Pending {
			addRequest(r, "expired")
		}
		for _, id := range wk.Payouts {
			require.False(t, k.payouts[id])
			k.payouts[id] = true
		}
		for kind, n := range wk.Expected {
			k.expected[kind] += n
		}
		// Every call with one key got the one answer, in every process.
		for key, got := range wk.Idem {
			for _, g := range got {
				if first, ok := idem[key]; ok {
					require.Equal(t, first, g, "idempotency key %s", key)
				}
				idem[key] = g
			}
		}
	}
	for key, id := range idem {
		var i int
		fmt.Sscanf(key, "mp-idem-%d", &i)
		addToken(mpToken{ID: id, Source: w.seed.Sources[i%len(w.seed.Sources)], Amount: 100}, "expired")
	}

	won := map[string]int{}
	for i, r := range results {
		require.Empty(t, r.Unexpected, "unexpected errors in the contest")
		for _, id := range r.Won {
			won[id] = i
		}
		k.expected["contest: lost to another process (ECONFLICT)"] += r.Lost
		require.Equal(t, len(r.Won)+r.Lost, len(c.Tokens)+len(c.Requests))
	}
	for _, tok := range c.Tokens {
		i, ok := won[tok.ID]
		require.True(t, ok, "nobody won token %s", tok.ID)
		addToken(tok, map[bool]string{true: "accepted", false: "rejected"}[i%2 == 0])
	}
	for _, r := range c.Requests {
		i, ok := won[r.ID]
		require.True(t, ok, "nobody won request %s", r.ID)
		addRequest(r, map[bool]string{true: "paid", false: "canceled"}[i%2 == 0])
	}
	// Each item was won once: the winners' count is the items'.
	n := 0
	for _, r := range results {
		n += len(r.Won)
	}
	require.Equal(t, len(c.Tokens)+len(c.Requests), n, "contested items won more than once")
	return k
}
