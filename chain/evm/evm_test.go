package evm_test

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/chaintest"
	"github.com/paykit/paykit/chain/evm"
	"github.com/paykit/paykit/chain/evm/evmsim"
)

// MustSim starts a simulated chain for the test, the adapter counting
// confirmations.
func MustSim(tb testing.TB, confirmations uint64) *evmsim.Sim {
	tb.Helper()
	s, err := evmsim.New(context.Background(), confirmations)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s
}

// harness plays the payer, the miners and time on the simulated chain.
type harness struct{ *evmsim.Sim }

func (h harness) Chain() paykit.Chain { return h.Sim.Chain }
func (h harness) Token() string       { return h.Sim.Token.Hex() }
func (h harness) Payee() string       { return h.Sim.Payee.Hex() }
func (h harness) Payer() string       { return h.PayerAddress().Hex() }

func (h harness) Deposit(tb testing.TB, call paykit.DepositCall, args []string) string {
	tb.Helper()
	hash, err := h.Pay(context.Background(), call, args)
	require.NoError(tb, err)
	return hash
}

func (h harness) Mine(_ testing.TB, n int) { h.Sim.Mine(n) }

func (h harness) Reorg(tb testing.TB, depth int) {
	tb.Helper()
	require.NoError(tb, h.Sim.Reorg(context.Background(), uint64(depth)))
}

func (h harness) Now(tb testing.TB) time.Time {
	tb.Helper()
	now, err := h.Sim.Now(context.Background())
	require.NoError(tb, err)
	return now
}

func (h harness) Advance(tb testing.TB, d time.Duration) {
	tb.Helper()
	require.NoError(tb, h.Sim.Advance(d))
}

func (h harness) Balance(tb testing.TB, token, addr string) *big.Int {
	tb.Helper()
	b, err := evm.TokenBalance(context.Background(), h.Client(), common.HexToAddress(token), common.HexToAddress(addr))
	require.NoError(tb, err)
	return b
}

// Both an ethclient (any JSON-RPC node) and the simulated backend's client
// serve the adapter.
var (
	_ evm.Backend = (*ethclient.Client)(nil)
	_ evm.Backend = simulated.Client(nil)
)

// TestChain_Conformance runs the suite end to end on go-ethereum's simulated
// backend: the real contract, real transactions, real logs and receipts.
func TestChain_Conformance(t *testing.T) {
	chaintest.Run(t, func(t *testing.T) chaintest.Harness { return harness{MustSim(t, 3)} })
}

func TestNew(t *testing.T) {
	ctx := context.Background()
	s := MustSim(t, 3)
	client := s.Backend.Client()
	info := s.Chain.Info()
	require.Equal(t, uint64(1337), info.ChainID)
	require.Equal(t, uint64(3), info.Confirmations)
	require.Equal(t, crypto.PubkeyToAddress(s.Gateway.PublicKey), s.Chain.Gateway())

	t.Run("ErrWrongKey", func(t *testing.T) {
		_, err := evm.New(ctx, client, evm.Config{Contract: info.Contract, Key: s.Payer})
		require.ErrorContains(t, err, "gateway")
	})
	t.Run("ErrNotEscrow", func(t *testing.T) {
		_, err := evm.New(ctx, client, evm.Config{Contract: s.Token.Hex(), Key: s.Gateway})
		require.ErrorContains(t, err, "not an Escrow")
		_, err = evm.New(ctx, client, evm.Config{Contract: "0x1234", Key: s.Gateway})
		require.Error(t, err)
		_, err = evm.New(ctx, client, evm.Config{Contract: info.Contract})
		require.Error(t, err)
	})
	t.Run("Defaults", func(t *testing.T) {
		c, err := evm.New(ctx, client, evm.Config{Contract: info.Contract, Key: s.Gateway})
		require.NoError(t, err)
		require.Equal(t, uint64(evm.DefaultConfirmations), c.Info().Confirmations)
	})
}

// TestChain_CreateDeal_Refused: what only the contract can judge (a token
// that is no contract) comes back as paykit's EINVALID, before anything is
// sent.
func TestChain_CreateDeal_Refused(t *testing.T) {
	ctx := context.Background()
	s := MustSim(t, 1)
	h := harness{s}
	d := paykit.Deal{ID: 1, Token: h.Payee(), Price: big.NewInt(1), Payee: h.Payee(), ExpiresAt: h.Now(t).Add(time.Hour)}
	_, err := s.Chain.CreateDeal(ctx, d)
	require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err), "%v", err)
	require.ErrorContains(t, err, "InvalidDeal()")
	head, err := s.Backend.Client().PendingNonceAt(ctx, s.Chain.Gateway())
	require.NoError(t, err)
	require.Equal(t, uint64(2), head, "only the two deployments were sent")
}

// TestChain_Events_Paged: a node's log range is bounded (MaxRange); Events
// says More until the confirmed head is reached, and every event comes once.
func TestChain_Events_Paged(t *testing.T) {
	ctx := context.Background()
	s := MustSim(t, 1)
	h := harness{s}
	c, err := evm.New(ctx, s.Backend.Client(), evm.Config{Contract: s.Chain.Info().Contract, Key: s.Gateway,
		Confirmations: 1, FromBlock: 1, MaxRange: 2})
	require.NoError(t, err)
	for id := range paykit.DealID(3) {
		_, err := c.CreateDeal(ctx, paykit.Deal{ID: id + 1, Token: h.Token(), Price: big.NewInt(5), Payee: h.Payee(),
			ExpiresAt: h.Now(t).Add(time.Hour)})
		require.NoError(t, err)
		h.Mine(t, 2)
	}
	var got []paykit.DealID
	calls, cursor := 0, ""
	for {
		page, err := c.Events(ctx, cursor)
		require.NoError(t, err)
		calls++
		for _, e := range page.Events {
			got = append(got, e.DealID)
		}
		cursor = page.Cursor
		if !page.More {
			break
		}
	}
	require.Equal(t, []paykit.DealID{1, 2, 3}, got)
	require.Equal(t, 4, calls, "blocks 1-8, two at a time")
}

// TestPay_WidgetJSON: the deposit is made from the widget's data as a
// browser receives it, JSON and all: {abi, function_name, arguments}.
func TestPay_WidgetJSON(t *testing.T) {
	ctx := context.Background()
	s := MustSim(t, 1)
	h := harness{s}
	d := paykit.Deal{ID: 9007199254740991, Token: h.Token(), Price: big.NewInt(12_500_000), Payee: h.Payee(),
		ExpiresAt: h.Now(t).Add(time.Hour)}
	_, err := s.Chain.CreateDeal(ctx, d)
	require.NoError(t, err)
	h.Mine(t, 1)

	call := s.Chain.DepositCall(d)
	wire, err := json.Marshal(map[string]any{"abi": json.RawMessage(s.Chain.Info().ABI),
		"function_name": call.Function, "arguments": call.Values()})
	require.NoError(t, err)
	var widget struct {
		ABI          json.RawMessage `json:"abi"`
		FunctionName string          `json:"function_name"`
		Arguments    []string        `json:"arguments"`
	}
	require.NoError(t, json.Unmarshal(wire, &widget))
	require.Equal(t, []string{"9007199254740991", "12500000"}, widget.Arguments)

	call.Function = widget.FunctionName
	_, dep, err := evm.Pay(ctx, s.Client(), s.Payer, string(widget.ABI), call, widget.Arguments)
	require.NoError(t, err)
	h.Mine(t, 1)
	tx, err := s.Chain.Transaction(ctx, dep.Hash().Hex())
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status, tx.Reason)
	require.Equal(t, paykit.ChainEventDeposited, tx.Events[0].Type)
	require.Equal(t, "12500000", h.Balance(t, h.Token(), h.Payee()).String())
}

func TestPackCall(t *testing.T) {
	a, err := evm.ParseABI(`[{"type":"function","name":"f","inputs":[
		{"name":"a","type":"uint256"},{"name":"b","type":"uint8"},{"name":"c","type":"int64"},
		{"name":"d","type":"address"},{"name":"e","type":"bool"},{"name":"f","type":"string"}]}]`)
	require.NoError(t, err)
	_, err = evm.PackCall(a, "f", []string{"115792089237316195423570985008687907853269984665640564039457584007913129639935",
		"255", "-5", "0x00000000000000000000000000000000000000a1", "true", "hi"})
	require.NoError(t, err)
	for _, bad := range [][]string{
		{"1", "256", "0", "0x00000000000000000000000000000000000000a1", "true", ""},
		{"x", "1", "0", "0x00000000000000000000000000000000000000a1", "true", ""},
		{"1", "1", "0", "0x12", "true", ""},
		{"1", "1", "0", "0x00000000000000000000000000000000000000a1", "maybe", ""},
		{"1"},
	} {
		_, err := evm.PackCall(a, "f", bad)
		require.Error(t, err, "%q", bad)
	}
	_, err = evm.PackCall(a, "g", nil)
	require.Error(t, err)
}
