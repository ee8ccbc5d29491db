package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/pages"
)

// TestWallet_Browser: the payee opens the wallet link in Chromium, sees the
// offer, and accepts it into their account, or rejects it; an expired link
// says so.
func TestWallet_Browser(t *testing.T) {
	t.Parallel()
	t.Run("Accept", func(t *testing.T) {
		t.Parallel()
		e := mustEnv(t)
		b := mustBrowser(t)
		tok := e.mustToken(t, "125.50", "Gig: logo design", 48*time.Hour)
		link := e.svc.WalletLink(tok)
		require.True(t, strings.HasPrefix(link, e.url+walletPath+"/"), link)

		require.EqualValues(t, 200, b.open(link))
		require.Equal(t, "125.50 USD", b.text("amount"))
		require.Equal(t, "Gig: logo design", b.text("memo"))
		require.Equal(t, "Acme payroll (Acme Gigs)", b.text("payer"))
		require.Equal(t, "open", b.text("status"))
		require.Contains(t, b.text("expires"), "11 Jan 2026 12:00 UTC")
		require.Contains(t, b.text("expires"), "in 2 days 0 h")

		// A wrong account is refused on the page, and nothing moves.
		b.fill("account", "no-such-account")
		require.EqualValues(t, 400, b.click("accept"))
		require.Contains(t, b.text("account-error"), "does not exist")
		require.Equal(t, paykit.TokenStatusActive, e.token(t, tok.ID).Status)
		require.Empty(t, e.token(t, tok.ID).PaymentID)

		b.fill("account", e.payee)
		require.EqualValues(t, 200, b.click("accept"))
		require.Equal(t, "processing", b.text("status"))
		require.Contains(t, b.text("outcome"), "You accepted this payment")

		// Through the Service: the token is accepted into the payee's account.
		got := e.token(t, tok.ID)
		require.NotEmpty(t, got.PaymentID)
		p, err := e.svc.FindPaymentByID(context.Background(), e.tenant, got.PaymentID)
		require.NoError(t, err)
		require.Equal(t, e.payee, p.Destination.AccountID)
		require.Equal(t, "125.50", p.Amount.Fixed())
		require.Equal(t, "874.50", e.available(t, e.biz))

		// Once the rail completes it, the page says it is paid.
		_, err = e.svc.CompletePayment(context.Background(), e.tenant, p.ID)
		require.NoError(t, err)
		require.EqualValues(t, 200, b.open(link))
		require.Equal(t, "paid", b.text("status"))
		require.Equal(t, "125.50", e.available(t, e.payee))
	})
	t.Run("Reject", func(t *testing.T) {
		t.Parallel()
		e := mustEnv(t)
		b := mustBrowser(t)
		tok := e.mustToken(t, "40.00", "", time.Hour)
		require.EqualValues(t, 200, b.open(e.svc.WalletLink(tok)))
		require.False(t, b.has("memo"))
		require.EqualValues(t, 200, b.click("reject"))
		require.Equal(t, "rejected", b.text("status"))
		require.Contains(t, b.text("outcome"), "You rejected this payment")
		require.False(t, b.has("accept"))

		require.Equal(t, paykit.TokenStatusRejected, e.token(t, tok.ID).Status)
		require.Equal(t, "1000.00", e.available(t, e.biz), "the reservation is released")
	})
	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		e := mustEnv(t)
		b := mustBrowser(t)
		tok := e.mustToken(t, "40.00", "late", 30*time.Minute)
		link := e.svc.WalletLink(tok)
		require.EqualValues(t, 200, b.open(link))
		e.clock.Add(30 * time.Minute)

		// The form shown before the expiry is posted after it: refused, and
		// the page says the link expired.
		b.fill("account", e.payee)
		require.EqualValues(t, 409, b.click("accept"))
		require.Equal(t, "expired", b.text("status"))
		require.Contains(t, b.text("outcome"), "expired on 9 Jan 2026 12:30 UTC")
		require.Empty(t, e.token(t, tok.ID).PaymentID)
		require.NoError(t, e.svc.RunDue(context.Background()))
		require.Equal(t, paykit.TokenStatusExpired, e.token(t, tok.ID).Status)
		require.Equal(t, "1000.00", e.available(t, e.biz), "the sweep released the reservation")
	})
}

// TestWallet_BadInput: a tampered link, a form without its token, with a
// forged one, or posted twice gets an error page, and changes nothing.
func TestWallet_BadInput(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	c := e.client(t)
	tok := e.mustToken(t, "10.00", "m", 3*time.Hour)
	link := e.svc.WalletLink(tok)
	page := c.get(link)
	require.Equal(t, 200, page.Status)
	requireSecure(t, page)
	action, form := formOf(t, page.Body, "accept-form")
	form.Set("account", e.payee)
	unchanged := func() {
		t.Helper()
		got := e.token(t, tok.ID)
		require.Equal(t, paykit.TokenStatusActive, got.Status)
		require.Empty(t, got.PaymentID)
		require.Equal(t, "990.00", e.available(t, e.biz))
	}

	t.Run("TamperedLink", func(t *testing.T) {
		u, _ := url.Parse(link)
		for _, p := range []string{
			strings.Replace(u.Path, tok.Token, otherChar(tok.Token, len(tok.Token)-1), 1),
			strings.Replace(u.Path, e.tenant, "another-tenant", 1),
			walletPath + "/" + e.tenant + "/payment/",
		} {
			r := c.get(p)
			require.Equal(t, 404, r.Status, p)
			require.Contains(t, r.Body, `id="message"`)
			requireSecure(t, r)
		}
		r := c.post(strings.Replace(action, tok.Token, otherChar(tok.Token, len(tok.Token)-1), 1), form)
		require.Equal(t, 404, r.Status)
		unchanged()
	})
	t.Run("MissingToken", func(t *testing.T) {
		f := url.Values{"account": {e.payee}}
		r := c.post(action, f)
		require.Equal(t, http.StatusForbidden, r.Status)
		require.Contains(t, r.Body, "without its security token")
		unchanged()
	})
	t.Run("ForgedToken", func(t *testing.T) {
		for _, tamper := range []func(string) string{
			func(s string) string { return otherChar(s, strings.LastIndex(s, ".")+1) }, // another MAC
			func(s string) string { return "9" + s },                                   // a later expiry
			func(s string) string { return strings.Replace(s, ".", ".eA.", 1) },        // garbled
			func(string) string { return "x" },
		} {
			f := url.Values{"account": {e.payee}, "csrf": {tamper(form.Get("csrf"))}}
			r := c.post(action, f)
			require.Equal(t, http.StatusForbidden, r.Status, f.Get("csrf"))
		}
		// The accept form's token does not reject.
		r := c.post(strings.TrimSuffix(action, "/accept")+"/reject", form)
		require.Equal(t, http.StatusForbidden, r.Status)
		// Nor does it work for another token's link.
		other := e.mustToken(t, "1.00", "", time.Hour)
		u, _ := url.Parse(e.svc.WalletLink(other))
		r = c.post(u.Path+"/accept", form)
		require.Equal(t, http.StatusForbidden, r.Status)
		require.Equal(t, paykit.TokenStatusActive, e.token(t, other.ID).Status)
		unchanged2 := e.token(t, tok.ID)
		require.Empty(t, unchanged2.PaymentID)
	})
	t.Run("ExpiredForm", func(t *testing.T) {
		e.clock.Add(pages.DefaultFormTTL + time.Second)
		defer e.clock.Add(-pages.DefaultFormTTL - time.Second)
		r := c.post(action, form)
		require.Equal(t, http.StatusForbidden, r.Status)
		require.Contains(t, r.Body, "too long ago")
	})
	t.Run("Replayed", func(t *testing.T) {
		r := c.post(action, form)
		require.Equal(t, http.StatusSeeOther, r.Status)
		accepted := e.token(t, tok.ID)
		require.NotEmpty(t, accepted.PaymentID)

		r = c.post(action, form)
		require.Equal(t, http.StatusConflict, r.Status)
		require.Contains(t, r.Body, "already sent")
		require.Equal(t, accepted, e.token(t, tok.ID))
		payments, err := e.svc.FindPayments(context.Background(), e.tenant, paykit.PaymentFilter{PaymentTokenID: &tok.ID})
		require.NoError(t, err)
		require.Len(t, payments, 1)
	})
}

// otherChar returns s with its byte i changed: a tampered value that never
// happens to equal s, and that changes a base64 MAC whose first character i is
// (the whole six bits are the MAC's; a last character's may not all be).
func otherChar(s string, i int) string {
	c := byte('A')
	if s[i] == c {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
