package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// Tax invoices with the folio counters of their series, and receipts.

// MustTaxInvoice creates a tax invoice of the tenant, with the next folio of
// series; opts adjust it before it is stored.
func MustTaxInvoice(tb testing.TB, s paykit.Store, tenantID, series string, opts ...func(*paykit.TaxInvoice)) *paykit.TaxInvoice {
	tb.Helper()
	mxn := func(m int64) paykit.Money { return paykit.MoneyFromMinor(m, "MXN") }
	inv := &paykit.TaxInvoice{ID: NewID(), TenantID: tenantID, Type: paykit.CFDITypeIncome, Status: paykit.TaxInvoiceStatusValid,
		Series: series, IssuedAt: Base, Issuer: paykit.FiscalIdentity{RFC: "EKU9003173C9", LegalName: "ESCUELA", TaxSystem: "601", Zip: "06100"},
		Receiver: paykit.CFDIReceiver{ClientID: "c1", RFC: "ROSM850315QT8", Name: "MARIA", Zip: "06100", TaxSystem: "612", Use: "G03"},
		Currency: "MXN", Exchange: decimal.NewFromInt(1), PaymentForm: "03", PaymentMethod: paykit.PaymentMethodPUE,
		Items:    []paykit.ChargeItem{{Name: "Item", Quantity: decimal.NewFromInt(1), UnitPrice: mxn(11600), Base: mxn(10000), Total: mxn(11600)}},
		LineSums: paykit.LineSums{Subtotal: mxn(10000), Transferred: mxn(1600), Withheld: mxn(0), Total: mxn(11600)},
		Balance:  mxn(0), PaymentID: "p1", Metadata: json.RawMessage(`{}`), CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(inv)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error {
		f, err := tx.NextFolio(context.Background(), tenantID, series)
		if err != nil {
			return err
		}
		inv.Folio = f
		return tx.CreateTaxInvoice(context.Background(), inv)
	}))
	return inv
}

func testTaxInvoices(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	inv := MustTaxInvoice(t, s, tn.ID, "A")
	t.Run("OK", func(t *testing.T) {
		got, err := s.FindTaxInvoiceByID(ctx, tn.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), got.Folio)
		require.Equal(t, inv.Total.Minor(), got.Total.Minor())
		require.Equal(t, inv.Receiver, got.Receiver)
		require.Equal(t, inv.CreatedAt, got.CreatedAt)
		_, err = s.FindTaxInvoiceByID(ctx, other.ID, inv.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		dup := *inv
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTaxInvoice(ctx, &dup) }), paykit.ECONFLICT)
		dup.ID = NewID() // the same series and folio
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTaxInvoice(ctx, &dup) }), paykit.ECONFLICT)
	})
	t.Run("Update", func(t *testing.T) {
		now := Base.Add(time.Hour)
		c := *inv
		c.Status, c.UpdatedAt = paykit.TaxInvoiceStatusCanceled, now
		c.Cancellation = &paykit.TaxInvoiceCancellation{Motive: paykit.CancelMotiveErrors, CanceledAt: now}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTaxInvoice(ctx, &c) }))
		got, err := s.FindTaxInvoiceByID(ctx, tn.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TaxInvoiceStatusCanceled, got.Status)
		require.Equal(t, c.Cancellation, got.Cancellation)
		require.Equal(t, now, got.UpdatedAt)
		c.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTaxInvoice(ctx, &c) }), paykit.ENOTFOUND)
	})
	t.Run("FindTaxInvoices", func(t *testing.T) {
		tn := MustTenant(t, s)
		var all []*paykit.TaxInvoice
		for i := range 5 {
			all = append(all, MustTaxInvoice(t, s, tn.ID, "B", func(inv *paykit.TaxInvoice) {
				inv.CreatedAt = Base.Add(time.Duration(i/2) * time.Second)
				if i == 4 {
					inv.Type, inv.PaymentID, inv.Receiver.ClientID = paykit.CFDITypePayment, "p2", "c2"
				}
			}))
		}
		page, n, err := s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 5, n)
		require.Len(t, page, 3)
		for i := 1; i < len(page); i++ {
			a, b := page[i-1], page[i]
			require.True(t, a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID)
		}
		rest, _, err := s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{After: page[2].ID, Limit: 3})
		require.NoError(t, err)
		require.Len(t, rest, 2)
		typ, pay, client, series := paykit.CFDITypePayment, "p2", "c1", "B"
		_, n, err = s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{Type: &typ})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, n, err = s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{PaymentID: &pay})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, n, err = s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{ClientID: &client, Series: &series})
		require.NoError(t, err)
		require.Equal(t, 4, n)
		none, _, err := s.FindTaxInvoices(ctx, tn.ID, paykit.TaxInvoiceFilter{After: NewID(), Limit: 3})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

// testNextFolio: concurrent transactions take the folios of a series one
// each, with no gap, and a rolled back transaction gives its folio back.
func testNextFolio(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	errRollback := errors.New("roll back")
	// Rolled back: the folio is taken back.
	err := inTx(s, func(tx paykit.Tx) error {
		f, err := tx.NextFolio(ctx, tn.ID, "A")
		require.NoError(t, err)
		require.Equal(t, int64(1), f)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	const n = 24
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.InTx(ctx, func(tx paykit.Tx) error {
				f, err := tx.NextFolio(ctx, tn.ID, "A")
				if err != nil {
					return err
				}
				if i%3 == 0 {
					return errRollback // every third gives its folio back
				}
				mu.Lock()
				got = append(got, f)
				mu.Unlock()
				return nil
			})
			if i%3 != 0 && err != nil {
				t.Errorf("folio %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, f := range got {
		require.Equal(t, int64(i+1), f, "folios %v", got)
	}
	f, err := txValue(s, func(tx paykit.Tx) (int64, error) { return tx.NextFolio(ctx, tn.ID, "B") })
	require.NoError(t, err)
	require.Equal(t, int64(1), f) // another series
	f, err = txValue(s, func(tx paykit.Tx) (int64, error) { return tx.NextFolio(ctx, other.ID, "A") })
	require.NoError(t, err)
	require.Equal(t, int64(1), f) // another tenant
}

func testReceipts(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	mk := func(tenantID string, i int, status paykit.ReceiptStatus, validUntil time.Time) *paykit.Receipt {
		r := &paykit.Receipt{ID: NewID(), TenantID: tenantID, Status: status, ClientID: "c1", Currency: "MXN",
			Exchange: decimal.NewFromInt(1), Items: []paykit.ChargeItem{}, PaymentID: "p1", ValidUntil: validUntil,
			Metadata: json.RawMessage(`{}`), CreatedAt: Base.Add(time.Duration(i) * time.Second), UpdatedAt: Base}
		if i%2 == 1 {
			r.ClientID, r.PaymentID = "", ""
		}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateReceipt(ctx, r) }))
		return r
	}
	hour := Base.Add(time.Hour)
	rs := []*paykit.Receipt{
		mk(tn.ID, 0, paykit.ReceiptStatusOpen, hour),
		mk(tn.ID, 1, paykit.ReceiptStatusPending, hour.Add(time.Hour)),
		mk(tn.ID, 2, paykit.ReceiptStatusOpen, hour.Add(2*time.Hour)),
		mk(tn.ID, 3, paykit.ReceiptStatusInvoiced, hour),
	}
	t.Run("OK", func(t *testing.T) {
		got, err := s.FindReceiptByID(ctx, tn.ID, rs[0].ID)
		require.NoError(t, err)
		require.Equal(t, rs[0].ValidUntil, got.ValidUntil)
		require.Equal(t, rs[0].Status, got.Status)
		_, err = s.FindReceiptByID(ctx, other.ID, rs[0].ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateReceipt(ctx, rs[0]) }), paykit.ECONFLICT)
	})
	t.Run("FindReceipts", func(t *testing.T) {
		page, n, err := s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, 4, n)
		require.Equal(t, []string{rs[3].ID, rs[2].ID, rs[1].ID}, ids(page, func(r *paykit.Receipt) string { return r.ID }))
		rest, _, err := s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{After: page[2].ID, Limit: 3})
		require.NoError(t, err)
		require.Len(t, rest, 1)
		// Status at a time: a live receipt past its validity matches expired.
		open, expired := paykit.ReceiptStatusOpen, paykit.ReceiptStatusExpired
		_, n, err = s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{Status: &open, At: Base})
		require.NoError(t, err)
		require.Equal(t, 2, n)
		_, n, err = s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{Status: &open, At: hour})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, n, err = s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{Status: &expired, At: hour.Add(time.Hour)})
		require.NoError(t, err)
		require.Equal(t, 2, n) // rs[0] and rs[1], not the invoiced one
		client, payment := "c1", "p1"
		_, n, err = s.FindReceipts(ctx, tn.ID, paykit.ReceiptFilter{ClientID: &client, PaymentID: &payment})
		require.NoError(t, err)
		require.Equal(t, 2, n)
	})
	t.Run("FindExpiredReceipts", func(t *testing.T) {
		due, err := s.FindExpiredReceipts(ctx, hour.Add(time.Hour), 10)
		require.NoError(t, err)
		var mine []string
		for _, r := range due {
			if r.TenantID == tn.ID {
				mine = append(mine, r.ID)
			}
		}
		require.Equal(t, []string{rs[0].ID, rs[1].ID}, mine) // oldest expiry first; never the invoiced one
	})
	t.Run("Update", func(t *testing.T) {
		c := *rs[2]
		c.Status, c.InvoiceID, c.UpdatedAt, c.ValidUntil = paykit.ReceiptStatusInvoiced, "inv1", hour, hour.Add(48*time.Hour)
		c.PaymentID = "not written"
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateReceipt(ctx, &c) }))
		got, err := s.FindReceiptByID(ctx, tn.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"invoiced", "inv1", "p1"}, []string{string(got.Status), got.InvoiceID, got.PaymentID})
		require.Equal(t, hour.Add(48*time.Hour), got.ValidUntil)
		c.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateReceipt(ctx, &c) }), paykit.ENOTFOUND)
	})
}
