package sandbox_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/chaintest"
	"github.com/paykit/paykit/chain/sandbox"
)

// Base is the sandbox tests' starting time.
var Base = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	token = "0x00000000000000000000000000000000000000a1"
	payee = "0x00000000000000000000000000000000000000b2"
	payer = "0x00000000000000000000000000000000000000c3"
)

// harness drives a sandbox with manual mining and 3 confirmations, the shape
// the conformance suite needs.
type harness struct {
	chain *sandbox.Chain
	clock *clock.Mock
}

func (h *harness) Chain() paykit.Chain { return h.chain }
func (h *harness) Token() string       { return token }
func (h *harness) Payee() string       { return payee }
func (h *harness) Payer() string       { return payer }

func (h *harness) Deposit(tb testing.TB, _ paykit.DepositCall, args []string) string {
	tb.Helper()
	tx, err := h.chain.Deposit(payer, args...)
	require.NoError(tb, err)
	return tx.Hash
}

func (h *harness) Mine(_ testing.TB, n int)      { h.chain.Mine(n) }
func (h *harness) Reorg(_ testing.TB, depth int) { h.chain.Reorg(depth) }

func (h *harness) Now(testing.TB) time.Time {
	_, at := h.chain.Head()
	return at
}

func (h *harness) Advance(_ testing.TB, d time.Duration) {
	h.clock.Add(d)
	h.chain.Mine(1)
}

func (h *harness) Balance(testing.TB, string, string) *big.Int { return nil }

func TestChain_Conformance(t *testing.T) {
	chaintest.Run(t, func(t *testing.T) chaintest.Harness {
		c := clock.NewMock()
		c.Set(Base)
		return &harness{clock: c, chain: sandbox.New(sandbox.WithClock(c), sandbox.WithManualMining(),
			sandbox.WithConfirmations(3))}
	})
}

// MustSandbox returns a sandbox with the defaults (automine, one
// confirmation) on a mock clock at Base.
func MustSandbox(tb testing.TB, opts ...sandbox.Option) (*sandbox.Chain, *clock.Mock) {
	tb.Helper()
	c := clock.NewMock()
	c.Set(Base)
	return sandbox.New(append([]sandbox.Option{sandbox.WithClock(c)}, opts...)...), c
}

func deal(id paykit.DealID) paykit.Deal {
	return paykit.Deal{ID: id, Token: token, Price: big.NewInt(1_000_000), Payee: payee, ExpiresAt: Base.Add(time.Hour)}
}

// TestChain_Defaults: with automine and one confirmation, every control takes
// effect at once, which is what the example server's sandbox routes want.
func TestChain_Defaults(t *testing.T) {
	ctx := context.Background()
	ch, clk := MustSandbox(t)
	info := ch.Info()
	require.Equal(t, uint64(sandbox.DefaultChainID), info.ChainID)
	require.Equal(t, sandbox.DefaultContract, info.Contract)
	require.Equal(t, uint64(1), info.Confirmations)
	require.Contains(t, info.ABI, `"cancelDeal"`)

	hash, err := ch.CreateDeal(ctx, deal(1))
	require.NoError(t, err)
	tx, err := ch.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status)

	call := ch.DepositCall(deal(1))
	tx, err = ch.Deposit(payer, call.Values()...)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status)
	require.Equal(t, paykit.ChainEventDeposited, tx.Events[0].Type)

	page, err := ch.Events(ctx, "")
	require.NoError(t, err)
	require.Len(t, page.Events, 2)
	require.Equal(t, "3", page.Cursor)
	require.False(t, page.More)

	// Block time is the clock's: the deal expires with it.
	_, err = ch.CreateDeal(ctx, deal(2))
	require.NoError(t, err)
	clk.Add(time.Hour)
	tx, err = ch.Deposit(payer, ch.DepositCall(deal(2)).Values()...)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "DealExpired(2)", tx.Reason)
	_, at := ch.Head()
	require.Equal(t, Base.Add(time.Hour), at)
}

func TestChain_Deposit(t *testing.T) {
	ch, _ := MustSandbox(t)
	for _, args := range [][]string{{"1"}, {"1", "x"}, {"-1", "5"}, {"1", "2", "3"}} {
		_, err := ch.Deposit(payer, args...)
		require.Error(t, err, "%q", args)
	}
	_, err := ch.Deposit("nobody", "1", "1")
	require.Error(t, err)
	page, err := ch.Events(context.Background(), "")
	require.NoError(t, err)
	require.Empty(t, page.Events, "a refused call sends nothing")
}

func TestChain_Fail(t *testing.T) {
	ctx := context.Background()
	ch, _ := MustSandbox(t)
	outage := errors.New("node unreachable")
	ch.Fail(outage)
	_, err := ch.CreateDeal(ctx, deal(1))
	require.ErrorIs(t, err, outage)
	_, err = ch.CancelDeal(ctx, 1)
	require.ErrorIs(t, err, outage)
	_, err = ch.Events(ctx, "")
	require.ErrorIs(t, err, outage)
	_, err = ch.Transaction(ctx, "0x00")
	require.ErrorIs(t, err, outage)
	_, err = ch.Deposit(payer, "1", "1")
	require.ErrorIs(t, err, outage)

	ch.Fail(nil)
	hash, err := ch.CreateDeal(ctx, deal(1))
	require.NoError(t, err)
	require.NotEmpty(t, hash)
}

// TestChain_RevertNext: a gateway transaction that reverts once mined is how a
// deal creation fails after it was sent (retry-send's case).
func TestChain_RevertNext(t *testing.T) {
	ctx := context.Background()
	ch, _ := MustSandbox(t)
	ch.RevertNext()
	hash, err := ch.CreateDeal(ctx, deal(1))
	require.NoError(t, err)
	tx, err := ch.Transaction(ctx, hash)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "Reverted", tx.Reason)
	page, err := ch.Events(ctx, "")
	require.NoError(t, err)
	require.Empty(t, page.Events)

	// Sending again works: the first left no deal behind.
	again, err := ch.CreateDeal(ctx, deal(1))
	require.NoError(t, err)
	require.NotEqual(t, hash, again)
	tx, err = ch.Transaction(ctx, again)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status)
}

// TestChain_Events pages through more blocks than one call examines.
func TestChain_Events(t *testing.T) {
	ctx := context.Background()
	ch, _ := MustSandbox(t)
	_, err := ch.CreateDeal(ctx, deal(1))
	require.NoError(t, err)
	ch.Mine(1500)
	_, err = ch.CreateDeal(ctx, deal(2))
	require.NoError(t, err)

	page, err := ch.Events(ctx, "")
	require.NoError(t, err)
	require.True(t, page.More)
	require.Equal(t, "1001", page.Cursor)
	require.Len(t, page.Events, 1)
	page, err = ch.Events(ctx, page.Cursor)
	require.NoError(t, err)
	require.False(t, page.More)
	require.Len(t, page.Events, 1)
	require.Equal(t, paykit.DealID(2), page.Events[0].DealID)

	_, err = ch.Events(ctx, "x")
	require.Error(t, err)
}

// TestChain_Deterministic: the same controls give the same hashes.
func TestChain_Deterministic(t *testing.T) {
	run := func() []string {
		ch, _ := MustSandbox(t)
		h1, err := ch.CreateDeal(context.Background(), deal(1))
		require.NoError(t, err)
		tx, err := ch.Deposit(payer, "1", "1000000")
		require.NoError(t, err)
		return []string{h1, tx.Hash}
	}
	require.Equal(t, run(), run())
}
