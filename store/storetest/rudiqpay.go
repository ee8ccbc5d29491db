package storetest

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// RudiqPay's nouns: nodes and their keys, the chain registries and web3
// payments.

// MustNode creates a node of the tenant under parentID ("" for a root).
func MustNode(tb testing.TB, s paykit.Store, tenantID, parentID string) *paykit.Node {
	tb.Helper()
	n := &paykit.Node{ID: NewID(), TenantID: tenantID, ParentID: parentID, Name: "Node", CreatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateNode(context.Background(), n) }))
	return n
}

// Chain is a network with a currency and a contract.
type Chain struct {
	Network  *paykit.Network
	Currency *paykit.ChainCurrency
	Contract *paykit.ChainContract
}

// MustChain creates a network with a random chain id, its USDT and its
// contract, whose first deal id is 1.
func MustChain(tb testing.TB, s paykit.Store) Chain {
	tb.Helper()
	ctx := context.Background()
	c := Chain{Network: &paykit.Network{ID: NewID(), ChainID: 1 + rand.Uint64N(1<<62), Name: "Net", CreatedAt: Base}}
	c.Currency = &paykit.ChainCurrency{ID: NewID(), NetworkID: c.Network.ID, Symbol: "USDT",
		TokenAddress: "0xdAC17F958D2ee523a2206206994597C13D831ec7", Decimals: 6, CreatedAt: Base}
	c.Contract = &paykit.ChainContract{ID: NewID(), NetworkID: c.Network.ID, Address: "0x00000000000000000000000000000000000e5c70",
		NextDealID: 1, CreatedAt: Base, UpdatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error {
		if err := tx.CreateNetwork(ctx, c.Network); err != nil {
			return err
		}
		if err := tx.CreateChainCurrency(ctx, c.Currency); err != nil {
			return err
		}
		return tx.CreateChainContract(ctx, c.Contract)
	}))
	return c
}

// MustWeb3Payment creates a pending web3 payment of node on c, with every
// field set and the next deal id; opts adjust it before it is stored.
func MustWeb3Payment(tb testing.TB, s paykit.Store, node *paykit.Node, c Chain, opts ...func(*paykit.Web3Payment)) *paykit.Web3Payment {
	tb.Helper()
	ctx := context.Background()
	id := NewID()
	price := paykit.MoneyFromMinor(12_500_000, "USDT")
	p := &paykit.Web3Payment{ID: id, TenantID: node.TenantID, NodeID: node.ID, ExternalID: "ext-" + id, ChainID: NewID(),
		NetworkID: c.Network.ID, WalletID: NewID(), MemberID: NewID(), Member: map[string]string{"name": "Ada", "email": "ada@example.com"},
		CurrencyID: c.Currency.ID, Price: price, PaidPrice: paykit.MoneyFromMinor(12_000_000, "USDT"),
		Method: paykit.Web3PaymentMethodWeb3, Group: paykit.Web3PaymentGroupProduct,
		PaymentAddress: "0x00000000000000000000000000000000000000b2",
		Items:          []paykit.Web3PaymentItem{{Name: "Logo", Price: price, ExternalID: "sku-1"}}, Metadata: "m",
		ExpiresAt: Base.Add(time.Hour), RetryCount: 2, ClientIP: "203.0.113.7", Status: paykit.Web3PaymentStatusPending,
		ContractID: c.Contract.ID, AccessTokenHash: []byte(id), AccessTokenSealed: "plain:at_" + id,
		CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(p)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error {
		if p.ContractID != "" && p.DealID == 0 {
			var err error
			if p.DealID, err = tx.TakeDealID(ctx, p.ContractID); err != nil {
				return err
			}
		}
		return tx.CreateWeb3Payment(ctx, p)
	}))
	return p
}

func testNodes(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	root := MustNode(t, s, tn.ID, "")
	child := MustNode(t, s, tn.ID, root.ID)
	got, err := s.FindNodeByID(ctx, tn.ID, child.ID)
	require.NoError(t, err)
	require.Equal(t, child, got)
	_, err = s.FindNodeByID(ctx, other.ID, child.ID)
	RequireCode(t, err, paykit.ENOTFOUND)
	RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateNode(ctx, child) }), paykit.ECONFLICT)
	// The same ID in another tenant is another node.
	c := *child
	c.TenantID, c.ParentID = other.ID, ""
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateNode(ctx, &c) }))

	key := &paykit.APIKey{ID: NewID(), TenantID: tn.ID, Hash: []byte(NewID()), Prefix: "pk", CreatedAt: Base}
	nk := &paykit.NodeKey{APIKeyID: key.ID, TenantID: tn.ID, NodeID: child.ID, CreatedAt: Base}
	require.NoError(t, inTx(s, func(tx paykit.Tx) error {
		if err := tx.CreateAPIKey(ctx, key); err != nil {
			return err
		}
		return tx.CreateNodeKey(ctx, nk)
	}))
	gotKey, err := s.FindNodeKey(ctx, key.ID)
	require.NoError(t, err)
	require.Equal(t, nk, gotKey)
	_, err = s.FindNodeKey(ctx, NewID())
	RequireCode(t, err, paykit.ENOTFOUND)
}

func testChainRegistries(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	c := MustChain(t, s)
	n, err := s.FindNetworkByID(ctx, c.Network.ID)
	require.NoError(t, err)
	require.Equal(t, c.Network, n)
	cur, err := s.FindChainCurrencyByID(ctx, c.Currency.ID)
	require.NoError(t, err)
	require.Equal(t, c.Currency, cur)
	k, err := s.FindChainContractByNetwork(ctx, c.Network.ID)
	require.NoError(t, err)
	require.Equal(t, c.Contract, k)
	k, err = s.FindChainContractByID(ctx, c.Contract.ID)
	require.NoError(t, err)
	require.Equal(t, c.Contract, k)
	for _, err := range []error{
		func() error { _, err := s.FindNetworkByID(ctx, NewID()); return err }(),
		func() error { _, err := s.FindChainCurrencyByID(ctx, NewID()); return err }(),
		func() error { _, err := s.FindChainContractByNetwork(ctx, NewID()); return err }(),
		func() error { _, err := s.FindChainContractByID(ctx, NewID()); return err }(),
	} {
		RequireCode(t, err, paykit.ENOTFOUND)
	}

	t.Run("Conflicts", func(t *testing.T) {
		sameChain := &paykit.Network{ID: NewID(), ChainID: c.Network.ChainID, Name: "Again", CreatedAt: Base}
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateNetwork(ctx, sameChain) }), paykit.ECONFLICT)
		// A token once per network, however it is cased.
		sameToken := *c.Currency
		sameToken.ID, sameToken.TokenAddress = NewID(), "0xdac17f958d2ee523a2206206994597c13d831ec7"
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateChainCurrency(ctx, &sameToken) }), paykit.ECONFLICT)
		second := *c.Contract
		second.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateChainContract(ctx, &second) }), paykit.ECONFLICT)
	})

	t.Run("TakeDealID", func(t *testing.T) {
		c := MustChain(t, s)
		var ids []paykit.DealID
		for range 3 {
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				id, err := tx.TakeDealID(ctx, c.Contract.ID)
				ids = append(ids, id)
				return err
			}))
		}
		require.Equal(t, []paykit.DealID{1, 2, 3}, ids)
		// A rolled back transaction gives its id back.
		require.Error(t, s.InTx(ctx, func(tx paykit.Tx) error {
			_, err := tx.TakeDealID(ctx, c.Contract.ID)
			require.NoError(t, err)
			return paykit.Errorf(paykit.ECONFLICT, "rolled back")
		}))
		k, err := s.FindChainContractByID(ctx, c.Contract.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.DealID(4), k.NextDealID)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { _, err := tx.TakeDealID(ctx, NewID()); return err }), paykit.ENOTFOUND)
	})

	t.Run("UpdateChainCursor", func(t *testing.T) {
		c := MustChain(t, s)
		at := Base.Add(time.Minute)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateChainCursor(ctx, c.Contract.ID, "", "17", at) }))
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateChainCursor(ctx, c.Contract.ID, "", "18", at) }), paykit.ECONFLICT)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateChainCursor(ctx, c.Contract.ID, "17", "18", at) }))
		k, err := s.FindChainContractByID(ctx, c.Contract.ID)
		require.NoError(t, err)
		require.Equal(t, "18", k.Cursor)
		require.Equal(t, at, k.UpdatedAt)
	})
}

func testWeb3Payments(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	c := MustChain(t, s)

	t.Run("RoundTrip", func(t *testing.T) {
		tn := MustTenant(t, s)
		node := MustNode(t, s, tn.ID, "")
		p := MustWeb3Payment(t, s, node, c)
		got, err := s.FindWeb3PaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)

		at := Base.Add(time.Minute)
		p.Status, p.Retry, p.RetryCount, p.DealTxHash, p.DealError = paykit.Web3PaymentStatusCompleted, true, 3, "0xaa", "e"
		p.DealOpenedAt, p.CancelTxHash, p.TransactionHash, p.Payer = &at, "0xbb", "0xcc", "0x00000000000000000000000000000000000000c3"
		p.FailureReason, p.TransferID, p.SentAt, p.CompletedAt, p.CancelledAt = "r", NewID(), &at, &at, &at
		p.LeaseUntil, p.UpdatedAt = &at, at
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateWeb3Payment(ctx, p) }))
		got, err = s.FindWeb3PaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)

		got, err = s.FindWeb3PaymentByDeal(ctx, c.Contract.ID, p.DealID)
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
		got, err = s.FindWeb3PaymentByAccessToken(ctx, p.AccessTokenHash)
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)

		_, err = s.FindWeb3PaymentByID(ctx, MustTenant(t, s).ID, p.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindWeb3PaymentByDeal(ctx, c.Contract.ID, 1<<40)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindWeb3PaymentByAccessToken(ctx, []byte("nope"))
		RequireCode(t, err, paykit.ENOTFOUND)
		missing := *p
		missing.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateWeb3Payment(ctx, &missing) }), paykit.ENOTFOUND)
	})

	t.Run("NotWeb3", func(t *testing.T) {
		tn := MustTenant(t, s)
		node := MustNode(t, s, tn.ID, "")
		p := MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) {
			p.Method, p.ContractID, p.Member, p.Items = paykit.Web3PaymentMethodCreditCard, "", nil, []paykit.Web3PaymentItem{}
		})
		got, err := s.FindWeb3PaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		require.Zero(t, got.DealID)
	})

	t.Run("Conflicts", func(t *testing.T) {
		tn := MustTenant(t, s)
		node, other := MustNode(t, s, tn.ID, ""), MustNode(t, s, tn.ID, "")
		p := MustWeb3Payment(t, s, node, c)
		again := func(edit func(*paykit.Web3Payment)) error {
			q := *p
			q.ID, q.DealID, q.AccessTokenHash = NewID(), 0, []byte(NewID())
			edit(&q)
			return inTx(s, func(tx paykit.Tx) error { return tx.CreateWeb3Payment(ctx, &q) })
		}
		err := again(func(q *paykit.Web3Payment) { q.ContractID = "" })
		RequireCode(t, err, paykit.ECONFLICT)
		require.Contains(t, paykit.ErrorFields(err), "externalId")
		// Per node: the same external id in another node is another payment.
		require.NoError(t, again(func(q *paykit.Web3Payment) { q.NodeID, q.ContractID = other.ID, "" }))
		err = again(func(q *paykit.Web3Payment) { q.ExternalID, q.DealID = NewID(), p.DealID })
		RequireCode(t, err, paykit.ECONFLICT)
		require.NotContains(t, paykit.ErrorFields(err), "externalId")
		err = again(func(q *paykit.Web3Payment) {
			q.ExternalID, q.ContractID, q.AccessTokenHash = NewID(), "", p.AccessTokenHash
		})
		RequireCode(t, err, paykit.ECONFLICT)
	})

	t.Run("FindWeb3Payments", func(t *testing.T) {
		tn := MustTenant(t, s)
		node, other := MustNode(t, s, tn.ID, ""), MustNode(t, s, tn.ID, "")
		wallet := NewID()
		var ps []*paykit.Web3Payment
		for i := range 4 {
			ps = append(ps, MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) {
				p.CreatedAt = Base.Add(time.Duration(i) * time.Second)
				if i%2 == 0 {
					p.WalletID = wallet
				}
			}))
		}
		MustWeb3Payment(t, s, other, c)
		ids := func(ps []*paykit.Web3Payment) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}
		page, total, err := s.FindWeb3Payments(ctx, tn.ID, paykit.Web3PaymentFilter{NodeID: &node.ID, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, []string{ps[3].ID, ps[2].ID, ps[1].ID}, ids(page), "newest first")
		page, _, err = s.FindWeb3Payments(ctx, tn.ID, paykit.Web3PaymentFilter{NodeID: &node.ID, Limit: 3, Offset: 3})
		require.NoError(t, err)
		require.Equal(t, []string{ps[0].ID}, ids(page))
		page, total, err = s.FindWeb3Payments(ctx, tn.ID, paykit.Web3PaymentFilter{NodeID: &node.ID, WalletID: &wallet})
		require.NoError(t, err)
		require.Equal(t, 2, total)
		require.Equal(t, []string{ps[2].ID, ps[0].ID}, ids(page))
		_, total, err = s.FindWeb3Payments(ctx, tn.ID, paykit.Web3PaymentFilter{NetworkID: &c.Network.ID})
		require.NoError(t, err)
		require.Equal(t, 5, total, "the whole tenant without a node")
		none := NewID()
		page, total, err = s.FindWeb3Payments(ctx, tn.ID, paykit.Web3PaymentFilter{NetworkID: &none})
		require.NoError(t, err)
		require.Zero(t, total)
		require.Empty(t, page)
	})

	t.Run("FindWeb3PaymentEvents", func(t *testing.T) {
		tn := MustTenant(t, s)
		p := MustWeb3Payment(t, s, MustNode(t, s, tn.ID, ""), c)
		for i, typ := range []string{"web3payment.created", "web3payment.processing", "web3payment.completed"} {
			ev := &paykit.Event{ID: NewID(), TenantID: tn.ID, Type: typ, SubjectID: p.ID, Data: json.RawMessage(`{}`),
				CreatedAt: Base.Add(time.Duration(i) * time.Second)}
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.AppendEvent(ctx, ev) }))
		}
		evs, total, err := s.FindWeb3PaymentEvents(ctx, tn.ID, p.ID, 1, 10)
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Equal(t, []string{"web3payment.processing", "web3payment.created"}, []string{evs[0].Type, evs[1].Type})
		_, total, err = s.FindWeb3PaymentEvents(ctx, MustTenant(t, s).ID, p.ID, 0, 10)
		require.NoError(t, err)
		require.Zero(t, total)
	})

	t.Run("FindExpiredWeb3Payments", func(t *testing.T) {
		c := MustChain(t, s) // a network of its own: the sweep sees every tenant's
		tn := MustTenant(t, s)
		node := MustNode(t, s, tn.ID, "")
		due := MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) { p.ExpiresAt = Base.Add(-time.Hour) })
		processing := MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) {
			p.ExpiresAt, p.Status = Base.Add(-2*time.Hour), paykit.Web3PaymentStatusProcessing
		})
		MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) {
			p.ExpiresAt, p.Status = Base.Add(-3*time.Hour), paykit.Web3PaymentStatusCancelling
		})
		MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) { p.ExpiresAt = Base.Add(time.Microsecond) })
		ps, err := s.FindExpiredWeb3Payments(ctx, Base, 1000)
		require.NoError(t, err)
		var mine []string
		for _, p := range ps {
			if p.TenantID == tn.ID {
				mine = append(mine, p.ID)
			}
		}
		require.Equal(t, []string{processing.ID, due.ID}, mine, "oldest expiry first")
	})

	t.Run("ClaimWeb3Payments", func(t *testing.T) {
		tn := MustTenant(t, s)
		node := MustNode(t, s, tn.ID, "")
		now := Base.Add(24 * 365 * time.Hour) // later than every other subtest's rows' leases
		exp := now.Add(time.Hour)
		mk := func(edit func(p *paykit.Web3Payment)) *paykit.Web3Payment {
			return MustWeb3Payment(t, s, node, c, func(p *paykit.Web3Payment) {
				p.ExpiresAt = exp
				edit(p)
			})
		}
		send := mk(func(p *paykit.Web3Payment) {})
		mk(func(p *paykit.Web3Payment) { p.DealError = "reverted" })                   // needs a retry
		mk(func(p *paykit.Web3Payment) { p.ExpiresAt = now })                          // expired
		mk(func(p *paykit.Web3Payment) { p.Method, p.ContractID = "credit_card", "" }) // not on a chain
		check := mk(func(p *paykit.Web3Payment) { p.Status, p.DealTxHash = paykit.Web3PaymentStatusProcessing, "0xaa" })
		mk(func(p *paykit.Web3Payment) {
			p.Status, p.DealTxHash, p.DealOpenedAt = paykit.Web3PaymentStatusProcessing, "0xaa", &now // opened
		})
		cancel := mk(func(p *paykit.Web3Payment) { p.Status = paykit.Web3PaymentStatusCancelling })
		mk(func(p *paykit.Web3Payment) { p.Status = paykit.Web3PaymentStatusCancelled })

		claim := func(work paykit.Web3Work, at time.Time) []string {
			var out []string
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				ps, err := tx.ClaimWeb3Payments(ctx, work, at, at.Add(time.Minute), 1000)
				for _, p := range ps {
					if p.TenantID == tn.ID {
						require.Equal(t, at.Add(time.Minute), *p.LeaseUntil)
						out = append(out, p.ID)
					}
				}
				return err
			}))
			return out
		}
		require.Equal(t, []string{send.ID}, claim(paykit.Web3WorkSend, now))
		require.Equal(t, []string{check.ID}, claim(paykit.Web3WorkCheck, now))
		require.Equal(t, []string{cancel.ID}, claim(paykit.Web3WorkCancel, now))
		require.Empty(t, claim(paykit.Web3WorkSend, now.Add(time.Minute-time.Microsecond)), "leased")
		require.Equal(t, []string{send.ID}, claim(paykit.Web3WorkSend, now.Add(time.Minute)), "the lease ended")
	})
}
