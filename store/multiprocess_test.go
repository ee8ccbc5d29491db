package store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
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
	for round := 0; ; round++ {
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
	t.Logf("rundue: %s, %d RunDue calls in all", time.Since(start), runs)

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

// requireTokens checks each token's status and events: created once, and
// then exactly one of accepted, rejected or expired, the one the reports say.
func (w *mpWorld) requireTokens(t *testing.T, ctx context.Context, svc *paykit.Service, k *mpTally) {
	counts, _ := mpEvents(t, ctx, svc, w.seed.Tokens)
	ends := map[string]string{"accepted": paykit.EventTokenAccepted, "rejected": paykit.EventTokenRejected, "expired": paykit.EventTokenExpired}
	created := 0
	for id, o := range k.tokens {
		got := counts[id]
		require.Equal(t, 1, got[paykit.EventTokenCreated], "token %s", id)
		for end, typ := range ends {
			want := 0
			if end == o.end {
				want = 1
			}
			require.Equal(t, want, got[typ], "%s events of token %s, which was %s", typ, id, o.end)
		}
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
		got := counts[id]
		require.Equal(t, 1, got[paykit.EventRequestCreated], "request %s", id)
		for end, typ := range ends {
			want := 0
			if end == o.end {
				want = 1
			}
			require.Equal(t, want, got[typ], "%s events of request %s, which was %s", typ, id, o.end)
		}
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

// mpReceiver is the webhook receiver every worker posts to. It records each
// POST under its webhook-id, and answers 500 the first time it sees every
// 5th new id, so that those are retried.
type mpReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]mpReceived
	new int
}

type mpReceived struct{ path, body string }

func newMPReceiver(t *testing.T) *mpReceiver {
	r := &mpReceiver{got: map[string][]mpReceived{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		id := req.Header.Get(signing.StandardIDHeader)
		if !assert.NoError(t, err) || !assert.NotEmpty(t, id, "a delivery without webhook-id") {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		first := len(r.got[id]) == 0
		r.got[id] = append(r.got[id], mpReceived{path: req.URL.Path, body: string(body)})
		if first {
			r.new++
		}
		fail := first && r.new%5 == 0
		r.mu.Unlock()
		if fail {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

// mpProc is a worker process and its line protocol.
type mpProc struct {
	index  int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	stderr *mpBuffer
}

// startMPProc starts worker i: this test binary, running only this test,
// told by its environment to be a worker.
func startMPProc(t *testing.T, i int, dsn string, seed *mpSeed) *mpProc {
	b, err := json.Marshal(seed)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcess$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), mpWorkerEnv+"="+strconv.Itoa(i), mpDSNEnv+"="+dsn, mpSeedEnv+"="+string(b))
	p := &mpProc{index: i, cmd: cmd, stderr: &mpBuffer{}}
	cmd.Stderr = p.stderr
	p.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p.stdout = bufio.NewScanner(out)
	p.stdout.Buffer(nil, 64<<20)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// call sends one command and decodes the answer into reply (nil: none is
// awaited). Lines the test framework prints are passed over.
func (p *mpProc) call(command string, reply any) error {
	if _, err := io.WriteString(p.stdin, command+"\n"); err != nil {
		return fmt.Errorf("worker %d: %w", p.index, err)
	}
	if reply == nil {
		return nil
	}
	for p.stdout.Scan() {
		if line, ok := strings.CutPrefix(p.stdout.Text(), mpPrefix); ok {
			return json.Unmarshal([]byte(line), reply)
		}
	}
	return fmt.Errorf("worker %d ended without answering %.20q: %v\n%s", p.index, command, p.stdout.Err(), p.stderr.String())
}

// mpBroadcast sends each worker its command at once and waits for every
// answer.
func mpBroadcast(t *testing.T, procs []*mpProc, command func(i int) string, reply func(i int) any) {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.call(command(i), reply(i)) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// mpBuffer is a bytes.Buffer that a process's stderr may write while the
// test reads it.
type mpBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *mpBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *mpBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
