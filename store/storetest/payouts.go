package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// testPayouts checks PayoutStore: integrations, employees, invoices and
// payouts.
func testPayouts(t *testing.T, s paykit.Store) {
	t.Run("Integrations", func(t *testing.T) { testIntegrations(t, s) })
	t.Run("Employees", func(t *testing.T) { testEmployees(t, s) })
	t.Run("Invoices", func(t *testing.T) { testInvoices(t, s) })
	t.Run("Payouts", func(t *testing.T) { testPayoutRows(t, s) })
	t.Run("ListPages", func(t *testing.T) { testListPages(t, s) })
}

// MustIntegration makes a new tenant an integration owned by owner (itself
// when owner is "").
func MustIntegration(tb testing.TB, s paykit.Store, owner string) *paykit.Integration {
	tb.Helper()
	tn := MustTenant(tb, s)
	if owner == "" {
		owner = tn.ID
	}
	in := &paykit.Integration{ID: tn.ID, TenantID: tn.ID, OwnerID: owner, Type: paykit.IntegrationTypeCustom, Name: "Gigatron",
		Metadata: json.RawMessage(`{}`), CreatedAt: Base, UpdatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateIntegration(context.Background(), in) }))
	return in
}

// MustEmployee creates an employee with every field set; opts adjust it
// before it is stored.
func MustEmployee(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Employee)) *paykit.Employee {
	tb.Helper()
	notified := Base.Add(time.Minute)
	e := &paykit.Employee{UID: NewID(), TenantID: tenantID, ID: NewID(), Name: "Albin Lindskog", Email: "albin@example.com",
		CellphoneNumber: "+46703000000", Country: "SWE", Metadata: json.RawMessage(`{"user_id":2}`),
		Status: paykit.EmployeeStatusNotified, CreatedAt: Base, NotifiedAt: &notified, UpdatedAt: notified}
	for _, o := range opts {
		o(e)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateEmployee(context.Background(), e) }))
	return e
}

// MustInvoice creates an open invoice in SEK; opts adjust it before it is
// stored.
func MustInvoice(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Invoice)) *paykit.Invoice {
	tb.Helper()
	inv := &paykit.Invoice{UID: NewID(), TenantID: tenantID, Currency: "SEK", Open: true, Price: paykit.MoneyFromMinor(0, "SEK"),
		Metadata: json.RawMessage(`{}`), AppURL: "https://app/i/1/", PDFURL: "https://app/invoice/1/", Token: "tok",
		CreatedAt: Base, UpdatedAt: Base}
	inv.ID = inv.UID
	for _, o := range opts {
		o(inv)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateInvoice(context.Background(), inv) }))
	return inv
}

// MustPayout creates a payout of emp on inv with every field set; opts adjust
// it before it is stored.
func MustPayout(tb testing.TB, s paykit.Store, emp *paykit.Employee, inv *paykit.Invoice, opts ...func(*paykit.Payout)) *paykit.Payout {
	tb.Helper()
	start, end := Base.Add(24*time.Hour), Base.Add(30*time.Hour)
	m := func(v int64) paykit.Money { return paykit.MoneyFromMinor(v, "SEK") }
	p := &paykit.Payout{UID: NewID(), TenantID: emp.TenantID, ID: NewID(), Basis: paykit.PricingBasisAmount,
		Amount: m(100000), InvoicedAmount: m(131420), Cost: m(137991), Fee: m(6571), Payroll: m(31420), Tax: m(30000), VAT: m(34498),
		Description: "Lön genom Gigapay", EmployeeUID: emp.UID, EmployeeID: emp.ID, InvoiceUID: inv.UID, InvoiceID: inv.ID,
		Metadata: json.RawMessage(`{"gig":7}`), StartAt: &start, EndAt: &end, Status: paykit.PayoutStatusCreated,
		CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(p)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayout(context.Background(), p) }))
	return p
}

func testIntegrations(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	owner := MustTenant(t, s)
	t.Run("OK", func(t *testing.T) {
		tn := MustTenant(t, s)
		rates := paykit.DefaultPricingRates()
		rates.Fee = decimal.RequireFromString("0.02")
		want := &paykit.Integration{ID: "gigatron", TenantID: tn.ID, OwnerID: owner.ID, Type: paykit.IntegrationTypeCustom, Name: "Gigatron",
			Logo: "https://example.com/logo.png", Metadata: json.RawMessage(`{"a":[1,2]}`), Email: "inv@gigatron.se",
			Recipient: "Gigatron AB", AddressLine1: "Gatan 1", AddressLine2: "Box 2", ZipCode: "111 22", City: "Stockholm",
			Rates: &rates, InvoiceBatching: true, CreatedAt: Base, UpdatedAt: Base}
		in := *want
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateIntegration(ctx, &in) }))
		got, err := s.FindIntegrationOfTenant(ctx, tn.ID)
		require.NoError(t, err)
		byID, err := s.FindIntegrationByID(ctx, owner.ID, "gigatron")
		require.NoError(t, err)
		require.Equal(t, got, byID)
		requireRatesEqual(t, want.Rates, got.Rates)
		got.Rates = want.Rates
		require.Equal(t, want, got)

		got.Name, got.Logo, got.AddressLine2, got.Rates, got.InvoiceBatching = "Renamed", "", "", nil, false
		got.UpdatedAt = Base.Add(time.Hour)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateIntegration(ctx, got) }))
		again, err := s.FindIntegrationOfTenant(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, got, again)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateIntegration(ctx, &in) }), paykit.ECONFLICT)
	})
	// An integration's id is unique per owner (issue 13): another owner may
	// use it, and each finds its own; the same owner may not.
	t.Run("IDPerOwner", func(t *testing.T) {
		a, b := MustTenant(t, s), MustTenant(t, s)
		mk := func(owner string) (*paykit.Integration, error) {
			tn := MustTenant(t, s)
			in := &paykit.Integration{ID: "shared", TenantID: tn.ID, OwnerID: owner, Type: paykit.IntegrationTypeCustom,
				Name: "Gigatron", Metadata: json.RawMessage(`{}`), CreatedAt: Base, UpdatedAt: Base}
			return in, inTx(s, func(tx paykit.Tx) error { return tx.CreateIntegration(ctx, in) })
		}
		ina, err := mk(a.ID)
		require.NoError(t, err)
		inb, err := mk(b.ID)
		require.NoError(t, err)
		_, err = mk(a.ID)
		RequireCode(t, err, paykit.ECONFLICT)
		got, err := s.FindIntegrationByID(ctx, a.ID, "shared")
		require.NoError(t, err)
		require.Equal(t, ina.TenantID, got.TenantID)
		got, err = s.FindIntegrationByID(ctx, b.ID, "shared")
		require.NoError(t, err)
		require.Equal(t, inb.TenantID, got.TenantID)
		// The integration's own tenant finds it too; a stranger does not.
		got, err = s.FindIntegrationByID(ctx, inb.TenantID, "shared")
		require.NoError(t, err)
		require.Equal(t, inb.TenantID, got.TenantID)
		_, err = s.FindIntegrationByID(ctx, MustTenant(t, s).ID, "shared")
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindIntegrationOfTenant(ctx, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindIntegrationByID(ctx, NewID(), NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateIntegration(ctx, &paykit.Integration{TenantID: NewID()}) }), paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteIntegration(ctx, NewID()) }), paykit.ENOTFOUND)
	})
	t.Run("FindIntegrations", func(t *testing.T) {
		acct := MustIntegration(t, s, "") // its own
		var mine []string
		for i := range 3 {
			in := MustIntegration(t, s, acct.ID)
			in.CreatedAt = Base.Add(time.Duration(i+1) * time.Second)
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateIntegration(ctx, in) }))
			mine = append(mine, in.TenantID)
		}
		MustIntegration(t, s, owner.ID) // another account's
		list, n, err := s.FindIntegrations(ctx, paykit.IntegrationFilter{Account: &acct.ID, ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Equal(t, 4, n)
		require.Len(t, list, 4)
		webApp := paykit.IntegrationTypeWebApp
		_, n, err = s.FindIntegrations(ctx, paykit.IntegrationFilter{Account: &acct.ID, Type: &webApp, ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Zero(t, n)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteIntegration(ctx, mine[0]) }))
		_, n, err = s.FindIntegrations(ctx, paykit.IntegrationFilter{Account: &acct.ID, ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})
}

func requireRatesEqual(tb testing.TB, want, got *paykit.PricingRates) {
	tb.Helper()
	require.NotNil(tb, got)
	for i, pair := range [][2]decimal.Decimal{{want.Payroll, got.Payroll}, {want.IncomeTax, got.IncomeTax}, {want.VAT, got.VAT}, {want.Fee, got.Fee}} {
		require.True(tb, pair[0].Equal(pair[1]), "rate %d: %s != %s", i, pair[0], pair[1])
	}
}

func testEmployees(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustIntegration(t, s, ""), MustIntegration(t, s, "")
	t.Run("OK", func(t *testing.T) {
		want := MustEmployee(t, s, tn.ID)
		got, err := s.FindEmployeeByUID(ctx, tn.ID, want.UID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = s.FindEmployeeByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)

		// Every field but UID, TenantID and CreatedAt is written, the id too.
		at := Base.Add(time.Hour)
		got.ID, got.Name, got.Email, got.CellphoneNumber, got.Country = "renamed", "Karl", "", "+46700000001", "NOR"
		got.Metadata, got.Status, got.ClaimedAt, got.VerifiedAt, got.ResentAt, got.UpdatedAt =
			json.RawMessage(`[]`), paykit.EmployeeStatusVerified, &at, &at, &at, at
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEmployee(ctx, got) }))
		again, err := s.FindEmployeeByID(ctx, tn.ID, "renamed")
		require.NoError(t, err)
		require.Equal(t, got, again)
		_, err = s.FindEmployeeByID(ctx, tn.ID, want.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := MustEmployee(t, s, tn.ID)
		_, err := s.FindEmployeeByUID(ctx, other.ID, e.UID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindEmployeeByID(ctx, other.ID, e.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEmployee(ctx, other.ID, e.UID) }), paykit.ENOTFOUND)
		c := *e
		c.TenantID = other.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEmployee(ctx, &c) }), paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		a := MustEmployee(t, s, tn.ID)
		b := MustEmployee(t, s, tn.ID)
		dup := *a
		dup.UID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateEmployee(ctx, &dup) }), paykit.ECONFLICT) // same id, same tenant
		dup.TenantID = other.ID
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateEmployee(ctx, &dup) })) // ... is fine in another
		b.ID = a.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEmployee(ctx, b) }), paykit.ECONFLICT)
	})
	t.Run("DeleteReferenced", func(t *testing.T) {
		e := MustEmployee(t, s, tn.ID)
		p := MustPayout(t, s, e, MustInvoice(t, s, tn.ID, func(i *paykit.Invoice) { i.Open = false }))
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEmployee(ctx, tn.ID, e.UID) }), paykit.ECONFLICT)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeletePayout(ctx, tn.ID, p.UID) }))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEmployee(ctx, tn.ID, e.UID) }))
		_, err := s.FindEmployeeByUID(ctx, tn.ID, e.UID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("FindEmployees", func(t *testing.T) {
		in := MustIntegration(t, s, "")
		at := func(d time.Duration) *time.Time { v := Base.Add(d); return &v }
		a := MustEmployee(t, s, in.ID, func(e *paykit.Employee) {
			e.Name, e.Email, e.CellphoneNumber, e.CreatedAt = "Anna 100%_", "Anna@Example.com", "", Base.Add(time.Second)
		})
		b := MustEmployee(t, s, in.ID, func(e *paykit.Employee) {
			e.Name, e.Email, e.CellphoneNumber, e.CreatedAt, e.VerifiedAt = "Bertil", "", "+46701234567", Base.Add(2*time.Second), at(time.Hour)
		})
		c := MustEmployee(t, s, in.ID, func(e *paykit.Employee) {
			e.Name, e.CreatedAt, e.NotifiedAt = "Cecilia", Base.Add(3*time.Second), nil
		})
		uids := func(f paykit.EmployeeFilter) []string {
			t.Helper()
			f.Limit = 10
			es, n, err := s.FindEmployees(ctx, in.ID, f)
			require.NoError(t, err)
			require.Equal(t, len(es), n)
			return ids(es, func(e *paykit.Employee) string { return e.UID })
		}
		require.Equal(t, []string{c.UID, b.UID, a.UID}, uids(paykit.EmployeeFilter{}))
		require.Equal(t, []string{a.UID}, uids(paykit.EmployeeFilter{Search: ptr("100%_")}))
		require.Equal(t, []string{a.UID}, uids(paykit.EmployeeFilter{Search: ptr("anna@")}))
		require.Empty(t, uids(paykit.EmployeeFilter{Search: ptr("100%x")}), "% and _ are literal")
		require.Equal(t, []string{b.UID}, uids(paykit.EmployeeFilter{Search: ptr("12345")}))
		require.Equal(t, []string{a.UID}, uids(paykit.EmployeeFilter{Email: ptr("anna@example.COM")}))
		require.Equal(t, []string{b.UID}, uids(paykit.EmployeeFilter{CellphoneNumber: ptr("+46701234567")}))
		require.Empty(t, uids(paykit.EmployeeFilter{Email: ptr("")}), "an empty email matches none")
		require.Equal(t, []string{b.UID}, uids(paykit.EmployeeFilter{VerifiedAt: paykit.TimeFilter{Null: ptr(false)}}))
		require.Equal(t, []string{c.UID}, uids(paykit.EmployeeFilter{NotifiedAt: paykit.TimeFilter{Null: ptr(true)}}))
		require.Equal(t, []string{c.UID, b.UID}, uids(paykit.EmployeeFilter{CreatedAt: paykit.TimeFilter{After: at(2 * time.Second)}}))
		require.Equal(t, []string{b.UID, a.UID}, uids(paykit.EmployeeFilter{CreatedAt: paykit.TimeFilter{Before: at(2 * time.Second)}}))
		require.Empty(t, uids(paykit.EmployeeFilter{CreatedAt: paykit.TimeFilter{After: at(time.Minute)}}))

		// Case folds by one rule in every Store (simple case folding, as
		// strings.EqualFold), in any script, not by the database's own.
		folded := MustIntegration(t, s, "")
		jose := MustEmployee(t, s, folded.ID, func(e *paykit.Employee) {
			e.Name, e.Email, e.CellphoneNumber = "José Ñúñez", "ÅSA@EXEMPEL.SE", ""
		})
		sofia := MustEmployee(t, s, folded.ID, func(e *paykit.Employee) {
			e.Name, e.Email, e.CellphoneNumber = "ΣΟΦΊΑ Straße", "", ""
		})
		in = folded
		require.Equal(t, []string{jose.UID}, uids(paykit.EmployeeFilter{Search: ptr("JOSÉ ñÚÑ")}))
		require.Equal(t, []string{jose.UID}, uids(paykit.EmployeeFilter{Search: ptr("åsa@")}))
		require.Equal(t, []string{jose.UID}, uids(paykit.EmployeeFilter{Email: ptr("åsa@exempel.se")}))
		require.Equal(t, []string{sofia.UID}, uids(paykit.EmployeeFilter{Search: ptr("σοφία")}))
		require.Equal(t, []string{sofia.UID}, uids(paykit.EmployeeFilter{Search: ptr("STRAßE")}))
		require.Empty(t, uids(paykit.EmployeeFilter{Search: ptr("strasse")}), "ß matches only itself")
		require.Empty(t, uids(paykit.EmployeeFilter{Search: ptr("jose")}), "é is not e")
		require.Empty(t, uids(paykit.EmployeeFilter{Search: ptr("ñúñez\nåsa")}), "never across two fields")
	})
}

func testInvoices(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustIntegration(t, s, ""), MustIntegration(t, s, "")
	t.Run("OK", func(t *testing.T) {
		want := MustInvoice(t, s, tn.ID, func(i *paykit.Invoice) { i.Price = paykit.MoneyFromMinor(137991, "SEK") })
		require.Positive(t, want.Number)
		got, err := s.FindInvoiceByUID(ctx, tn.ID, want.UID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = s.FindInvoiceByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = s.FindOpenInvoice(ctx, tn.ID, "SEK")
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = s.FindOpenInvoice(ctx, tn.ID, "EUR")
		RequireCode(t, err, paykit.ENOTFOUND)

		paid := Base.Add(time.Hour)
		got.ID, got.Open, got.Price, got.Metadata, got.PaidAt, got.UpdatedAt = "32", false, paykit.MoneyFromMinor(1, "SEK"), json.RawMessage(`{"x":1}`), &paid, paid
		got.AppURL = "https://app/i/32/?token=tok"
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateInvoice(ctx, got) }))
		again, err := s.FindInvoiceByID(ctx, tn.ID, "32")
		require.NoError(t, err)
		require.Equal(t, got, again)
		_, err = s.FindOpenInvoice(ctx, tn.ID, "SEK")
		RequireCode(t, err, paykit.ENOTFOUND)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteInvoice(ctx, tn.ID, got.UID) }))
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteInvoice(ctx, tn.ID, got.UID) }), paykit.ENOTFOUND)
	})
	t.Run("Numbers", func(t *testing.T) {
		// Unique across tenants, increasing, and never reused after a delete.
		a := MustInvoice(t, s, tn.ID, func(i *paykit.Invoice) { i.Open = false })
		b := MustInvoice(t, s, other.ID, func(i *paykit.Invoice) { i.Open = false })
		require.Greater(t, b.Number, a.Number)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteInvoice(ctx, other.ID, b.UID) }))
		c := MustInvoice(t, s, other.ID, func(i *paykit.Invoice) { i.Open = false })
		require.Greater(t, c.Number, b.Number)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		in := MustIntegration(t, s, "")
		a := MustInvoice(t, s, in.ID)
		// One open invoice per tenant and currency.
		RequireCode(t, inTx(s, func(tx paykit.Tx) error {
			return tx.CreateInvoice(ctx, &paykit.Invoice{UID: NewID(), ID: NewID(), TenantID: in.ID, Currency: "SEK", Open: true,
				Price: paykit.MoneyFromMinor(0, "SEK"), CreatedAt: Base, UpdatedAt: Base})
		}), paykit.ECONFLICT)
		MustInvoice(t, s, in.ID, func(i *paykit.Invoice) { i.Currency, i.Price = "EUR", paykit.MoneyFromMinor(0, "EUR") })
		b := MustInvoice(t, s, in.ID, func(i *paykit.Invoice) { i.Open = false })
		b.ID = a.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateInvoice(ctx, b) }), paykit.ECONFLICT)
		_, err := s.FindInvoiceByUID(ctx, other.ID, a.UID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("DeleteReferenced", func(t *testing.T) {
		inv := MustInvoice(t, s, tn.ID, func(i *paykit.Invoice) { i.Open = false })
		MustPayout(t, s, MustEmployee(t, s, tn.ID), inv)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteInvoice(ctx, tn.ID, inv.UID) }), paykit.ECONFLICT)
	})
	t.Run("FindInvoices", func(t *testing.T) {
		in := MustIntegration(t, s, "")
		paid := Base.Add(time.Hour)
		a := MustInvoice(t, s, in.ID, func(i *paykit.Invoice) { i.Open, i.PaidAt = false, &paid })
		b := MustInvoice(t, s, in.ID, func(i *paykit.Invoice) { i.CreatedAt = Base.Add(time.Second) })
		list, n, err := s.FindInvoices(ctx, in.ID, paykit.InvoiceFilter{ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, []string{b.UID, a.UID}, ids(list, func(i *paykit.Invoice) string { return i.UID }))
		list, n, err = s.FindInvoices(ctx, in.ID, paykit.InvoiceFilter{PaidAt: paykit.TimeFilter{Null: ptr(false)}, ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, a.UID, list[0].UID)
		_, n, err = s.FindInvoices(ctx, in.ID, paykit.InvoiceFilter{Open: ptr(true), ListPage: paykit.ListPage{Limit: 10}})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func testPayoutRows(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustIntegration(t, s, ""), MustIntegration(t, s, "")
	emp := MustEmployee(t, s, tn.ID)
	inv := MustInvoice(t, s, tn.ID)
	t.Run("OK", func(t *testing.T) {
		want := MustPayout(t, s, emp, inv)
		got, err := s.FindPayoutByUID(ctx, tn.ID, want.UID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = s.FindPayoutByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)

		at := Base.Add(time.Hour)
		got.Status, got.NotifiedAt, got.AcceptedAt, got.DisbursedAt, got.ResentAt, got.UpdatedAt =
			paykit.PayoutStatusDisbursed, &at, &at, &at, &at, at
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayout(ctx, got) }))
		again, err := s.FindPayoutByUID(ctx, tn.ID, want.UID)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
	t.Run("FollowsRenames", func(t *testing.T) {
		e := MustEmployee(t, s, tn.ID)
		p := MustPayout(t, s, e, inv)
		e.ID, e.Name = "renamed-"+NewID(), "Zelda "+NewID()
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateEmployee(ctx, e) }))
		got, err := s.FindPayoutByUID(ctx, tn.ID, p.UID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.EmployeeID)
		// A search of payouts finds the employee's new name.
		ps, n, err := s.FindPayouts(ctx, tn.ID, paykit.PayoutFilter{Search: ptr(strings.ToUpper(e.Name))})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, p.UID, ps[0].UID)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := MustPayout(t, s, emp, inv)
		_, err := s.FindPayoutByUID(ctx, other.ID, p.UID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPayoutByID(ctx, other.ID, p.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		c := *p
		c.TenantID = other.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayout(ctx, &c) }), paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.DeletePayout(ctx, other.ID, p.UID) }), paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		p := MustPayout(t, s, emp, inv)
		dup := *p
		dup.UID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayout(ctx, &dup) }), paykit.ECONFLICT)
	})
	t.Run("FindPayouts", func(t *testing.T) {
		in := MustIntegration(t, s, "")
		e1 := MustEmployee(t, s, in.ID, func(e *paykit.Employee) { e.Name, e.Email = "Karl Karlsson", "karl@example.com" })
		e2 := MustEmployee(t, s, in.ID)
		i1 := MustInvoice(t, s, in.ID)
		i2 := MustInvoice(t, s, in.ID, func(i *paykit.Invoice) { i.Open = false })
		at := func(d time.Duration) *time.Time { v := Base.Add(d); return &v }
		a := MustPayout(t, s, e1, i1, func(p *paykit.Payout) { p.Description, p.CreatedAt = "Städning", Base.Add(time.Second) })
		b := MustPayout(t, s, e1, i2, func(p *paykit.Payout) {
			p.Description, p.CreatedAt, p.StartAt, p.EndAt = "Flytt", Base.Add(2*time.Second), nil, nil
			p.Status, p.NotifiedAt, p.AcceptedAt = paykit.PayoutStatusAccepted, at(time.Hour), at(2*time.Hour)
		})
		c := MustPayout(t, s, e2, i2, func(p *paykit.Payout) { p.Description, p.CreatedAt = "Målning", Base.Add(3*time.Second) })
		uids := func(f paykit.PayoutFilter) []string {
			t.Helper()
			f.Limit = 10
			ps, n, err := s.FindPayouts(ctx, in.ID, f)
			require.NoError(t, err)
			require.Equal(t, len(ps), n)
			return ids(ps, func(p *paykit.Payout) string { return p.UID })
		}
		require.Equal(t, []string{c.UID, b.UID, a.UID}, uids(paykit.PayoutFilter{}))
		require.Equal(t, []string{b.UID, a.UID}, uids(paykit.PayoutFilter{EmployeeUID: &e1.UID}))
		require.Equal(t, []string{b.UID, a.UID}, uids(paykit.PayoutFilter{EmployeeID: &e1.ID}))
		require.Equal(t, []string{c.UID, b.UID}, uids(paykit.PayoutFilter{InvoiceUID: &i2.UID}))
		require.Equal(t, []string{c.UID, b.UID}, uids(paykit.PayoutFilter{InvoiceID: &i2.ID}))
		require.Equal(t, []string{b.UID}, uids(paykit.PayoutFilter{Status: ptr(paykit.PayoutStatusAccepted)}))
		require.Equal(t, []string{b.UID, a.UID}, uids(paykit.PayoutFilter{Search: ptr("karl")}))
		require.Equal(t, []string{a.UID}, uids(paykit.PayoutFilter{Search: ptr("städ")}))
		require.Equal(t, []string{b.UID}, uids(paykit.PayoutFilter{StartAt: paykit.TimeFilter{Null: ptr(true)}}))
		require.Equal(t, []string{c.UID, a.UID}, uids(paykit.PayoutFilter{EndAt: paykit.TimeFilter{Before: at(30 * time.Hour)}}))
		require.Equal(t, []string{b.UID}, uids(paykit.PayoutFilter{AcceptedAt: paykit.TimeFilter{Null: ptr(false)}}))
		require.Equal(t, []string{b.UID}, uids(paykit.PayoutFilter{NotifiedAt: paykit.TimeFilter{After: at(time.Hour), Before: at(time.Hour)}}))
		require.Equal(t, []string{a.UID}, uids(paykit.PayoutFilter{CreatedAt: paykit.TimeFilter{Before: at(time.Second)}}))
		_, n, err := s.FindPayouts(ctx, other.ID, paykit.PayoutFilter{EmployeeUID: &e1.UID})
		require.NoError(t, err)
		require.Zero(t, n)
	})
	t.Run("CountsDeletes", func(t *testing.T) {
		// A list without filters may be counted apart from its rows (as
		// store's list_counts does): deletes count, and each tenant has its
		// own.
		in := MustIntegration(t, s, "")
		e, gone := MustEmployee(t, s, in.ID), MustEmployee(t, s, in.ID)
		i := MustInvoice(t, s, in.ID)
		p, _ := MustPayout(t, s, e, i), MustPayout(t, s, e, i)
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeletePayout(ctx, in.ID, p.UID) }))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.DeleteEmployee(ctx, in.ID, gone.UID) }))
		ps, n, err := s.FindPayouts(ctx, in.ID, paykit.PayoutFilter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Len(t, ps, 1)
		es, n, err := s.FindEmployees(ctx, in.ID, paykit.EmployeeFilter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, e.UID, es[0].UID)
		_, n, err = s.FindEmployees(ctx, MustIntegration(t, s, "").ID, paykit.EmployeeFilter{})
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
