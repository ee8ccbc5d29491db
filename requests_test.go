package paykit_test

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

// signingKey is the merchant access token of Memento's published test vector.
const signingKey = "um2JjfnJbEUJnCpjKiV94jqp"

// MustMerchant configures the tenant as a Memento merchant signing with
// signingKey, with Iceland as the default country and the given limits.
func (e *env) MustMerchant(tb testing.TB, tenantID string, limits map[paykit.Currency]string) *paykit.Merchant {
	tb.Helper()
	ls := map[paykit.Currency]decimal.Decimal{}
	for c, l := range limits {
		ls[c] = dec(l)
	}
	m, err := e.svc.ConfigureMerchant(context.Background(), tenantID, paykit.MerchantSettings{SigningKey: signingKey, RequestLimits: ls})
	require.NoError(tb, err)
	return m
}

// MustPayer registers a payer.
func (e *env) MustPayer(tb testing.TB, tenantID string, in paykit.PayerCreate) *paykit.Payer {
	tb.Helper()
	p, err := e.svc.RegisterPayer(context.Background(), tenantID, in)
	require.NoError(tb, err)
	return p
}

// MustRequest creates a request for amount USD to recipient, expiring in ttl,
// with a notify_url.
func (e *env) MustRequest(tb testing.TB, tenantID, recipient, amount string, ttl time.Duration) *paykit.Request {
	tb.Helper()
	r, err := e.svc.CreateRequest(context.Background(), tenantID, paykit.RequestCreate{Amount: dec(amount), Currency: "USD",
		Description: "T-shirt", Order: "abc123", Recipient: recipient, ExpiresIn: &ttl, NotifyURL: "https://example.com/notification"})
	require.NoError(tb, err)
	return r
}

// payerAccountID returns the payer's USD account.
func (e *env) payerAccountID(tb testing.TB, tenantID, payerID string) string {
	tb.Helper()
	a, err := e.svc.FindPayerAccount(context.Background(), tenantID, payerID, "USD")
	require.NoError(tb, err)
	return a.ID
}

// requireMerchantBalance checks the merchant's USD balance; "" means it has no
// account yet.
func (e *env) requireMerchantBalance(tb testing.TB, tenantID, balance string) {
	tb.Helper()
	a, err := e.svc.FindMerchantAccount(context.Background(), tenantID, "USD")
	if balance == "" {
		requireCode(tb, paykit.ENOTFOUND, err)
		return
	}
	require.NoError(tb, err)
	require.Equal(tb, paykit.AccountKindBusiness, a.Kind)
	e.RequireBalances(tb, tenantID, a.ID, balance, balance)
}

// requestSetup is a merchant with a payer "alice" (+14155551212) holding
// 100.00 USD and a merchant identity "shop".
func requestSetup(t *testing.T, opts ...paykit.Option) (*env, string, *paykit.Payer) {
	e := MustOpen(t, opts...)
	tenant := e.MustTenant(t)
	e.MustMerchant(t, tenant, map[paykit.Currency]string{"USD": "500.00"})
	alice := e.MustPayer(t, tenant, paykit.PayerCreate{Username: "Alice", Phone: "+1 (415) 555-1212", Currency: "usd", Balance: dec("100")})
	e.MustPayer(t, tenant, paykit.PayerCreate{Username: "shop", Merchant: true})
	return e, tenant, alice
}

func TestRequest_Create(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		terminal := int64(1)
		r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Description: "T-shirt",
			ImageURL: "https://upload.wikimedia.org/wikipedia/en/a/a9/Example.jpg", Order: "abc123", Recipient: "+14155551212",
			Terminal: &terminal, NotifyURL: "https://example.com/notification"})
		require.NoError(t, err)
		require.Equal(t, alice.ID, r.PayerID)
		require.Equal(t, "+14155551212", r.Recipient)
		require.Equal(t, "10.99 USD", r.Amount.String())
		require.Equal(t, paykit.RequestStatusPending, r.Status)
		require.Empty(t, r.Reason)
		require.Empty(t, r.TransactionID)
		require.Nil(t, r.CompletedAt)
		require.Equal(t, epoch, r.CreatedAt)
		require.Equal(t, r.CreatedAt, r.UpdatedAt)
		require.Equal(t, epoch.Add(paykit.DefaultRequestTTL), r.ExpiresAt)
		require.Equal(t, []string{paykit.EventRequestCreated}, e.eventTypes(t, tenant, r.ID))

		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, r, got)
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "100.00", "100.00") // nothing moves yet
	})

	t.Run("Recipients", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		_, err := e.svc.ConfigureMerchant(ctx, tenant, paykit.MerchantSettings{DefaultCountryCode: "+1"})
		require.NoError(t, err)
		p := e.MustPayer(t, tenant, paykit.PayerCreate{Username: "Jon.Jonsson", Phone: "415-555-1212"})
		require.Equal(t, "+14155551212", p.Phone, "the default country applies")
		require.Equal(t, "jon.jonsson", p.Username)
		for _, rcpt := range []string{"+14155551212", "4155551212", "(415) 555 1212", "001 415 555 1212", "0415 555 1212",
			"14155551212", "1 (415) 555-1212", "1-415-555-1212", // the country code, without +: NANP numbers are 10 digits
			"jon.jonsson", "JON.JONSSON", "@Jon.Jonsson", " jon.jonsson "} {
			r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("1"), Currency: "usd", Recipient: rcpt})
			require.NoError(t, err, rcpt)
			require.Equal(t, p.ID, r.PayerID, rcpt)
		}

		// Unconfigured merchants default to Iceland.
		other := e.MustTenant(t)
		q := e.MustPayer(t, other, paykit.PayerCreate{Phone: "555 1234"})
		require.Equal(t, "+3545551234", q.Phone)
		for _, rcpt := range []string{"5551234", "3545551234", "354 555 1234"} { // Icelandic numbers are 7 digits
			r, err := e.svc.CreateRequest(ctx, other, paykit.RequestCreate{Amount: dec("500"), Currency: "ISK", Recipient: rcpt})
			require.NoError(t, err, rcpt)
			require.Equal(t, "+3545551234", r.Recipient, rcpt)
		}

		// Where national numbers vary in length, digits are always national:
		// 46701234567 under +46 is +4646701234567, not +46701234567.
		se := e.MustTenant(t)
		_, err = e.svc.ConfigureMerchant(ctx, se, paykit.MerchantSettings{DefaultCountryCode: "+46"})
		require.NoError(t, err)
		s := e.MustPayer(t, se, paykit.PayerCreate{Phone: "070-123 45 67"})
		require.Equal(t, "+46701234567", s.Phone)
		_, err = e.svc.CreateRequest(ctx, se, paykit.RequestCreate{Amount: dec("1"), Currency: "SEK", Recipient: "46701234567"})
		requireCode(t, paykit.ENOTFOUND, err)
		r, err := e.svc.CreateRequest(ctx, se, paykit.RequestCreate{Amount: dec("1"), Currency: "SEK", Recipient: "+46701234567"})
		require.NoError(t, err)
		require.Equal(t, s.ID, r.PayerID)
	})

	t.Run("ExpiresIn", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		for _, ttl := range []time.Duration{paykit.MinRequestTTL, paykit.MaxRequestTTL} {
			r := e.MustRequest(t, tenant, "alice", "1.00", ttl)
			require.Equal(t, epoch.Add(ttl), r.ExpiresAt)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		ok := func(mod func(*paykit.RequestCreate)) paykit.RequestCreate {
			in := paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Recipient: "alice"}
			mod(&in)
			return in
		}
		dur := func(d time.Duration) *time.Duration { return &d }
		for _, tc := range []struct {
			name  string
			in    paykit.RequestCreate
			field string
		}{
			{"ZeroAmount", ok(func(in *paykit.RequestCreate) { in.Amount = dec("0") }), "amount"},
			{"NegativeAmount", ok(func(in *paykit.RequestCreate) { in.Amount = dec("-1") }), "amount"},
			{"OverPrecise", ok(func(in *paykit.RequestCreate) { in.Amount = dec("10.999") }), "amount"},
			{"ISKFraction", ok(func(in *paykit.RequestCreate) { in.Amount, in.Currency = dec("10.5"), "ISK" }), "amount"},
			{"Huge", ok(func(in *paykit.RequestCreate) { in.Amount = dec("1e30") }), "amount"},
			{"NoCurrency", ok(func(in *paykit.RequestCreate) { in.Currency = "" }), "currency"},
			{"UnknownCurrency", ok(func(in *paykit.RequestCreate) { in.Currency = "XYZ" }), "currency"},
			{"Asset", ok(func(in *paykit.RequestCreate) { in.Currency = "USDT" }), "currency"},
			{"NoRecipient", ok(func(in *paykit.RequestCreate) { in.Recipient = " " }), "recipient"},
			{"LongDescription", ok(func(in *paykit.RequestCreate) { in.Description = strings.Repeat("x", 1001) }), "description"},
			{"LongOrder", ok(func(in *paykit.RequestCreate) { in.Order = strings.Repeat("x", 256) }), "order"},
			{"RelativeImage", ok(func(in *paykit.RequestCreate) { in.ImageURL = "/a.jpg" }), "imageUrl"},
			{"FTPNotify", ok(func(in *paykit.RequestCreate) { in.NotifyURL = "ftp://example.com/n" }), "notifyUrl"},
			{"ShortTTL", ok(func(in *paykit.RequestCreate) { in.ExpiresIn = dur(paykit.MinRequestTTL - time.Microsecond) }), "expiresIn"},
			{"ZeroTTL", ok(func(in *paykit.RequestCreate) { in.ExpiresIn = dur(0) }), "expiresIn"},
			{"LongTTL", ok(func(in *paykit.RequestCreate) { in.ExpiresIn = dur(paykit.MaxRequestTTL + time.Microsecond) }), "expiresIn"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.CreateRequest(ctx, tenant, tc.in)
				requireCode(t, paykit.EINVALID, err)
				require.Contains(t, paykit.ErrorFields(err), tc.field)
			})
		}
		require.NotContains(t, e.eventTypes(t, tenant, ""), paykit.EventRequestCreated, "nothing written")
	})

	t.Run("ErrNotifyWithoutKey", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		e.MustPayer(t, tenant, paykit.PayerCreate{Username: "alice"})
		in := paykit.RequestCreate{Amount: dec("1"), Currency: "USD", Recipient: "alice", NotifyURL: "https://example.com/n"}
		_, err := e.svc.CreateRequest(ctx, tenant, in)
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "notifyUrl")
		in.NotifyURL = ""
		_, err = e.svc.CreateRequest(ctx, tenant, in)
		require.NoError(t, err, "without a notify_url no key is needed")
	})

	t.Run("ErrRecipient", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		for _, tc := range []struct{ recipient, code string }{
			{"bob", paykit.ENOTFOUND},
			{"+14155551213", paykit.ENOTFOUND},
			{"4155551212", paykit.ENOTFOUND},  // +3544155551212 under the default country
			{"14155551212", paykit.ENOTFOUND}, // +35414155551212: Iceland's code is 354
			{"+12", paykit.ENOTFOUND},
			{"not a username!", paykit.ENOTFOUND},
			{"shop", paykit.EFORBIDDEN},
			{"SHOP", paykit.EFORBIDDEN},
		} {
			_, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("1"), Currency: "USD", Recipient: tc.recipient})
			requireCode(t, tc.code, err)
			require.Contains(t, paykit.ErrorFields(err), "recipient")
		}
		require.NotContains(t, e.eventTypes(t, tenant, ""), paykit.EventRequestCreated, "nothing written")
	})

	t.Run("ErrLimit", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		_, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("500.01"), Currency: "USD", Recipient: "alice"})
		requireCode(t, paykit.ELIMIT, err)
		require.Contains(t, paykit.ErrorFields(err), "amount")
		require.NotContains(t, e.eventTypes(t, tenant, ""), paykit.EventRequestCreated, "nothing written")
		e.MustRequest(t, tenant, "alice", "500.00", time.Minute) // at the limit is fine
		_, err = e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("999999"), Currency: "EUR", Recipient: "alice"})
		require.NoError(t, err, "no limit in EUR")
	})

	t.Run("Idempotent", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		kctx := paykit.WithIdempotencyKey(ctx, "k1")
		in := paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Recipient: "alice"}
		a, err := e.svc.CreateRequest(kctx, tenant, in)
		require.NoError(t, err)
		b, err := e.svc.CreateRequest(kctx, tenant, in)
		require.NoError(t, err)
		require.Equal(t, a.ID, b.ID)
		in.Recipient = "bob"
		_, err = e.svc.CreateRequest(paykit.WithIdempotencyKey(ctx, "k2"), tenant, in)
		requireCode(t, paykit.ENOTFOUND, err)
		require.Contains(t, paykit.ErrorFields(err), "recipient")
		_, err = e.svc.CreateRequest(paykit.WithIdempotencyKey(ctx, "k2"), tenant, in)
		requireCode(t, paykit.ENOTFOUND, err) // the replay keeps the precise code and field
		require.Contains(t, paykit.ErrorFields(err), "recipient")
	})
}

func TestRequest_Pay(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		r := e.MustRequest(t, tenant, "+14155551212", "10.99", time.Minute)
		e.clock.Add(37 * time.Second)
		paid, err := e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.RequestStatusPaid, paid.Status)
		require.Empty(t, paid.Reason)
		require.NotEmpty(t, paid.TransactionID)
		at := epoch.Add(37 * time.Second)
		require.Equal(t, at, paid.UpdatedAt)
		require.Equal(t, &at, paid.CompletedAt)
		require.Equal(t, r.ExpiresAt, paid.ExpiresAt)
		require.Equal(t, []string{paykit.EventRequestCreated, paykit.EventRequestPaid}, e.eventTypes(t, tenant, r.ID))

		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paid, got)
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "89.01", "89.01")
		e.requireMerchantBalance(t, tenant, "10.99")

		// The paid request never expires.
		e.clock.Add(time.Hour)
		e.MustRunDue(t)
		got, err = e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paid, got)
	})

	t.Run("ErrInsufficientFunds", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "100.01", time.Minute)
		_, err := e.svc.PayRequest(ctx, tenant, r.ID)
		requireCode(t, paykit.ELIMIT, err)
		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.RequestStatusPending, got.Status, "still payable after a top-up")
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "100.00", "100.00")
		e.requireMerchantBalance(t, tenant, "")

		// No account in the currency at all is the same.
		eur, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("1"), Currency: "EUR", Recipient: "alice"})
		require.NoError(t, err)
		_, err = e.svc.PayRequest(ctx, tenant, eur.ID)
		requireCode(t, paykit.ELIMIT, err)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
		_, err := e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		requireFinal(t, e, tenant, r.ID)
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "90.00", "90.00")
		e.requireMerchantBalance(t, tenant, "10.00")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		_, err := e.svc.PayRequest(ctx, tenant, "3e6975e8-77cb-48b7-7722-3dfe47677bbc")
		requireCode(t, paykit.ENOTFOUND, err)
	})

	t.Run("ISK", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		p := e.MustPayer(t, tenant, paykit.PayerCreate{Phone: "+354 555 1234", Currency: "ISK", Balance: dec("5000")})
		r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("2199"), Currency: "ISK", Recipient: "5551234"})
		require.NoError(t, err)
		_, err = e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		a, err := e.svc.FindPayerAccount(ctx, tenant, p.ID, "ISK")
		require.NoError(t, err)
		require.Equal(t, "2801 ISK", a.Balance().String())
		m, err := e.svc.FindMerchantAccount(ctx, tenant, "ISK")
		require.NoError(t, err)
		require.Equal(t, "2199 ISK", m.Balance().String())
	})
}

func TestRequest_Decline(t *testing.T) {
	ctx := context.Background()
	e, tenant, alice := requestSetup(t)
	r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
	e.clock.Add(5 * time.Second)
	got, err := e.svc.DeclineRequest(ctx, tenant, r.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.RequestStatusRejected, got.Status)
	require.Equal(t, paykit.RequestReasonDeclined, got.Reason)
	require.Equal(t, epoch.Add(5*time.Second), got.UpdatedAt)
	require.Equal(t, r.ExpiresAt, got.ExpiresAt)
	require.Empty(t, got.TransactionID)
	require.Equal(t, []string{paykit.EventRequestCreated, paykit.EventRequestDeclined}, e.eventTypes(t, tenant, r.ID))

	requireFinal(t, e, tenant, r.ID)
	e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "100.00", "100.00")
}

func TestRequest_Cancel(t *testing.T) {
	ctx := context.Background()
	e, tenant, _ := requestSetup(t)
	r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
	e.clock.Add(5 * time.Second)
	at := epoch.Add(5 * time.Second)
	got, err := e.svc.CancelRequest(ctx, tenant, r.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.RequestStatusRejected, got.Status)
	require.Equal(t, paykit.RequestReasonCanceled, got.Reason)
	require.Equal(t, at, got.ExpiresAt, "canceling expires it now")
	require.Equal(t, at, got.UpdatedAt)
	require.Equal(t, &at, got.CompletedAt)

	// Canceling again succeeds unchanged; nothing else is possible.
	e.clock.Add(time.Second)
	again, err := e.svc.CancelRequest(ctx, tenant, r.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	_, err = e.svc.PayRequest(ctx, tenant, r.ID)
	requireCode(t, paykit.ECONFLICT, err)
	_, err = e.svc.DeclineRequest(ctx, tenant, r.ID)
	requireCode(t, paykit.ECONFLICT, err)
	e.clock.Add(time.Hour)
	e.MustRunDue(t)
	require.Equal(t, []string{paykit.EventRequestCreated, paykit.EventRequestCanceled}, e.eventTypes(t, tenant, r.ID))
	found, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
	require.NoError(t, err)
	require.Equal(t, got, found)
}

func TestRequest_Expire(t *testing.T) {
	ctx := context.Background()
	t.Run("PayableUntilTheInstant", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", 10*time.Second)
		e.clock.Add(10*time.Second - time.Microsecond)
		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.RequestStatusPending, got.Status)
		e.MustRunDue(t)
		paid, err := e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.RequestStatusPaid, paid.Status)
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "90.00", "90.00")
	})

	t.Run("ExpiredAtTheInstant", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", 10*time.Second)
		e.clock.Add(10 * time.Second) // now == expires, no sweep yet
		want := *r
		want.Status, want.Reason, want.UpdatedAt, want.CompletedAt = paykit.RequestStatusRejected, paykit.RequestReasonExpired, r.ExpiresAt, &r.ExpiresAt
		got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got, "a read never says pending at expiry")
		for name, act := range map[string]func(context.Context, string, string) (*paykit.Request, error){
			"pay": e.svc.PayRequest, "decline": e.svc.DeclineRequest, "cancel": e.svc.CancelRequest,
		} {
			_, err := act(ctx, tenant, r.ID)
			requireCode(t, paykit.EEXPIRED, err)
			require.Contains(t, paykit.ErrorMessage(err), "expired", name)
		}
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "100.00", "100.00")
		require.Equal(t, []string{paykit.EventRequestCreated}, e.eventTypes(t, tenant, r.ID))

		// The sweep persists exactly what reads said, dated at the expiry, and
		// fires its event once.
		e.clock.Add(time.Minute)
		e.MustRunDue(t)
		e.MustRunDue(t)
		require.Equal(t, []string{paykit.EventRequestCreated, paykit.EventRequestExpired}, e.eventTypes(t, tenant, r.ID))
		got, err = e.svc.FindRequestByID(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
		_, err = e.svc.PayRequest(ctx, tenant, r.ID)
		requireCode(t, paykit.EEXPIRED, err)
	})

	t.Run("SweepAtTheInstant", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", 10*time.Second)
		later := e.MustRequest(t, tenant, "alice", "10.00", 11*time.Second)
		e.clock.Add(10*time.Second - time.Microsecond)
		e.MustRunDue(t)
		require.Equal(t, []string{paykit.EventRequestCreated}, e.eventTypes(t, tenant, r.ID))
		e.clock.Add(time.Microsecond)
		e.MustRunDue(t)
		require.Equal(t, []string{paykit.EventRequestCreated, paykit.EventRequestExpired}, e.eventTypes(t, tenant, r.ID))
		require.Equal(t, []string{paykit.EventRequestCreated}, e.eventTypes(t, tenant, later.ID))
	})
}

func TestRequest_OtherMerchant(t *testing.T) {
	ctx := context.Background()
	e, tenant, _ := requestSetup(t)
	other := e.MustTenant(t)
	e.MustMerchant(t, other, nil)
	r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)

	_, err := e.svc.FindRequestByID(ctx, other, r.ID)
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.PayRequest(ctx, other, r.ID)
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.DeclineRequest(ctx, other, r.ID)
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.CancelRequest(ctx, other, r.ID)
	requireCode(t, paykit.ENOTFOUND, err)
	// Payers are the merchant's own, too.
	_, err = e.svc.CreateRequest(ctx, other, paykit.RequestCreate{Amount: dec("1"), Currency: "USD", Recipient: "alice"})
	requireCode(t, paykit.ENOTFOUND, err)
	require.Contains(t, paykit.ErrorFields(err), "recipient")

	got, err := e.svc.FindRequestByID(ctx, tenant, r.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.RequestStatusPending, got.Status)
}

func TestRequest_RegisterPayer(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e, tenant, alice := requestSetup(t)
		require.Equal(t, "alice", alice.Username)
		require.Equal(t, "+14155551212", alice.Phone)
		require.False(t, alice.Merchant)
		got, err := e.svc.FindPayerByID(ctx, tenant, alice.ID)
		require.NoError(t, err)
		require.Equal(t, alice, got)
		e.RequireBalances(t, tenant, e.payerAccountID(t, tenant, alice.ID), "100.00", "100.00")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		for _, tc := range []struct {
			name  string
			in    paykit.PayerCreate
			field string
			code  string
		}{
			{"Nothing", paykit.PayerCreate{}, "username", paykit.EINVALID},
			{"DigitUsername", paykit.PayerCreate{Username: "1abc"}, "username", paykit.EINVALID},
			{"ShortUsername", paykit.PayerCreate{Username: "a"}, "username", paykit.EINVALID},
			{"BadPhone", paykit.PayerCreate{Phone: "12"}, "phone", paykit.EINVALID},
			{"LetterPhone", paykit.PayerCreate{Phone: "+1 415 CALL ME"}, "phone", paykit.EINVALID},
			{"BadCurrency", paykit.PayerCreate{Username: "bob", Currency: "XYZ"}, "currency", paykit.EINVALID},
			{"BalanceWithoutCurrency", paykit.PayerCreate{Username: "bob", Balance: dec("1")}, "currency", paykit.EINVALID},
			{"NegativeBalance", paykit.PayerCreate{Username: "bob", Currency: "USD", Balance: dec("-1")}, "balance", paykit.EINVALID},
			{"OverPreciseBalance", paykit.PayerCreate{Username: "bob", Currency: "USD", Balance: dec("0.001")}, "balance", paykit.EINVALID},
			{"TakenUsername", paykit.PayerCreate{Username: "ALICE"}, "username", paykit.ECONFLICT},
			{"TakenPhone", paykit.PayerCreate{Username: "bob", Phone: "+14155551212"}, "phone", paykit.ECONFLICT},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.RegisterPayer(ctx, tenant, tc.in)
				requireCode(t, tc.code, err)
				require.Contains(t, paykit.ErrorFields(err), tc.field)
			})
		}
		require.Equal(t, 2, strings.Count(strings.Join(e.eventTypes(t, tenant, ""), " "), paykit.EventPayerRegistered), "nothing written")
	})
}

func TestRequest_ConfigureMerchant(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	m, err := e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Equal(t, paykit.DefaultCountryCode, m.DefaultCountryCode)
	require.Empty(t, m.SigningKey)

	m, err = e.svc.ConfigureMerchant(ctx, tenant, paykit.MerchantSettings{SigningKey: "k", DefaultCountryCode: "+46",
		RequestLimits: map[paykit.Currency]decimal.Decimal{"sek": dec("1000"), "ISK": dec("50000")}})
	require.NoError(t, err)
	require.Equal(t, "1000.00 SEK", m.RequestLimits["SEK"].String())
	got, err := e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Equal(t, m, got)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	require.NotContains(t, string(b), `"k"`, "the signing key never goes to JSON (events, idempotency records)")

	for _, tc := range []struct {
		name  string
		in    paykit.MerchantSettings
		field string
	}{
		{"CountryCode", paykit.MerchantSettings{DefaultCountryCode: "354"}, "defaultCountryCode"},
		{"LongCountryCode", paykit.MerchantSettings{DefaultCountryCode: "+3541"}, "defaultCountryCode"},
		{"ZeroLimit", paykit.MerchantSettings{RequestLimits: map[paykit.Currency]decimal.Decimal{"USD": dec("0")}}, "requestLimits.USD"},
		{"OverPreciseLimit", paykit.MerchantSettings{RequestLimits: map[paykit.Currency]decimal.Decimal{"ISK": dec("1.5")}}, "requestLimits.ISK"},
		{"UnknownCurrency", paykit.MerchantSettings{RequestLimits: map[paykit.Currency]decimal.Decimal{"XYZ": dec("1")}}, "requestLimits.XYZ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.ConfigureMerchant(ctx, tenant, tc.in)
			requireCode(t, paykit.EINVALID, err)
			require.Contains(t, paykit.ErrorFields(err), tc.field)
		})
	}
	got, err = e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Equal(t, m, got, "nothing written")
}

// requireFinal requires that a final request can be neither paid, declined
// nor canceled.
func requireFinal(tb testing.TB, e *env, tenantID, id string) {
	tb.Helper()
	ctx := context.Background()
	_, err := e.svc.PayRequest(ctx, tenantID, id)
	requireCode(tb, paykit.ECONFLICT, err)
	_, err = e.svc.DeclineRequest(ctx, tenantID, id)
	requireCode(tb, paykit.ECONFLICT, err)
	_, err = e.svc.CancelRequest(ctx, tenantID, id)
	requireCode(tb, paykit.ECONFLICT, err)
}
