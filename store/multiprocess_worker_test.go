package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// The worker side of TestMultiProcess (multiprocess_test.go): the test binary
// run again with mpWorkerEnv set is one app process. It opens its own pool on
// the shared schema and its own Service on its own mock clock, then answers
// the parent's commands, one line each on stdin, with one line on stdout
// starting with mpPrefix (the testing package prints other lines there):
//
//	work            64 callers do mpRounds rounds of mpCaller; answers an mpWork
//	contest <json>  64 callers race the other processes on an mpContest
//	advance <d>     moves the mock clock by the duration d; answers the new now
//	rundue          RunDue until no delivery is due; answers an mpRun
//	exit            closes the store and ends the test

// Environment of a worker: its index, the schema's DSN and the seeded world.
const (
	mpWorkerEnv = "PAYKIT_MP_WORKER"
	mpDSNEnv    = "PAYKIT_MP_DSN"
	mpSeedEnv   = "PAYKIT_MP_SEED"
	mpPrefix    = "mp> "
)

// mpCallers is how many callers each process runs at once, as the issue asks.
const mpCallers = 64

// mpIdemKeys is how many idempotency keys the callers of every process share,
// each used with the same input by several callers of each process at once.
const mpIdemKeys = 16

// mpInline is how many inline employees the payouts name, each named by
// several callers of every process.
const mpInline = 8

// mpSeed is the world the parent seeded, which every worker works on.
type mpSeed struct {
	Epoch     time.Time
	Rand      uint64   // seeds each caller's amounts and picks
	Tokens    string   // the tenant of the tokens
	Sources   []string // its few funded business accounts, shared by every caller
	Payees    []string // its user accounts tokens are accepted into
	Payouts   string   // the integration of the payouts, batching them on one invoice
	Employees []string // its employees' client ids
	Requests  string   // the merchant of the payment requests
	Payers    []string // its payers' usernames
}

// mpToken is a token a worker created.
type mpToken struct {
	ID, Token, Source string
	Amount            int64 // minor units
}

// mpRequest is a payment request a worker created.
type mpRequest struct {
	ID, Payer string // the payer's username
	Amount    int64
}

// mpWork is a worker's report of its work phase: what each caller made and
// did, and the errors it met.
type mpWork struct {
	Accepted, Rejected, Left, Contested []mpToken
	Idem                                map[string][]string // key → each call's token ID
	Paid, Declined, Pending, Disputed   []mpRequest         // Disputed: created for the contest
	Payouts                             []string            // client ids
	Expected                            map[string]int      // errors the workload makes, by kind
	Unexpected                          []string
	Retries                             uint64 // InTx runs again so far (store.RetriesOf)
}

// mpContest is what the processes race on: each token is accepted by the
// even workers and rejected by the odd ones, each request paid by the even
// and canceled by the odd, all at once.
type mpContest struct {
	Tokens   []mpToken
	Requests []mpRequest
}

// mpContestResult is a worker's share of the contest.
type mpContestResult struct {
	Won        []string // token and request IDs whose operation this worker's caller completed
	Lost       int      // ECONFLICT: another process got there first
	Unexpected []string
}

// mpRun is a worker's report of a rundue command.
type mpRun struct {
	Runs    int
	Errors  []string
	Retries uint64
}

// mpWorker is one worker process's state.
type mpWorker struct {
	index int
	seed  mpSeed
	db    *store.DB
	svc   *paykit.Service
	clock *clock.Mock

	mu  sync.Mutex // guards out
	out *mpWork
}

// mpRunWorker serves the parent's commands until "exit" or the end of stdin.
func mpRunWorker(t *testing.T) {
	index, err := strconv.Atoi(os.Getenv(mpWorkerEnv))
	require.NoError(t, err)
	w := &mpWorker{index: index, clock: clock.NewMock()}
	require.NoError(t, json.Unmarshal([]byte(os.Getenv(mpSeedEnv)), &w.seed))
	w.clock.Set(w.seed.Epoch)
	w.db, err = store.Open(os.Getenv(mpDSNEnv))
	require.NoError(t, err)
	defer func() { require.NoError(t, w.db.Close()) }()
	w.svc = paykit.New(w.db, paykit.WithClock(w.clock), paykit.WithPrivateDestinations())

	ctx := context.Background()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 64<<20)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		var reply any
		switch cmd {
		case "work":
			reply = w.work(ctx)
		case "contest":
			var c mpContest
			require.NoError(t, json.Unmarshal([]byte(arg), &c))
			reply = w.contest(ctx, &c)
		case "advance":
			d, err := time.ParseDuration(arg)
			require.NoError(t, err)
			w.clock.Add(d)
			reply = w.clock.Now()
		case "rundue":
			reply = w.runDue(ctx)
		case "exit":
			return
		default:
			t.Fatalf("worker %d: unknown command %q", index, cmd)
		}
		b, err := json.Marshal(reply)
		require.NoError(t, err)
		fmt.Printf("%s%s\n", mpPrefix, b)
	}
	require.NoError(t, in.Err())
}

// work runs mpCallers callers at once, with RunDue looping beside them as a
// process's scheduler would, and reports what they did.
func (w *mpWorker) work(ctx context.Context) *mpWork {
	w.out = &mpWork{Idem: map[string][]string{}, Expected: map[string]int{}}
	stop := make(chan struct{})
	var sweeper sync.WaitGroup
	sweeper.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := w.svc.RunDue(ctx); err != nil {
				w.unexpected("RunDue during work", err)
			}
		}
	})
	var callers sync.WaitGroup
	for c := range mpCallers {
		callers.Go(func() { w.caller(ctx, c) })
	}
	callers.Wait()
	close(stop)
	sweeper.Wait()
	w.out.Retries = store.RetriesOf(w.db)
	return w.out
}

func (w *mpWorker) unexpected(what string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Unexpected = append(w.out.Unexpected, fmt.Sprintf("worker %d: %s: %v", w.index, what, err))
}

func (w *mpWorker) record(fn func(out *mpWork)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(w.out)
}

// caller is one of a process's concurrent callers. Its tokens all come from
// one of the few shared source accounts, funded for less than every caller
// asks of them, so that processes contend on the same rows and some creates
// find the funds short (ECONFLICT, expected); its payouts go on the one open
// invoice of the integration; its requests ask the shared payers.
func (w *mpWorker) caller(ctx context.Context, c int) {
	s := w.seed
	rnd := rand.New(rand.NewPCG(s.Rand, uint64(w.index)<<32|uint64(c)))
	cents := func() int64 { return 100 + rnd.Int64N(900) } // 1.00 to 9.99
	src := s.Sources[(c+w.index)%len(s.Sources)]
	payee := s.Payees[c%len(s.Payees)]
	expires := s.Epoch.Add(time.Hour)

	// The same create with the same key, from several callers of every
	// process at once: one token, and every call answered with it.
	if c < 2*mpIdemKeys {
		key := fmt.Sprintf("mp-idem-%d", c%mpIdemKeys)
		in := paykit.TokenCreate{AssetType: "usd", SourceAccountID: s.Sources[c%len(s.Sources)],
			Amount: decimal.New(100, -2), ExpiresAt: &expires, Memo: key}
		if t, err := w.svc.CreateToken(paykit.WithIdempotencyKey(ctx, key), s.Tokens, in); err != nil {
			w.unexpected("create token with key "+key, err)
		} else {
			w.record(func(out *mpWork) { out.Idem[key] = append(out.Idem[key], t.ID) })
		}
	}

	create := func() *mpToken {
		amount := cents()
		t, err := w.svc.CreateToken(ctx, s.Tokens, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src,
			Amount: decimal.New(amount, -2), ExpiresAt: &expires, Memo: "gig"})
		switch {
		case err == nil:
			return &mpToken{ID: t.ID, Token: t.Token, Source: src, Amount: amount}
		case paykit.ErrorCode(err) == paykit.ECONFLICT && strings.HasPrefix(paykit.ErrorMessage(err), "Insufficient funds"):
			w.record(func(out *mpWork) { out.Expected["create token: insufficient funds"]++ })
		default:
			w.unexpected("create token", err)
		}
		return nil
	}
	request := func() *mpRequest {
		amount, payer := cents(), s.Payers[rnd.IntN(len(s.Payers))]
		ttl := 10 * time.Minute
		r, err := w.svc.CreateRequest(ctx, s.Requests, paykit.RequestCreate{Amount: decimal.New(amount, -2), Currency: "USD",
			Description: "T-shirt", Order: fmt.Sprintf("w%d-c%d", w.index, c), Recipient: payer, ExpiresIn: &ttl})
		if err != nil {
			w.unexpected("create request", err)
			return nil
		}
		return &mpRequest{ID: r.ID, Payer: payer, Amount: amount}
	}

	for round := range mpRounds {
		// Tokens: one accepted, one rejected, one left to expire, one for the
		// contest.
		accept, reject, left, contested := create(), create(), create(), create()
		if accept != nil {
			if _, err := w.svc.AcceptToken(ctx, s.Tokens, accept.Token, payee); err != nil {
				w.unexpected("accept token", err)
			} else {
				w.record(func(out *mpWork) { out.Accepted = append(out.Accepted, *accept) })
			}
		}
		if reject != nil {
			if _, err := w.svc.RejectToken(ctx, s.Tokens, reject.Token); err != nil {
				w.unexpected("reject token", err)
			} else {
				w.record(func(out *mpWork) { out.Rejected = append(out.Rejected, *reject) })
			}
		}
		w.record(func(out *mpWork) {
			if left != nil {
				out.Left = append(out.Left, *left)
			}
			if contested != nil {
				out.Contested = append(out.Contested, *contested)
			}
		})

		// Payouts: one to a registered employee; every other caller one
		// more to an inline employee that callers of every process name at
		// once, so that it is created once and then matched.
		pcs := []paykit.PayoutCreate{{EmployeeID: s.Employees[c%len(s.Employees)]}}
		if c%2 == 0 {
			pcs = append(pcs, paykit.PayoutCreate{Employee: &paykit.EmployeeCreate{ID: fmt.Sprintf("inline-%d", c/2%mpInline),
				Name: "Inline Employee", CellphoneNumber: "+46703000000", Country: "SWE"}})
		}
		for i, pc := range pcs {
			amount := decimal.New(100*cents(), -2)
			pc.ID, pc.Amount, pc.Currency, pc.Description = fmt.Sprintf("w%d-c%d-r%d-%d", w.index, c, round, i), &amount, "SEK", "Lön"
			// The first with an idempotency key: what a race makes of the
			// open invoice or a ledger account is no outcome to record.
			pctx := ctx
			if i == 0 {
				pctx = paykit.WithIdempotencyKey(ctx, "mp-"+pc.ID)
			}
			if _, err := w.svc.CreatePayout(pctx, s.Payouts, pc); err != nil {
				w.unexpected("create payout", err)
				continue
			}
			w.record(func(out *mpWork) { out.Payouts = append(out.Payouts, pc.ID) })
		}

		// Requests: one paid, one declined, one left to expire, one for the
		// contest.
		pay, decline, pending, disputed := request(), request(), request(), request()
		if pay != nil {
			if _, err := w.svc.PayRequest(paykit.WithIdempotencyKey(ctx, "mp-pay-"+pay.ID), s.Requests, pay.ID); err != nil {
				w.unexpected("pay request", err)
			} else {
				w.record(func(out *mpWork) { out.Paid = append(out.Paid, *pay) })
			}
		}
		if decline != nil {
			if _, err := w.svc.DeclineRequest(ctx, s.Requests, decline.ID); err != nil {
				w.unexpected("decline request", err)
			} else {
				w.record(func(out *mpWork) { out.Declined = append(out.Declined, *decline) })
			}
		}
		w.record(func(out *mpWork) {
			if pending != nil {
				out.Pending = append(out.Pending, *pending)
			}
			if disputed != nil {
				out.Disputed = append(out.Disputed, *disputed)
			}
		})
	}
}

// contest races the other processes on every token and request of c, with
// mpCallers callers taking them in the same order as the other processes'.
// Even workers accept tokens and pay requests, odd ones reject and cancel.
func (w *mpWorker) contest(ctx context.Context, c *mpContest) *mpContestResult {
	even := w.index%2 == 0
	var ops []func() (string, error)
	for i := range max(len(c.Tokens), len(c.Requests)) {
		if i < len(c.Tokens) {
			t := c.Tokens[i]
			ops = append(ops, func() (string, error) {
				if even {
					_, err := w.svc.AcceptToken(ctx, w.seed.Tokens, t.Token, w.seed.Payees[i%len(w.seed.Payees)])
					return t.ID, err
				}
				_, err := w.svc.RejectToken(ctx, w.seed.Tokens, t.Token)
				return t.ID, err
			})
		}
		if i < len(c.Requests) {
			r := c.Requests[i]
			ops = append(ops, func() (string, error) {
				if even {
					_, err := w.svc.PayRequest(ctx, w.seed.Requests, r.ID)
					return r.ID, err
				}
				_, err := w.svc.CancelRequest(ctx, w.seed.Requests, r.ID)
				return r.ID, err
			})
		}
	}
	res := &mpContestResult{}
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range mpCallers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ops) {
					return
				}
				id, err := ops[i]()
				mu.Lock()
				switch {
				case err == nil:
					res.Won = append(res.Won, id)
				case paykit.ErrorCode(err) == paykit.ECONFLICT:
					res.Lost++
				default:
					res.Unexpected = append(res.Unexpected, fmt.Sprintf("worker %d: contest %s: %v", w.index, id, err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return res
}

// runDue calls RunDue until no delivery is due that another process has not
// leased: a lane stops at its first failed attempt in a RunDue, and the next
// RunDue goes on past it.
func (w *mpWorker) runDue(ctx context.Context) *mpRun {
	r := &mpRun{}
	for r.Runs < 100 {
		r.Runs++
		if err := w.svc.RunDue(ctx); err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("worker %d: RunDue: %v", w.index, err))
		}
		lanes, err := w.db.FindDueDeliveryLanes(ctx, w.clock.Now(), 1)
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("worker %d: due lanes: %v", w.index, err))
		}
		if len(lanes) == 0 {
			break
		}
	}
	r.Retries = store.RetriesOf(w.db)
	return r
}
