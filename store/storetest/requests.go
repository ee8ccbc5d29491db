package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// MustPayer creates a payer with a unique username and phone number; opts adjust
// it before it is stored.
func MustPayer(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Payer)) *paykit.Payer {
	tb.Helper()
	id := NewID()
	p := &paykit.Payer{ID: id, TenantID: tenantID, Username: "u" + id[24:], Phone: "+1" + id[26:] + "00", CreatedAt: Base}
	for _, o := range opts {
		o(p)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(context.Background(), p) }))
	return p
}

// MustRequest creates a pending request to payer with every field set; opts
// adjust it before it is stored.
func MustRequest(tb testing.TB, s paykit.Store, payer *paykit.Payer, opts ...func(*paykit.Request)) *paykit.Request {
	tb.Helper()
	terminal := int64(7)
	r := &paykit.Request{ID: NewID(), TenantID: payer.TenantID, PayerID: payer.ID, Recipient: payer.Phone,
		Amount: paykit.MoneyFromMinor(1099, "USD"), Description: "T-shirt", ImageURL: "https://example.com/a.jpg",
		Order: "abc123", Terminal: &terminal, NotifyURL: "https://example.com/notification",
		Status: paykit.RequestStatusPending, ExpiresAt: Base.Add(90 * time.Second), CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(r)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateRequest(context.Background(), r) }))
	return r
}

// testRequests checks the RequestStore: merchants, payers, requests and the
// expiry sweep's query.
func testRequests(t *testing.T, s paykit.Store) {
	t.Run("Merchants", func(t *testing.T) { testMerchants(t, s) })
	t.Run("Payers", func(t *testing.T) { testPayers(t, s) })
	t.Run("Requests", func(t *testing.T) { testRequestRows(t, s) })
	t.Run("FindRequests", func(t *testing.T) { testFindRequests(t, s) })
	t.Run("FindExpiredRequests", func(t *testing.T) { testFindExpiredRequests(t, s) })
}

func testMerchants(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	_, err := s.FindMerchant(ctx, tn.ID)
	RequireCode(t, err, paykit.ENOTFOUND)

	want := &paykit.Merchant{TenantID: tn.ID, SigningKey: "um2JjfnJbEUJnCpjKiV94jqp", DefaultCountryCode: "+354",
		RequestLimits: map[paykit.Currency]paykit.Money{
			"USD": paykit.MoneyFromMinor(50000, "USD"), "ISK": paykit.MoneyFromMinor(100000, "ISK"),
		}, CreatedAt: Base, UpdatedAt: Base}
	in := *want
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutMerchant(ctx, &in) }))
	got, err := s.FindMerchant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// A second put replaces every field.
	want = &paykit.Merchant{TenantID: tn.ID, DefaultCountryCode: "+1", RequestLimits: map[paykit.Currency]paykit.Money{},
		CreatedAt: Base, UpdatedAt: Base.Add(time.Minute)}
	in = *want
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutMerchant(ctx, &in) }))
	got, err = s.FindMerchant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	_, err = s.FindMerchant(ctx, other.ID)
	RequireCode(t, err, paykit.ENOTFOUND)
}

func testPayers(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		for _, want := range []*paykit.Payer{
			{ID: NewID(), TenantID: tn.ID, Username: "alice", Phone: "+14155551212", CreatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, Username: "shop", Merchant: true, CreatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, Phone: "+3545551234", CreatedAt: Base},
		} {
			in := *want
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(ctx, &in) }))
			got, err := s.FindPayerByID(ctx, tn.ID, want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
			if want.Username != "" {
				got, err = s.FindPayerByUsername(ctx, tn.ID, want.Username)
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
			if want.Phone != "" {
				got, err = s.FindPayerByPhone(ctx, tn.ID, want.Phone)
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := MustPayer(t, s, tn.ID)
		_, err := s.FindPayerByID(ctx, other.ID, p.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPayerByUsername(ctx, other.ID, p.Username)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPayerByPhone(ctx, other.ID, p.Phone)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPayerByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		// Empty usernames and phones are absent, never a match.
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Username = "" })
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Phone = "" })
		_, err = s.FindPayerByUsername(ctx, tn.ID, "")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPayerByPhone(ctx, tn.ID, "")
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		p := MustPayer(t, s, tn.ID)
		dup := *p
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(ctx, &dup) }), paykit.ECONFLICT) // same ID
		dup = paykit.Payer{ID: NewID(), TenantID: tn.ID, Username: p.Username, CreatedAt: Base}
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(ctx, &dup) }), paykit.ECONFLICT)
		dup = paykit.Payer{ID: NewID(), TenantID: tn.ID, Phone: p.Phone, CreatedAt: Base}
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(ctx, &dup) }), paykit.ECONFLICT)
		// Another tenant may have the same username and phone.
		dup = paykit.Payer{ID: NewID(), TenantID: other.ID, Username: p.Username, Phone: p.Phone, CreatedAt: Base}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayer(ctx, &dup) }))
		// Several payers may lack a username, or a phone.
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Username = "" })
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Username = "" })
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Phone = "" })
		MustPayer(t, s, tn.ID, func(p *paykit.Payer) { p.Phone = "" })
	})
}

func testRequestRows(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	payer := MustPayer(t, s, tn.ID)

	t.Run("OK", func(t *testing.T) {
		terminal := int64(-3)
		paid := Base.Add(37 * time.Second)
		for _, want := range []*paykit.Request{
			{ID: NewID(), TenantID: tn.ID, PayerID: payer.ID, Recipient: payer.Phone, Amount: paykit.MoneyFromMinor(1099, "USD"),
				Description: "T-shirt", ImageURL: "https://upload.wikimedia.org/wikipedia/en/a/a9/Example.jpg", Order: "abc123",
				Terminal: &terminal, NotifyURL: "https://example.com/notification", Status: paykit.RequestStatusPending,
				ExpiresAt: Base.Add(90 * time.Second), CreatedAt: Base, UpdatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, PayerID: payer.ID, Recipient: payer.Username, Amount: paykit.MoneyFromMinor(2199, "ISK"),
				Status: paykit.RequestStatusPaid, TransactionID: NewID(), ExpiresAt: Base.Add(time.Hour), CompletedAt: &paid,
				CreatedAt: Base, UpdatedAt: paid},
			{ID: NewID(), TenantID: tn.ID, PayerID: payer.ID, Recipient: payer.Username, Amount: paykit.MoneyFromMinor(1, "KWD"),
				Status: paykit.RequestStatusRejected, Reason: paykit.RequestReasonDeclined, ExpiresAt: Base.Add(time.Hour),
				CompletedAt: &paid, CreatedAt: Base, UpdatedAt: paid},
		} {
			in := *want
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateRequest(ctx, &in) }))
			got, err := s.FindRequestByID(ctx, tn.ID, want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r := MustRequest(t, s, payer)
		_, err := s.FindRequestByID(ctx, other.ID, r.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindRequestByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		r := MustRequest(t, s, payer)
		dup := *r
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateRequest(ctx, &dup) }), paykit.ECONFLICT)
	})
	t.Run("Update", func(t *testing.T) {
		r := MustRequest(t, s, payer)
		done := Base.Add(time.Minute)
		want := *r
		want.Status, want.Reason, want.ExpiresAt, want.CompletedAt, want.UpdatedAt =
			paykit.RequestStatusRejected, paykit.RequestReasonCanceled, done, &done, done
		in := want
		in.Order, in.Amount, in.NotifyURL = "ignored", paykit.MoneyFromMinor(1, "USD"), "" // not mutable
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateRequest(ctx, &in) }))
		got, err := s.FindRequestByID(ctx, tn.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		r = MustRequest(t, s, payer)
		want = *r
		want.Status, want.TransactionID, want.CompletedAt, want.UpdatedAt = paykit.RequestStatusPaid, NewID(), &done, done
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateRequest(ctx, &want) }))
		got, err = s.FindRequestByID(ctx, tn.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
	})
	t.Run("UpdateErrNotFound", func(t *testing.T) {
		r := MustRequest(t, s, payer)
		moved := *r
		moved.TenantID, moved.Status = other.ID, paykit.RequestStatusPaid
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateRequest(ctx, &moved) }), paykit.ENOTFOUND)
		missing := *r
		missing.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateRequest(ctx, &missing) }), paykit.ENOTFOUND)
		got, err := s.FindRequestByID(ctx, tn.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.RequestStatusPending, got.Status)
	})
}

func testFindExpiredRequests(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	p, q := MustPayer(t, s, tn.ID), MustPayer(t, s, other.ID)
	// The sweep's query spans tenants, and the other request tests share this
	// store: their pending requests expire after Base, so this test's clock
	// runs well before it.
	now := Base.Add(-24 * time.Hour)
	expiring := func(at time.Time, status paykit.RequestStatus) func(*paykit.Request) {
		return func(r *paykit.Request) { r.ExpiresAt, r.Status = at, status }
	}

	atNow := MustRequest(t, s, p, expiring(now, paykit.RequestStatusPending))
	oldest := MustRequest(t, s, q, expiring(now.Add(-time.Hour), paykit.RequestStatusPending))
	before := MustRequest(t, s, p, expiring(now.Add(-time.Microsecond), paykit.RequestStatusPending))
	MustRequest(t, s, p, expiring(now.Add(time.Microsecond), paykit.RequestStatusPending)) // not yet
	MustRequest(t, s, p, expiring(now.Add(-time.Hour), paykit.RequestStatusPaid))          // over
	MustRequest(t, s, p, expiring(now.Add(-time.Hour), paykit.RequestStatusRejected))      // over

	id := func(r *paykit.Request) string { return r.ID }
	got, err := s.FindExpiredRequests(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []string{oldest.ID, before.ID, atNow.ID}, ids(got, id))
	require.Equal(t, oldest, got[0])

	got, err = s.FindExpiredRequests(ctx, now, 2)
	require.NoError(t, err)
	require.Equal(t, []string{oldest.ID, before.ID}, ids(got, id))

	got, err = s.FindExpiredRequests(ctx, now.Add(-time.Hour-time.Microsecond), 10)
	require.NoError(t, err)
	require.Empty(t, got)

	// Once the sweep rejects it, a request is not found again.
	oldest.Status, oldest.Reason, oldest.UpdatedAt = paykit.RequestStatusRejected, paykit.RequestReasonExpired, now
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateRequest(ctx, oldest) }))
	got, err = s.FindExpiredRequests(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []string{before.ID, atNow.ID}, ids(got, id))
}

// testFindRequests pages a tenant's requests in ID order, whatever their
// status, and never another tenant's.
func testFindRequests(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	p, q := MustPayer(t, s, tn.ID), MustPayer(t, s, other.ID)
	var want []*paykit.Request
	for _, st := range []paykit.RequestStatus{paykit.RequestStatusPending, paykit.RequestStatusPaid,
		paykit.RequestStatusRejected, paykit.RequestStatusPending, paykit.RequestStatusPaid} {
		want = append(want, MustRequest(t, s, p, func(r *paykit.Request) { r.Status = st }))
		MustRequest(t, s, q)
	}
	got := pages(t, 2, func(after string) ([]*paykit.Request, error) {
		return s.FindRequests(ctx, tn.ID, paykit.RequestFilter{After: after, Limit: 2})
	}, func(r *paykit.Request) string { return r.ID })
	require.Equal(t, want, got)

	none, err := s.FindRequests(ctx, NewID(), paykit.RequestFilter{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, none)
}
