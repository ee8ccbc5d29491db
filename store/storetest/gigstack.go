package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// The nouns of a team that sells: billing accounts and teams, clients,
// products, and the charge side of payments.

func testTeams(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	ba := &paykit.BillingAccount{ID: "ba_" + NewID(), Name: "Main", CreatedAt: Base}
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateBillingAccount(ctx, ba) }))
	got, err := s.FindBillingAccountByID(ctx, ba.ID)
	require.NoError(t, err)
	require.Equal(t, ba, got)
	RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateBillingAccount(ctx, ba) }), paykit.ECONFLICT)
	_, err = s.FindBillingAccountByID(ctx, NewID())
	RequireCode(t, err, paykit.ENOTFOUND)

	var teams []*paykit.Team
	for i, meta := range []string{`{"vendor_code":"ABC123"}`, `{"vendor_code":123}`, `{}`} {
		tn := MustTenant(t, s)
		tm := &paykit.Team{TenantID: tn.ID, Name: tn.Name, BillingAccountID: ba.ID, Master: i == 0,
			Metadata: json.RawMessage(meta), CreatedAt: Base, UpdatedAt: Base,
			Split: paykit.SplitBilling{Enabled: i == 0, MasterPercent: decimal.RequireFromString("12.5"),
				MetadataKeys: []string{"vendor_id"}, MasterClient: paykit.SplitClientMaster, ConnectClient: paykit.SplitClientConnect}}
		if i == 0 {
			tm.Fiscal = &paykit.FiscalIdentity{RFC: "EKU9003173C9", LegalName: "ESCUELA KEMPER URGATE", TaxSystem: "601", Zip: "42501"}
		}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutTeam(ctx, tm) }))
		teams = append(teams, tm)
	}
	t.Run("Find", func(t *testing.T) {
		got, err := s.FindTeam(ctx, teams[0].TenantID)
		require.NoError(t, err)
		require.Equal(t, teams[0].Split.MasterPercent.String(), got.Split.MasterPercent.String())
		got.Split.MasterPercent = teams[0].Split.MasterPercent
		require.Equal(t, teams[0], got)
		_, err = s.FindTeam(ctx, MustTenant(t, s).ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("Put", func(t *testing.T) {
		upd := *teams[2]
		upd.Master, upd.UpdatedAt = true, Base.Add(time.Hour)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutTeam(ctx, &upd) }))
		got, err := s.FindTeam(ctx, upd.TenantID)
		require.NoError(t, err)
		require.True(t, got.Master)
		require.Equal(t, upd.UpdatedAt, got.UpdatedAt)
	})
	t.Run("FindTeams", func(t *testing.T) {
		all, err := s.FindTeams(ctx, paykit.TeamFilter{BillingAccountID: ba.ID, Limit: 10})
		require.NoError(t, err)
		require.Len(t, all, 3)
		for i := 1; i < len(all); i++ {
			require.Less(t, all[i-1].TenantID, all[i].TenantID)
		}
		page, err := s.FindTeams(ctx, paykit.TeamFilter{BillingAccountID: ba.ID, After: all[0].TenantID, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []string{all[1].TenantID}, []string{page[0].TenantID})
		// Metadata matches strings exactly, never a number's text.
		m, err := s.FindTeams(ctx, paykit.TeamFilter{BillingAccountID: ba.ID, MetadataKey: "vendor_code", MetadataValue: "ABC123", Limit: 10})
		require.NoError(t, err)
		require.Len(t, m, 1)
		require.Equal(t, teams[0].TenantID, m[0].TenantID)
		m, err = s.FindTeams(ctx, paykit.TeamFilter{BillingAccountID: ba.ID, MetadataKey: "vendor_code", MetadataValue: "123", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, m)
		none, err := s.FindTeams(ctx, paykit.TeamFilter{BillingAccountID: "", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

func testClients(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	var all []*paykit.Client
	for i := range 5 {
		c := &paykit.Client{ID: NewID(), TenantID: tn.ID, Name: "Client " + NewID()[30:], Email: "c@example.com", Phone: "+52",
			RFC: "ROSM850315QT8", LegalName: "Legal", TaxSystem: "612", Use: "G03",
			Address: paykit.Address{Street: "Av. 1", Zip: "06100", Country: "MEX"}, Metadata: json.RawMessage(`{"a":1}`),
			From: "api", Livemode: i%2 == 0, CreatedAt: Base.Add(time.Duration(i/2) * time.Second), UpdatedAt: Base}
		if i == 4 {
			c.Email, c.RFC = "other@example.com", ""
		}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateClient(ctx, c) }))
		all = append(all, c)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := s.FindClientByID(ctx, tn.ID, all[0].ID)
		require.NoError(t, err)
		require.Equal(t, all[0], got)
		_, err = s.FindClientByID(ctx, other.ID, all[0].ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateClient(ctx, all[0]) }), paykit.ECONFLICT)
	})
	t.Run("FindClients", func(t *testing.T) {
		page, n, err := s.FindClients(ctx, tn.ID, paykit.ClientFilter{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 5, n)
		require.Len(t, page, 3)
		for i := 1; i < len(page); i++ {
			a, b := page[i-1], page[i]
			require.True(t, a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID)
		}
		rest, _, err := s.FindClients(ctx, tn.ID, paykit.ClientFilter{After: page[2].ID, Limit: 3})
		require.NoError(t, err)
		require.Len(t, rest, 2)
		email := "other@example.com"
		byEmail, n, err := s.FindClients(ctx, tn.ID, paykit.ClientFilter{Email: &email, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, all[4].ID, byEmail[0].ID)
		rfc, q := "ROSM850315QT8", "LEGAL"
		_, n, err = s.FindClients(ctx, tn.ID, paykit.ClientFilter{RFC: &rfc, Search: &q, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 4, n)
		none, _, err := s.FindClients(ctx, tn.ID, paykit.ClientFilter{After: NewID(), Limit: 3})
		require.NoError(t, err)
		require.Empty(t, none)
	})
	t.Run("UpdateDelete", func(t *testing.T) {
		c := *all[1]
		c.Name, c.Address.City, c.UpdatedAt = "Renamed", "CDMX", Base.Add(time.Hour)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateClient(ctx, &c) }))
		got, err := s.FindClientByID(ctx, tn.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, &c, got)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteClient(ctx, tn.ID, c.ID) }))
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteClient(ctx, tn.ID, c.ID) }), paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateClient(ctx, &c) }), paykit.ENOTFOUND)
	})
}

func testProducts(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	p := &paykit.Product{ID: NewID(), TenantID: tn.ID, Name: "Hosting", Description: "d", Price: paykit.MoneyFromMinor(150000, "MXN"),
		ProductKey: "81112100", UnitKey: "E48", UnitName: "Unidad de servicio", SKU: "H-1",
		Taxes:    []paykit.Tax{{Type: paykit.TaxIVA, Rate: decimal.RequireFromString("0.16"), Factor: paykit.TaxFactorRate, Inclusive: true}},
		Metadata: json.RawMessage(`{}`), CreatedAt: Base, UpdatedAt: Base}
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateProduct(ctx, p) }))
	got, err := s.FindProductByID(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.Equal(t, p.Taxes[0].Rate.String(), got.Taxes[0].Rate.String())
	got.Taxes[0].Rate = p.Taxes[0].Rate
	require.Equal(t, p, got)
	RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateProduct(ctx, p) }), paykit.ECONFLICT)
	_, err = s.FindProductByID(ctx, MustTenant(t, s).ID, p.ID)
	RequireCode(t, err, paykit.ENOTFOUND)
	list, n, err := s.FindProducts(ctx, tn.ID, paykit.ProductFilter{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, list, 1)
}

// MustCharge creates a charge payment with every charge column set; opts
// adjust it before it is stored.
func MustCharge(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Payment)) *paykit.Payment {
	tb.Helper()
	p := &paykit.Payment{ID: NewID(), TenantID: tenantID, Type: paykit.PaymentTypeCharge,
		Status: paykit.PaymentStatusRequiresPaymentMethod, Amount: paykit.MoneyFromMinor(150000, "MXN"),
		Destination: paykit.Party{AccountID: NewID()}, Source: paykit.Party{ExternalStorage: "sandbox"},
		TransferID: NewID(), RailReference: "pi_1", SubmittedAt: &Base, CreatedAt: Base, UpdatedAt: Base,
		Charge: &paykit.Charge{ClientID: "c1", Client: &paykit.Client{ID: "c1", TenantID: tenantID, RFC: "ROSM850315QT8",
			Metadata: json.RawMessage(`{}`), CreatedAt: Base, UpdatedAt: Base},
			Exchange: decimal.NewFromInt(1), Metadata: json.RawMessage(`{"internalId":"INV-1"}`), InternalID: "INV-" + NewID(),
			Automations: []paykit.Automation{}, LinkToken: "tok_" + NewID(), Processor: "sandbox", Date: Base}}
	for _, o := range opts {
		o(p)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(context.Background(), p) }))
	return p
}

func testCharges(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	p := MustCharge(t, s, tn.ID)
	t.Run("OK", func(t *testing.T) {
		got, err := s.FindPaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p.Charge.InternalID, got.Charge.InternalID)
		require.Equal(t, p.Charge.Client, got.Charge.Client)
		got, err = s.FindPaymentByLinkToken(ctx, p.Charge.LinkToken)
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
		_, err = s.FindPaymentByLinkToken(ctx, "nope")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPaymentByLinkToken(ctx, "")
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflictInternalID", func(t *testing.T) {
		dup := *p
		ch := *p.Charge
		dup.ID, dup.Charge, ch.LinkToken = NewID(), &ch, "tok_"+NewID()
		err := inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(ctx, &dup) })
		RequireCode(t, err, paykit.ECONFLICT)
		require.Contains(t, paykit.ErrorFields(err), "charge.internalId")
		// Another tenant may use it.
		MustCharge(t, s, other.ID, func(q *paykit.Payment) { q.Charge.InternalID = p.Charge.InternalID })
		// And a taken ID is not an internal ID's clash.
		again := *p
		ch2 := *p.Charge
		again.Charge, ch2.InternalID, ch2.LinkToken = &ch2, "INV-"+NewID(), "tok_"+NewID()
		err = inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(ctx, &again) })
		RequireCode(t, err, paykit.ECONFLICT)
		require.NotContains(t, paykit.ErrorFields(err), "charge.internalId")
	})
	t.Run("Update", func(t *testing.T) {
		q := MustCharge(t, s, tn.ID)
		now := Base.Add(time.Minute)
		q.Status, q.UpdatedAt, q.Charge.SucceededAt = paykit.PaymentStatusSucceeded, now, &now
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayment(ctx, q) }))
		got, err := s.FindPaymentByID(ctx, tn.ID, q.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.PaymentStatusSucceeded, got.Status)
		require.Equal(t, now, *got.Charge.SucceededAt)
	})
	t.Run("FindPaymentPage", func(t *testing.T) {
		tn := MustTenant(t, s)
		for i := range 5 {
			MustCharge(t, s, tn.ID, func(q *paykit.Payment) {
				q.Amount = paykit.MoneyFromMinor(int64(100*(i+1)), "MXN")
				q.CreatedAt = Base.Add(time.Duration(i) * time.Second)
				if i%2 == 0 {
					q.Charge.ClientID, q.Charge.Client.RFC = "c2", "XAXX010101000"
				}
			})
		}
		MustPayment(t, s, tn.ID)
		charge, amount, client, rfc := []paykit.PaymentType{paykit.PaymentTypeCharge}, int64(300), "c2", "XAXX010101000"
		ps, n, err := s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{Types: charge, Sort: paykit.PaymentSortCreatedDesc, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, 5, n)
		require.Len(t, ps, 2)
		require.Equal(t, int64(500), ps[0].Amount.Minor())
		ps, n, err = s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{Types: charge, Sort: paykit.PaymentSortCreatedDesc,
			After: ps[1].ID, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 5, n)
		require.Len(t, ps, 3)
		_, n, err = s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{AmountMinor: &amount, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, n, err = s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{ClientID: &client, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		_, n, err = s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{RFC: &rfc, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		_, n, err = s.FindPaymentPage(ctx, tn.ID, paykit.PaymentFilter{Types: []paykit.PaymentType{paykit.PaymentTypeTransfer}, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}
