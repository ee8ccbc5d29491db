// Package chaintest is the conformance suite every paykit.Chain must pass: the
// sandbox chain and the EVM adapter on go-ethereum's simulated backend run the
// same scenarios, so the sandbox behaves as a real chain does.
//
// An implementation runs it from its own tests with a Harness, which plays
// what the Chain does not do itself: the payer's wallet, the miners, time and
// reorganizations.
//
//	func TestChain(t *testing.T) {
//		chaintest.Run(t, func(t *testing.T) chaintest.Harness { return newHarness(t) })
//	}
//
// The suite speaks only the paykit.Chain interface. It assumes a chain whose
// Info().Confirmations is at least 2, so that "mined but not yet confirmed"
// is observable, and whose transactions wait in a pool until Harness.Mine.
package chaintest

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// Harness is a fresh chain with the escrow contract and a token deployed, a
// payee, and a payer funded with the token.
type Harness interface {
	// Chain is the implementation under test.
	Chain() paykit.Chain
	// Token is an ERC-20 deals may be priced in; Payee and Payer are accounts.
	Token() string
	Payee() string
	Payer() string
	// Deposit plays the payer's wallet with the widget's data: approve
	// call.Contract for call.Amount on call.Token, then call
	// call.Function(args...) on call.Contract, args sent as given. The
	// transactions are sent, not mined; it returns the call's hash.
	Deposit(tb testing.TB, call paykit.DepositCall, args []string) string
	// Mine mines n blocks; the first holds every pending transaction.
	Mine(tb testing.TB, n int)
	// Reorg drops the last depth blocks and the transactions in them, which
	// are not included again.
	Reorg(tb testing.TB, depth int)
	// Now is the head block's time.
	Now(tb testing.TB) time.Time
	// Advance mines one empty block d after the head block.
	Advance(tb testing.TB, d time.Duration)
	// Balance returns addr's balance of token, or nil when the chain does
	// not model balances.
	Balance(tb testing.TB, token, addr string) *big.Int
}

// Run runs every conformance scenario, each against a fresh Harness from newH.
func Run(t *testing.T, newH func(t *testing.T) Harness) {
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"Deposit", testDeposit},
		{"CreateDeal", testCreateDeal},
		{"CancelDeal", testCancelDeal},
		{"RevertedDeposit", testRevertedDeposit},
		{"Expiry", testExpiry},
		{"Reorg", testReorg},
		{"Transaction", testTransaction},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newH(t)
			require.GreaterOrEqual(t, h.Chain().Info().Confirmations, uint64(2), "the suite needs 2 confirmations or more")
			tt.fn(t, h)
		})
	}
}

// Watcher reads a Chain's events as the Service does: from a stored cursor,
// each event once.
type Watcher struct {
	chain  paykit.Chain
	cursor string
}

// NewWatcher returns a Watcher from the Chain's start.
func NewWatcher(c paykit.Chain) *Watcher { return &Watcher{chain: c} }

// Next returns every confirmed event since the last call.
func (w *Watcher) Next(tb testing.TB) []paykit.ChainEvent {
	tb.Helper()
	var out []paykit.ChainEvent
	for {
		page, err := w.chain.Events(context.Background(), w.cursor)
		require.NoError(tb, err)
		out = append(out, page.Events...)
		w.cursor = page.Cursor
		if !page.More {
			return out
		}
	}
}

// deal returns a valid deal of h with id, priced 12.5 of a 6-decimal token,
// expiring in an hour by the chain's clock.
func deal(tb testing.TB, h Harness, id paykit.DealID) paykit.Deal {
	return paykit.Deal{ID: id, Token: h.Token(), Price: big.NewInt(12_500_000), Payee: h.Payee(),
		ExpiresAt: h.Now(tb).Add(time.Hour)}
}

// confirm mines the blocks that make a transaction sent now final.
func confirm(tb testing.TB, h Harness) { h.Mine(tb, int(h.Chain().Info().Confirmations)) }

// mustCreate opens d and confirms it.
func mustCreate(tb testing.TB, h Harness, d paykit.Deal) string {
	tb.Helper()
	hash, err := h.Chain().CreateDeal(context.Background(), d)
	require.NoError(tb, err)
	require.NotEmpty(tb, hash)
	confirm(tb, h)
	return hash
}

// pay deposits for d with exactly the arguments DepositCall hands out.
func pay(tb testing.TB, h Harness, d paykit.Deal) string {
	tb.Helper()
	call := h.Chain().DepositCall(d)
	return h.Deposit(tb, call, call.Values())
}

func testDeposit(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	d := deal(t, h, 7)

	call := c.DepositCall(d)
	require.Equal(t, "deposit", call.Function)
	require.True(t, strings.EqualFold(c.Info().Contract, call.Contract))
	require.Equal(t, []string{"7", "12500000"}, call.Values())
	require.Equal(t, []paykit.CallArg{{Name: "dealId", Type: "uint256", Value: "7"},
		{Name: "amount", Type: "uint256", Value: "12500000"}}, call.Args)
	require.True(t, strings.EqualFold(d.Token, call.Token))
	require.Equal(t, "12500000", call.Amount.String())
	require.Contains(t, c.Info().ABI, `"deposit"`)

	created, err := c.CreateDeal(ctx, d)
	require.NoError(t, err)
	h.Mine(t, 1)
	require.Empty(t, w.Next(t), "reported before it is confirmed")
	confirm(t, h)
	evs := w.Next(t)
	require.Len(t, evs, 1)
	e := evs[0]
	require.Equal(t, paykit.ChainEventDealCreated, e.Type)
	require.Equal(t, d.ID, e.DealID)
	require.Equal(t, created, e.TxHash)
	require.Equal(t, "12500000", e.Amount.String())
	require.True(t, strings.EqualFold(d.Token, e.Token))
	require.True(t, strings.EqualFold(d.Payee, e.Payee))
	require.Equal(t, d.ExpiresAt.Unix(), e.ExpiresAt.Unix())

	before := h.Balance(t, d.Token, d.Payee)
	hash := pay(t, h, d)
	h.Mine(t, int(c.Info().Confirmations)-1)
	require.Empty(t, w.Next(t), "reported before it is confirmed")
	h.Mine(t, 1)
	evs = w.Next(t)
	require.Len(t, evs, 1)
	e = evs[0]
	require.Equal(t, paykit.ChainEventDeposited, e.Type)
	require.Equal(t, d.ID, e.DealID)
	require.Equal(t, hash, e.TxHash)
	require.True(t, strings.EqualFold(h.Payer(), e.Payer))
	require.Equal(t, "12500000", e.Amount.String())
	if before != nil {
		require.Equal(t, new(big.Int).Add(before, d.Price), h.Balance(t, d.Token, d.Payee), "the price went to the payee")
	}

	confirm(t, h)
	require.Empty(t, w.Next(t), "an event is reported once")
	_, err = c.CancelDeal(ctx, d.ID)
	require.ErrorIs(t, err, paykit.ErrDealPaid)
}

func testCreateDeal(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	d := deal(t, h, 11)

	t.Run("Invalid", func(t *testing.T) {
		for _, tt := range []struct {
			field string
			edit  func(*paykit.Deal)
		}{
			{"id", func(d *paykit.Deal) { d.ID = 0 }},
			{"token", func(d *paykit.Deal) { d.Token = "0x12" }},
			{"price", func(d *paykit.Deal) { d.Price = big.NewInt(0) }},
			{"payee", func(d *paykit.Deal) { d.Payee = "0x0000000000000000000000000000000000000000" }},
			{"expiresAt", func(d *paykit.Deal) { d.ExpiresAt = time.Time{} }},
			{"expiresAt", func(d *paykit.Deal) { d.ExpiresAt = h.Now(t).Add(-time.Minute) }},
		} {
			bad := deal(t, h, 12)
			tt.edit(&bad)
			_, err := c.CreateDeal(ctx, bad)
			require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err), "%s: %v", tt.field, err)
			var pe *paykit.Error
			require.True(t, errors.As(err, &pe))
			require.Contains(t, pe.Fields, tt.field)
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		hash, err := c.CreateDeal(ctx, d)
		require.NoError(t, err)
		require.NotEmpty(t, hash)
		again, err := c.CreateDeal(ctx, d) // still pending
		require.NoError(t, err)
		require.Empty(t, again, "sent twice")
		confirm(t, h)
		again, err = c.CreateDeal(ctx, d)
		require.NoError(t, err)
		require.Empty(t, again, "sent twice")
		evs := w.Next(t)
		require.Len(t, evs, 1)
		require.Equal(t, hash, evs[0].TxHash)
	})

	t.Run("ErrDealExists", func(t *testing.T) {
		other := d
		other.Price = big.NewInt(1)
		_, err := c.CreateDeal(ctx, other)
		require.ErrorIs(t, err, paykit.ErrDealExists)
	})
}

func testCancelDeal(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	d := deal(t, h, 21)
	mustCreate(t, h, d)
	require.Len(t, w.Next(t), 1)

	t.Run("OK", func(t *testing.T) {
		hash, err := c.CancelDeal(ctx, d.ID)
		require.NoError(t, err)
		require.NotEmpty(t, hash)
		again, err := c.CancelDeal(ctx, d.ID) // still pending
		require.NoError(t, err)
		require.Empty(t, again)
		h.Mine(t, 1)
		require.Empty(t, w.Next(t))
		confirm(t, h)
		evs := w.Next(t)
		require.Len(t, evs, 1)
		require.Equal(t, paykit.ChainEventDealCancelled, evs[0].Type)
		require.Equal(t, d.ID, evs[0].DealID)
		require.Equal(t, hash, evs[0].TxHash)
		again, err = c.CancelDeal(ctx, d.ID)
		require.NoError(t, err)
		require.Empty(t, again)
	})

	t.Run("DepositAfterCancel", func(t *testing.T) {
		hash := pay(t, h, d)
		confirm(t, h)
		require.Empty(t, w.Next(t), "a reverted deposit is no deposit")
		tx, err := c.Transaction(ctx, hash)
		require.NoError(t, err)
		require.Equal(t, paykit.ChainTxFailed, tx.Status)
		require.Equal(t, "DealIsCancelled(21)", tx.Reason)
	})

	t.Run("ErrDealNotFound", func(t *testing.T) {
		_, err := c.CancelDeal(ctx, 404)
		require.ErrorIs(t, err, paykit.ErrDealNotFound)
		require.Equal(t, paykit.ENOTFOUND, paykit.ErrorCode(err))
	})
}

func testRevertedDeposit(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	d := deal(t, h, 31)
	mustCreate(t, h, d)
	require.Len(t, w.Next(t), 1)

	short := new(big.Int).Sub(d.Price, big.NewInt(1))
	call := c.DepositCall(d)
	hash := h.Deposit(t, call, []string{d.ID.String(), short.String()})
	confirm(t, h)
	require.Empty(t, w.Next(t), "a reverted deposit is no deposit")
	tx, err := c.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "WrongAmount(31, 12500000, 12499999)", tx.Reason)
	require.Empty(t, tx.Events)

	unknown := h.Deposit(t, call, []string{"999", d.Price.String()})
	confirm(t, h)
	tx, err = c.Transaction(ctx, unknown)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "UnknownDeal(999)", tx.Reason)

	hash = pay(t, h, d)
	confirm(t, h)
	evs := w.Next(t)
	require.Len(t, evs, 1)
	require.Equal(t, paykit.ChainEventDeposited, evs[0].Type)
	require.Equal(t, hash, evs[0].TxHash)

	again := pay(t, h, d)
	confirm(t, h)
	require.Empty(t, w.Next(t))
	tx, err = c.Transaction(ctx, again)
	require.NoError(t, err)
	require.Equal(t, "DealAlreadyPaid(31)", tx.Reason)
}

func testExpiry(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	d := deal(t, h, 41)
	mustCreate(t, h, d)
	require.Len(t, w.Next(t), 1)

	h.Advance(t, 2*time.Hour)
	hash := pay(t, h, d)
	confirm(t, h)
	require.Empty(t, w.Next(t))
	tx, err := c.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "DealExpired(41)", tx.Reason)

	// The gateway can still close an expired deal.
	cancel, err := c.CancelDeal(ctx, d.ID)
	require.NoError(t, err)
	confirm(t, h)
	evs := w.Next(t)
	require.Len(t, evs, 1)
	require.Equal(t, paykit.ChainEventDealCancelled, evs[0].Type)
	require.Equal(t, cancel, evs[0].TxHash)
}

func testReorg(t *testing.T, h Harness) {
	ctx := context.Background()
	c, w := h.Chain(), NewWatcher(h.Chain())
	n := int(c.Info().Confirmations)
	d := deal(t, h, 51)
	mustCreate(t, h, d)
	require.Len(t, w.Next(t), 1)

	// The deposit is mined, but a reorganization removes it before it is
	// deep enough: it is never reported.
	lost := pay(t, h, d)
	h.Mine(t, n-1)
	require.Empty(t, w.Next(t))
	tx, err := c.Transaction(ctx, lost)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxPending, tx.Status)
	require.Equal(t, uint64(n-1), tx.Confirmations)

	h.Reorg(t, n-1)
	h.Mine(t, 2*n)
	require.Empty(t, w.Next(t), "a reorganized deposit is never reported")
	tx, err = c.Transaction(ctx, lost)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxNotFound, tx.Status)

	// The payer pays again on the new branch: that one counts.
	hash := pay(t, h, d)
	confirm(t, h)
	evs := w.Next(t)
	require.Len(t, evs, 1)
	require.Equal(t, paykit.ChainEventDeposited, evs[0].Type)
	require.Equal(t, hash, evs[0].TxHash)
}

func testTransaction(t *testing.T, h Harness) {
	ctx := context.Background()
	c := h.Chain()
	d := deal(t, h, 61)
	hash, err := c.CreateDeal(ctx, d)
	require.NoError(t, err)

	tx, err := c.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTx{Hash: hash, Status: paykit.ChainTxPending}, tx)

	h.Mine(t, 1)
	tx, err = c.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxPending, tx.Status)
	require.Equal(t, uint64(1), tx.Confirmations)
	require.NotZero(t, tx.Block)

	h.Mine(t, int(c.Info().Confirmations)-1)
	tx, err = c.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status)
	require.Equal(t, c.Info().Confirmations, tx.Confirmations)
	require.Len(t, tx.Events, 1)
	require.Equal(t, paykit.ChainEventDealCreated, tx.Events[0].Type)
	require.Empty(t, tx.Reason)

	unknown := "0x" + strings.Repeat("ab", 32)
	tx, err = c.Transaction(ctx, unknown)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxNotFound, tx.Status)
}
