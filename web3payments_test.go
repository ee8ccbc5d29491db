package paykit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/sandbox"
)

// The web3 registries of the tests.
const (
	w3Network  = "0190a0a0-0000-7000-8000-000000000001"
	w3Currency = "0190a0a0-0000-7000-8000-000000000002"
	w3Contract = "0190a0a0-0000-7000-8000-000000000003"
	w3Root     = "0190a0a0-0000-7000-8000-0000000000a1"
	w3Shop     = "0190a0a0-0000-7000-8000-0000000000a2"
	w3Other    = "0190a0a0-0000-7000-8000-0000000000a3"
	w3Token    = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
	w3Payee    = "0x00000000000000000000000000000000000000b2"
	w3Payer    = "0x00000000000000000000000000000000000000c3"
)

// web3Env is an env with a sandbox chain on the network w3Network, its USDT
// and contract, and a tenant whose tree is w3Root with two children, w3Shop
// and w3Other.
type web3Env struct {
	*env
	chain  *sandbox.Chain
	tenant string
	root   paykit.NodeAccess // the tenant's own key: every node
	shop   paykit.NodeAccess // an integration of w3Shop
}

// mustWeb3 opens a web3Env; opts configure its sandbox chain (which mines at
// once and needs one confirmation by default). When the test ends, it checks
// every invariant of every tenant.
func mustWeb3(tb testing.TB, opts ...sandbox.Option) *web3Env {
	tb.Helper()
	w := mustWeb3Unchecked(tb, opts...)
	tb.Cleanup(func() { require.NoError(tb, w.svc.CheckAllInvariants(context.Background())) })
	return w
}

// mustWeb3Unchecked is mustWeb3 without the invariants check at the end.
func mustWeb3Unchecked(tb testing.TB, opts ...sandbox.Option) *web3Env {
	tb.Helper()
	mock := clock.NewMock()
	mock.Set(epoch)
	ch := sandbox.New(append([]sandbox.Option{sandbox.WithClock(mock)}, opts...)...)
	e := mustOpenOn(tb, mock, paykit.WithChain(w3Network, ch), local) // its receivers are local

	ctx := context.Background()
	_, err := e.svc.CreateNetwork(ctx, paykit.NetworkCreate{ID: w3Network, ChainID: sandbox.DefaultChainID, Name: "Sandbox"})
	require.NoError(tb, err)
	_, err = e.svc.CreateChainCurrency(ctx, paykit.ChainCurrencyCreate{ID: w3Currency, NetworkID: w3Network, Symbol: "USDT",
		TokenAddress: w3Token, Decimals: 6})
	require.NoError(tb, err)
	_, err = e.svc.CreateChainContract(ctx, paykit.ChainContractCreate{ID: w3Contract, NetworkID: w3Network, Address: sandbox.DefaultContract})
	require.NoError(tb, err)
	tenant := e.MustTenant(tb)
	for _, n := range []paykit.NodeCreate{{ID: w3Root, Name: "Acme"}, {ID: w3Shop, ParentID: w3Root, Name: "Shop"},
		{ID: w3Other, ParentID: w3Root, Name: "Other shop"}} {
		_, err := e.svc.CreateNode(ctx, tenant, n)
		require.NoError(tb, err)
	}
	return &web3Env{env: e, chain: ch, tenant: tenant, root: paykit.NodeAccess{TenantID: tenant},
		shop: paykit.NodeAccess{TenantID: tenant, NodeID: w3Shop}}
}

// input returns a valid web3 payment of 12.50 USDT of w3Shop, expiring in an
// hour; edit adjusts it.
func (w *web3Env) input(externalID string, edit ...func(*paykit.Web3PaymentCreate)) paykit.Web3PaymentCreate {
	price, paid := dec("12.5"), dec("12.5")
	in := paykit.Web3PaymentCreate{ExternalID: externalID, NodeID: w3Shop, NetworkID: w3Network, CurrencyID: w3Currency,
		Price: &price, PaidPrice: &paid, Method: "web3", Group: "product", PaymentAddress: w3Payee,
		ExpiresAt: w.clock.Now().Add(time.Hour), Metadata: "order 7", ClientIP: "203.0.113.7",
		Member: map[string]string{"name": "Ada", "email": "ada@example.com"},
		Items:  []paykit.Web3PaymentItemCreate{{Name: "Logo", Price: &price, ExternalID: "sku-1"}}}
	for _, f := range edit {
		f(&in)
	}
	return in
}

// MustPayment creates a payment of w3Shop with the root's key.
func (w *web3Env) MustPayment(tb testing.TB, externalID string, edit ...func(*paykit.Web3PaymentCreate)) *paykit.Web3Payment {
	tb.Helper()
	p, err := w.svc.CreateWeb3Payment(context.Background(), w.root, w.input(externalID, edit...))
	require.NoError(tb, err)
	return p
}

// get returns the payment as it stands.
func (w *web3Env) get(tb testing.TB, id string) *paykit.Web3Payment {
	tb.Helper()
	p, err := w.svc.FindWeb3PaymentByID(context.Background(), w.root, id)
	require.NoError(tb, err)
	return p
}

// widget returns the payment's widget data.
func (w *web3Env) widget(tb testing.TB, p *paykit.Web3Payment) *paykit.Web3Widget {
	tb.Helper()
	wd, err := w.svc.AuthenticateWidget(context.Background(), p.ID, p.AccessToken)
	require.NoError(tb, err)
	return wd
}

// pay plays the payer with exactly the widget's arguments.
func (w *web3Env) pay(tb testing.TB, p *paykit.Web3Payment) paykit.ChainTx {
	tb.Helper()
	wd := w.widget(tb, p)
	require.NotNil(tb, wd.Call)
	tx, err := w.chain.Deposit(w3Payer, wd.Call.Values()...)
	require.NoError(tb, err)
	return tx
}

func (w *web3Env) requireStatus(tb testing.TB, id string, want paykit.Web3PaymentStatus) *paykit.Web3Payment {
	tb.Helper()
	p := w.get(tb, id)
	require.Equal(tb, want, p.Status, "payment %s: deal error %q, failure %q", id, p.DealError, p.FailureReason)
	return p
}

func TestCreateWeb3Payment(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		require.Equal(t, paykit.Web3PaymentStatusPending, p.Status)
		require.Equal(t, paykit.DealID(1), p.DealID)
		require.Equal(t, "12.500000", p.PaidPrice.Fixed())
		require.Equal(t, paykit.Currency("USDT"), p.PaidPrice.Currency)
		require.True(t, strings.HasPrefix(p.AccessToken, "at_"), p.AccessToken)
		require.Equal(t, p.AccessToken, w.get(t, p.ID).AccessToken, "GET shows the same token")
		require.Equal(t, paykit.DealID(2), w.MustPayment(t, "order-2").DealID, "deal ids are never reused")
		require.Equal(t, []string{paykit.EventWeb3PaymentCreated}, w.eventTypes(t, w.tenant, p.ID))
	})
	t.Run("Idempotent", func(t *testing.T) {
		w := mustWeb3(t)
		ctx := paykit.WithIdempotencyKey(context.Background(), "k1")
		a, err := w.svc.CreateWeb3Payment(ctx, w.root, w.input("order-1"))
		require.NoError(t, err)
		b, err := w.svc.CreateWeb3Payment(ctx, w.root, w.input("order-1"))
		require.NoError(t, err)
		require.Equal(t, a.ID, b.ID)
		require.Equal(t, a.AccessToken, b.AccessToken, "a replay carries the token too")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		w := mustWeb3(t)
		for field, edit := range map[string]func(*paykit.Web3PaymentCreate){
			"nodeId":     func(in *paykit.Web3PaymentCreate) { in.NodeID = "0190a0a0-0000-7000-8000-0000000000ff" },
			"networkId":  func(in *paykit.Web3PaymentCreate) { in.NetworkID = "0190a0a0-0000-7000-8000-0000000000ff" },
			"currencyId": func(in *paykit.Web3PaymentCreate) { in.CurrencyID = "0190a0a0-0000-7000-8000-0000000000ff" },
		} {
			_, err := w.svc.CreateWeb3Payment(context.Background(), w.root, w.input("x", edit))
			requireCode(t, paykit.ENOTFOUND, err)
			require.Contains(t, paykit.ErrorFields(err), field)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		w := mustWeb3(t)
		in := w.input("x", func(in *paykit.Web3PaymentCreate) { in.NodeID = w3Other })
		_, err := w.svc.CreateWeb3Payment(context.Background(), w.shop, in)
		requireCode(t, paykit.EFORBIDDEN, err)
		in.NodeID = w3Root
		_, err = w.svc.CreateWeb3Payment(context.Background(), w.shop, in)
		requireCode(t, paykit.EFORBIDDEN, err) // a parent is out of reach too
	})
	t.Run("ErrConflict", func(t *testing.T) {
		w := mustWeb3(t)
		w.MustPayment(t, "order-1")
		_, err := w.svc.CreateWeb3Payment(context.Background(), w.root, w.input("order-1"))
		requireCode(t, paykit.ECONFLICT, err)
		require.Contains(t, paykit.ErrorFields(err), "externalId")
		// Unique per node: another node may use it.
		_, err = w.svc.CreateWeb3Payment(context.Background(), w.root, w.input("order-1", func(in *paykit.Web3PaymentCreate) { in.NodeID = w3Other }))
		require.NoError(t, err)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		w := mustWeb3(t)
		_, err := w.svc.CreateWeb3Payment(context.Background(), w.root, w.input("x", func(in *paykit.Web3PaymentCreate) {
			p := dec("1.0000001")
			in.PaidPrice, in.ExpiresAt, in.ClientIP = &p, w.clock.Now(), "::1"
		}))
		requireCode(t, paykit.EINVALID, err)
		require.ElementsMatch(t, []string{"expiresAt", "clientIp"}, keys(paykit.ErrorFields(err)), "input first")
		_, err = w.svc.CreateWeb3Payment(context.Background(), w.root, w.input("x", func(in *paykit.Web3PaymentCreate) {
			p := dec("1.0000001")
			in.PaidPrice = &p
		}))
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, []string{"paidPrice"}, keys(paykit.ErrorFields(err)), "then the currency's decimals")
	})
}

// TestWeb3Payment_Paid: the whole web3 flow on the sandbox chain: the deal is
// created, the payer deposits with exactly the widget's arguments, and the
// payment completes with the deposit's hash and its money in the node's
// account.
func TestWeb3Payment_Paid(t *testing.T) {
	w := mustWeb3(t)
	ctx := context.Background()
	p := w.MustPayment(t, "order-1")
	w.MustRunDue(t)
	p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
	require.NotNil(t, p.DealOpenedAt)
	require.NotEmpty(t, p.DealTxHash)

	wd := w.widget(t, p)
	require.Equal(t, uint64(sandbox.DefaultChainID), wd.Network.ChainID)
	require.Equal(t, sandbox.DefaultContract, wd.Contract)
	require.Equal(t, "deposit", wd.Call.Function)
	require.Equal(t, []string{"1", "12500000"}, wd.Call.Values())
	require.Equal(t, w3Token, wd.Call.Token)

	tx := w.pay(t, p)
	require.Equal(t, paykit.ChainTxSucceeded, tx.Status)
	w.MustRunDue(t)
	p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
	require.Equal(t, tx.Hash, p.TransactionHash)
	require.Equal(t, w3Payer, p.Payer)

	a, err := w.svc.FindNodeAccount(ctx, w.tenant, w3Shop, "USDT")
	require.NoError(t, err)
	require.Equal(t, "12.500000", a.Balance().Fixed())
	require.Equal(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentProcessing,
		paykit.EventWeb3PaymentDealOpened, paykit.EventWeb3PaymentCompleted}, w.eventTypes(t, w.tenant, p.ID))

	logs, total, err := w.svc.FindWeb3PaymentLogs(ctx, w.shop, p.ID, 0, 2)
	require.NoError(t, err)
	require.Equal(t, 4, total)
	require.Equal(t, []string{paykit.EventWeb3PaymentCompleted, paykit.EventWeb3PaymentDealOpened},
		[]string{logs[0].Type, logs[1].Type}, "newest first")

	// A deposit again is refused by the contract; nothing changes.
	again, err := w.chain.Deposit(w3Payer, wd.Call.Values()...)
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, again.Status)
	w.MustRunDue(t)
	w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
}

func TestWeb3Payment_WrongDeposit(t *testing.T) {
	w := mustWeb3(t)
	p := w.MustPayment(t, "order-1")
	w.MustRunDue(t)
	// A reverted deposit (the wrong amount) is no event: still processing.
	tx, err := w.chain.Deposit(w3Payer, "1", "12499999")
	require.NoError(t, err)
	require.Equal(t, paykit.ChainTxFailed, tx.Status)
	require.Equal(t, "WrongAmount(1, 12500000, 12499999)", tx.Reason)
	w.MustRunDue(t)
	w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
}

// TestWeb3Payment_Reorg: a deposit in a block that a reorganization drops
// before its confirmation is never seen; the payer's deposit on the new
// branch completes the payment.
func TestWeb3Payment_Reorg(t *testing.T) {
	w := mustWeb3(t, sandbox.WithManualMining(), sandbox.WithConfirmations(3))
	p := w.MustPayment(t, "order-1")
	w.MustRunDue(t)
	w.chain.Mine(3)
	w.MustRunDue(t)
	p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
	require.NotNil(t, p.DealOpenedAt)

	first := w.pay(t, p)
	w.chain.Mine(2) // mined, one block short of confirmed
	w.MustRunDue(t)
	w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
	w.chain.Reorg(2)
	w.chain.Mine(5)
	w.MustRunDue(t)
	w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)

	second := w.pay(t, p)
	require.NotEqual(t, first.Hash, second.Hash)
	w.chain.Mine(3)
	w.MustRunDue(t)
	p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
	require.Equal(t, second.Hash, p.TransactionHash)
}

func TestCancelWeb3Payment(t *testing.T) {
	t.Run("NotSent", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		p, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.Web3PaymentStatusCancelled, p.Status, "never on a chain: cancelled at once")
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
		require.Equal(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentCancelled}, w.eventTypes(t, w.tenant, p.ID))
	})
	t.Run("OnChain", func(t *testing.T) {
		w := mustWeb3(t, sandbox.WithManualMining())
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		w.chain.Mine(1)
		w.MustRunDue(t)
		p, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.Web3PaymentStatusCancelling, p.Status)
		again, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.Web3PaymentStatusCancelling, again.Status, "asking again changes nothing")
		w.MustRunDue(t) // cancelDeal sent
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelling)
		w.chain.Mine(1)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
		require.NotEmpty(t, p.CancelTxHash)
		// The contract refuses a deposit now.
		tx := w.pay(t, p)
		w.chain.Mine(1)
		require.Equal(t, paykit.ChainTxFailed, w.chainTx(t, tx.Hash).Status)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
		require.Equal(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentProcessing,
			paykit.EventWeb3PaymentDealOpened, paykit.EventWeb3PaymentCancelling, paykit.EventWeb3PaymentCancelled},
			w.eventTypes(t, w.tenant, p.ID))
	})
	t.Run("DepositFirst", func(t *testing.T) {
		w := mustWeb3(t, sandbox.WithManualMining())
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		w.chain.Mine(1)
		w.MustRunDue(t)
		w.pay(t, p) // in the pool
		_, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		w.MustRunDue(t) // cancelDeal: the deal is being paid
		w.chain.Mine(1)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
	})
	t.Run("WhileCreationInFlight", func(t *testing.T) {
		w := mustWeb3(t, sandbox.WithManualMining())
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t) // sent, not mined
		_, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		w.MustRunDue(t) // the cancellation follows the creation in the pool
		w.chain.Mine(1)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
	})
	t.Run("AfterFailedCreation", func(t *testing.T) {
		// A pending payment whose creation was sent may have a deal: it is
		// cancelling until the chain says there is none.
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		w.chain.RevertNext()
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
		p, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.Web3PaymentStatusCancelling, p.Status)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
		require.Empty(t, p.CancelTxHash, "nothing to cancel on the chain")
		require.Equal(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentProcessing,
			paykit.EventWeb3PaymentDealFailed, paykit.EventWeb3PaymentCancelling, paykit.EventWeb3PaymentCancelled},
			w.eventTypes(t, w.tenant, p.ID))
	})
	t.Run("Elsewhere", func(t *testing.T) {
		// Another process holding the gateway's key cancelled the deal: the
		// chain's event is the truth.
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		_, err := w.chain.CancelDeal(context.Background(), p.DealID)
		require.NoError(t, err)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCancelled)
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1", func(in *paykit.Web3PaymentCreate) { in.NodeID = w3Other })
		_, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		requireCode(t, paykit.EFORBIDDEN, err)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		w.clock.Add(time.Hour)
		_, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, p.ID)
		requireCode(t, paykit.ECONFLICT, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		w := mustWeb3(t)
		_, err := w.svc.CancelWeb3Payment(context.Background(), w.shop, "0190a0a0-0000-7000-8000-0000000000ff")
		requireCode(t, paykit.ENOTFOUND, err)
		other := paykit.NodeAccess{TenantID: w.MustTenant(t)}
		p := w.MustPayment(t, "order-1")
		_, err = w.svc.CancelWeb3Payment(context.Background(), other, p.ID)
		requireCode(t, paykit.ENOTFOUND, err) // another tenant's
	})
}

func (w *web3Env) chainTx(tb testing.TB, hash string) paykit.ChainTx {
	tb.Helper()
	tx, err := w.chain.Transaction(context.Background(), hash)
	require.NoError(tb, err)
	return tx
}

func TestWeb3Payment_Expiry(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		w.clock.Add(time.Hour - time.Microsecond)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
		w.clock.Add(time.Microsecond)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusExpired) // on read, before the sweep
		require.NotContains(t, w.eventTypes(t, w.tenant, p.ID), paykit.EventWeb3PaymentExpired)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusExpired)
		require.Equal(t, p.ExpiresAt, p.UpdatedAt)
		require.Contains(t, w.eventTypes(t, w.tenant, p.ID), paykit.EventWeb3PaymentExpired)
		// The contract refuses deposits from the expiry on.
		tx, err := w.chain.Deposit(w3Payer, "1", "12500000")
		require.NoError(t, err)
		require.Equal(t, paykit.ChainTxFailed, tx.Status)
		require.Equal(t, "DealExpired(1)", tx.Reason)
	})
	t.Run("LateConfirmation", func(t *testing.T) {
		// A deposit mined before the expiry, confirmed after it: the chain
		// decides, and the payment completes.
		w := mustWeb3(t, sandbox.WithManualMining(), sandbox.WithConfirmations(2))
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		w.chain.Mine(2)
		w.MustRunDue(t)
		w.clock.Add(time.Hour - time.Second)
		w.pay(t, p)
		w.chain.Mine(1)
		w.clock.Add(time.Second)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusExpired)
		w.chain.Mine(1)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
		require.NotEmpty(t, p.TransactionHash)
	})
	t.Run("NotWeb3", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1", func(in *paykit.Web3PaymentCreate) {
			in.Method, in.PaymentAddress = "bank_transfer", "TR330006100519786457841326"
		})
		require.Zero(t, p.DealID)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
		w.clock.Add(time.Hour)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusExpired)
	})
}

// TestWeb3Payment_CreationFails: a creation that reverts, or that the chain
// drops, leaves the payment pending with its DealError, until retry-send
// queues it again; a creation the contract refuses fails the payment.
func TestWeb3Payment_CreationFails(t *testing.T) {
	t.Run("Reverted", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		_, err := w.svc.RetryWeb3Payment(context.Background(), w.shop, p.ID)
		requireCode(t, paykit.ECONFLICT, err) // queued already
		w.chain.RevertNext()
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
		require.Equal(t, "The deal's creation reverted: Reverted", p.DealError)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending) // not sent again by itself

		p, err = w.svc.RetryWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		require.True(t, p.Retry)
		require.Equal(t, 1, p.RetryCount)
		require.Empty(t, p.DealError)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
		require.NotNil(t, p.DealOpenedAt)
		require.Equal(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentProcessing,
			paykit.EventWeb3PaymentDealFailed, paykit.EventWeb3PaymentRetried, paykit.EventWeb3PaymentProcessing,
			paykit.EventWeb3PaymentDealOpened}, w.eventTypes(t, w.tenant, p.ID))
		w.pay(t, p)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusCompleted)
	})
	t.Run("Dropped", func(t *testing.T) {
		w := mustWeb3(t, sandbox.WithManualMining(), sandbox.WithConfirmations(2))
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		w.chain.Mine(1)
		w.chain.Reorg(1) // the creation's block is gone, and the creation with it
		w.MustRunDue(t)
		w.clock.Add(paykit.DealDropAfter - time.Second)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
		w.clock.Add(time.Minute) // the next look
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
		require.Contains(t, p.DealError, "dropped")
		_, err := w.svc.RetryWeb3Payment(context.Background(), w.shop, p.ID)
		require.NoError(t, err)
		w.MustRunDue(t)
		w.chain.Mine(2)
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
		require.NotNil(t, p.DealOpenedAt)
	})
	t.Run("Refused", func(t *testing.T) {
		w := mustWeb3(t)
		// Another deal holds id 1 on the contract (a database that shares it).
		_, err := w.chain.CreateDeal(context.Background(), paykit.Deal{ID: 1, Token: w3Token, Price: big.NewInt(1),
			Payee: w3Payee, ExpiresAt: w.clock.Now().Add(time.Hour)})
		require.NoError(t, err)
		p := w.MustPayment(t, "order-1")
		w.MustRunDue(t)
		p = w.requireStatus(t, p.ID, paykit.Web3PaymentStatusFailed)
		require.Contains(t, p.FailureReason, "Another deal with this id exists")
		_, err = w.svc.RetryWeb3Payment(context.Background(), w.shop, p.ID)
		requireCode(t, paykit.ECONFLICT, err)
		// The other deal's deposit is not this payment's.
		_, err = w.chain.Deposit(w3Payer, "1", "1")
		require.NoError(t, err)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusFailed)
	})
	t.Run("NodeDown", func(t *testing.T) {
		w := mustWeb3(t)
		p := w.MustPayment(t, "order-1")
		w.chain.Fail(errors.New("connection refused"))
		w.MustRunDue(t) // logged; tried again when the lease ends
		w.chain.Fail(nil)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusPending)
		w.clock.Add(time.Minute)
		w.MustRunDue(t)
		w.requireStatus(t, p.ID, paykit.Web3PaymentStatusProcessing)
	})
}

func TestAuthenticateWidget(t *testing.T) {
	w := mustWeb3(t)
	ctx := context.Background()
	p := w.MustPayment(t, "order-1")
	q := w.MustPayment(t, "order-2")
	_, err := w.svc.AuthenticateWidget(ctx, p.ID, p.AccessToken)
	require.NoError(t, err)
	_, err = w.svc.AuthenticateWidget(ctx, p.ID, q.AccessToken)
	requireCode(t, paykit.EUNAUTHORIZED, err) // another payment's
	_, err = w.svc.AuthenticateWidget(ctx, p.ID, p.AccessToken+"x")
	requireCode(t, paykit.EUNAUTHORIZED, err)
	w.clock.Add(time.Hour)
	_, err = w.svc.AuthenticateWidget(ctx, p.ID, p.AccessToken)
	requireCode(t, paykit.EUNAUTHORIZED, err) // expired with the payment
}

func TestFindWeb3Payments(t *testing.T) {
	w := mustWeb3(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		w.MustPayment(t, id)
		w.clock.Add(time.Second)
	}
	w.MustPayment(t, "d", func(in *paykit.Web3PaymentCreate) { in.NodeID = w3Other })
	shop := w3Shop
	ps, total, err := w.svc.FindWeb3Payments(ctx, w.shop, paykit.Web3PaymentFilter{NodeID: &shop, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Equal(t, []string{"c", "b"}, []string{ps[0].ExternalID, ps[1].ExternalID})
	ps, _, err = w.svc.FindWeb3Payments(ctx, w.shop, paykit.Web3PaymentFilter{NodeID: &shop, Limit: 2, Offset: 2})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	other := w3Other
	_, _, err = w.svc.FindWeb3Payments(ctx, w.shop, paykit.Web3PaymentFilter{NodeID: &other})
	requireCode(t, paykit.EFORBIDDEN, err)
	_, _, err = w.svc.FindWeb3Payments(ctx, w.shop, paykit.Web3PaymentFilter{})
	requireCode(t, paykit.EINVALID, err)
}

func TestAuthenticateNode(t *testing.T) {
	w := mustWeb3(t)
	ctx := context.Background()
	_, err := w.svc.CreateAPIKey(ctx, w.tenant, "owner-key")
	require.NoError(t, err)
	_, err = w.svc.CreateNodeAPIKey(ctx, w.tenant, w3Shop, "shop-key")
	require.NoError(t, err)
	a, err := w.svc.AuthenticateNode(ctx, "owner-key")
	require.NoError(t, err)
	require.Equal(t, paykit.NodeAccess{TenantID: w.tenant}, a)
	a, err = w.svc.AuthenticateNode(ctx, "shop-key")
	require.NoError(t, err)
	require.Equal(t, w.shop, a)
	_, err = w.svc.AuthenticateNode(ctx, "nope")
	requireCode(t, paykit.EUNAUTHORIZED, err)
	ok, err := w.svc.NodeReaches(ctx, a, w3Shop)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = w.svc.NodeReaches(ctx, a, w3Root)
	require.NoError(t, err)
	require.False(t, ok)
}

// TestWeb3Payment_Invariants breaks each invariant of web3 payments in the
// database file and requires CheckInvariants to name it.
func TestWeb3Payment_Invariants(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt string // on the completed payment ?1, its transfer ?2, the pending payment ?3
		want    string // with %[1]s the completed payment, %[2]s its transfer, %[3]s the pending one
	}{
		{"TransferVoided", `UPDATE transfers SET status = 'voided' WHERE id = ?2`,
			"web3 payment %[1]s (completed): its transfer %[2]s is voided, not posted"},
		{"TransferAmount", `UPDATE transfers SET amount = 1 WHERE id = ?2`,
			"web3 payment %[1]s (completed) of 12.500000 USDT: its transfer %[2]s is of 0.000001 USDT"},
		{"TransferMissing", `UPDATE web3_payments SET transfer_id = '' WHERE id = ?1`,
			"web3 payment %[1]s (completed) has no transfer"},
		{"NoDepositHash", `UPDATE web3_payments SET transaction_hash = '' WHERE id = ?1`,
			"web3 payment %[1]s (completed) has no deposit transaction hash"},
		{"PendingWithTransfer", `UPDATE web3_payments SET transfer_id = (SELECT transfer_id FROM web3_payments WHERE id = ?1) WHERE id = ?3`,
			"web3 payment %[3]s (pending) has the transfer"},
		{"NoDeal", `UPDATE web3_payments SET deal_id = 0 WHERE id = ?3`,
			"web3 payment %[3]s (pending) paid by web3 has the deal 0"},
		{"UnknownStatus", `UPDATE web3_payments SET status = 'lost' WHERE id = ?3`,
			"web3 payment %[3]s (lost) has an unknown status"},
		{"NoAccessToken", `UPDATE web3_payments SET access_token_sealed = '' WHERE id = ?3`,
			"web3 payment %[3]s (pending) has no access token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustWeb3Unchecked(t)
			done := w.MustPayment(t, "paid")
			w.MustRunDue(t)
			w.pay(t, done)
			w.MustRunDue(t)
			done = w.requireStatus(t, done.ID, paykit.Web3PaymentStatusCompleted)
			w.chain.Fail(errors.New("down")) // keeps the other one pending
			open := w.MustPayment(t, "open")
			require.NoError(t, w.svc.CheckInvariants(context.Background(), w.tenant))

			w.mustExec(t, tc.corrupt, done.ID, done.TransferID, open.ID)
			err := w.svc.CheckInvariants(context.Background(), w.tenant)
			requireCode(t, paykit.EINTERNAL, err)
			require.Contains(t, paykit.ErrorMessage(err), fmt.Sprintf(tc.want, done.ID, done.TransferID, open.ID))
		})
	}
}

// TestWeb3Payment_Webhooks: every change of a payment goes to the tenant's
// webhook endpoints through the engine, and no delivery carries its access
// token.
func TestWeb3Payment_Webhooks(t *testing.T) {
	w := mustWeb3(t)
	rc := newReceiver(t, ok)
	w.mustEndpoint(t, w.tenant, rc.URL, nil)
	p := w.MustPayment(t, "order-1")
	w.MustRunDue(t)
	w.pay(t, p)
	w.MustRunDue(t)
	var types []string
	for _, r := range rc.requests() {
		var body struct {
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body), "%s", r.Body)
		if strings.HasPrefix(body.Type, "web3payment.") {
			types = append(types, body.Type)
		}
		require.NotContains(t, string(r.Body), p.AccessToken)
	}
	// Deliveries run concurrently: each event once, in any order.
	require.ElementsMatch(t, []string{paykit.EventWeb3PaymentCreated, paykit.EventWeb3PaymentProcessing,
		paykit.EventWeb3PaymentDealOpened, paykit.EventWeb3PaymentCompleted}, types)
}
