package pages_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// pixel is a 1×1 PNG.
var pixel, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

// merchantWorld is a Memento merchant (the env's tenant) with a payer
// "alice" holding 100.00 USD, a server of the merchant's images, and a
// receiver of its callbacks.
type merchantWorld struct {
	*env
	images    *httptest.Server
	mu        sync.Mutex
	callbacks []map[string]any
	receiver  *httptest.Server
}

func mustMerchant(t *testing.T) *merchantWorld {
	t.Helper()
	ctx := context.Background()
	m := &merchantWorld{env: mustEnv(t, paykit.WithPrivateDestinations())}
	m.images = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pixel)
	}))
	t.Cleanup(m.images.Close)
	m.receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb map[string]any
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &cb) == nil {
			m.mu.Lock()
			m.callbacks = append(m.callbacks, cb)
			m.mu.Unlock()
		}
	}))
	t.Cleanup(m.receiver.Close)
	_, err := m.svc.ConfigureMerchant(ctx, m.tenant, paykit.MerchantSettings{DefaultCountryCode: "+1"})
	require.NoError(t, err)
	_, err = m.svc.RegisterPayer(ctx, m.tenant, paykit.PayerCreate{Username: "alice", Phone: "+14155551212", Currency: "USD", Balance: dec("100.00")})
	require.NoError(t, err)
	return m
}

// mustRequest asks alice for amount, expiring in ttl.
func (m *merchantWorld) mustRequest(t *testing.T, amount string, ttl time.Duration) *paykit.Request {
	t.Helper()
	r, err := m.svc.CreateRequest(context.Background(), m.tenant, paykit.RequestCreate{Amount: dec(amount), Currency: "USD",
		Description: "Two coffees", ImageURL: m.images.URL + "/coffee.png", Order: "order-7", Recipient: "alice",
		ExpiresIn: &ttl, NotifyURL: m.receiver.URL + "/notify"})
	require.NoError(t, err)
	return r
}

func (m *merchantWorld) request(t *testing.T, id string) *paykit.Request {
	t.Helper()
	r, err := m.svc.FindRequestByID(context.Background(), m.tenant, id)
	require.NoError(t, err)
	return r
}

// delivered runs the due work and returns the callbacks received.
func (m *merchantWorld) delivered(t *testing.T) []map[string]any {
	t.Helper()
	require.NoError(t, m.svc.RunDue(context.Background()))
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.callbacks...)
}

// TestMemento_Browser: the payer opens the request's link, sees the merchant,
// the amount, the description, the picture and the time left, and pays or
// declines; the merchant's callback fires as from the app.
func TestMemento_Browser(t *testing.T) {
	t.Parallel()
	t.Run("Pay", func(t *testing.T) {
		t.Parallel()
		m := mustMerchant(t)
		b := mustBrowser(t)
		q := m.mustRequest(t, "12.40", 90*time.Second)
		link := m.svc.RequestLink(q)
		require.True(t, strings.HasPrefix(link, m.url+requestPath+"/"+m.tenant+"/"+q.ID+"?token="), link)

		require.EqualValues(t, 200, b.open(link))
		require.Equal(t, "Acme Gigs", b.text("merchant"))
		require.Equal(t, "alice", b.text("payer"))
		require.Equal(t, "12.40 USD", b.text("amount"))
		require.Equal(t, "Two coffees", b.text("description"))
		require.Equal(t, "pending", b.text("status"))
		require.Equal(t, "1 min 30 s (until 9 Jan 2026 12:01 UTC)", b.text("countdown"))
		require.Equal(t, "100.00 USD", b.text("balance"))
		// The merchant's picture loads: the page's CSP lets its origin in.
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("image").naturalWidth === 1`))
		require.NoError(t, err)
		require.True(t, loaded, "the request's image did not load")

		m.clock.Add(30 * time.Second)
		require.EqualValues(t, 200, b.open(link))
		require.Contains(t, b.text("countdown"), "1 min 0 s")

		require.EqualValues(t, 200, b.click("pay"))
		require.Equal(t, "paid", b.text("status"))
		require.Contains(t, b.text("outcome"), "Acme Gigs has been told")

		got := m.request(t, q.ID)
		require.Equal(t, paykit.RequestStatusPaid, got.Status)
		require.NotEmpty(t, got.TransactionID)
		acct, err := m.svc.FindMerchantAccount(context.Background(), m.tenant, "USD")
		require.NoError(t, err)
		require.Equal(t, "12.40", acct.Balance().Fixed())
		cbs := m.delivered(t)
		require.Len(t, cbs, 1)
		require.Equal(t, q.ID, cbs[0]["payment_request_id"])
		require.Equal(t, "paid", cbs[0]["status"])
		require.Equal(t, "order-7", cbs[0]["order"])
		require.NotEmpty(t, cbs[0]["signature"])
	})
	t.Run("Decline", func(t *testing.T) {
		t.Parallel()
		m := mustMerchant(t)
		b := mustBrowser(t)
		q := m.mustRequest(t, "5.00", time.Hour)
		require.EqualValues(t, 200, b.open(m.svc.RequestLink(q)))
		require.EqualValues(t, 200, b.click("decline"))
		require.Equal(t, "declined", b.text("status"))
		require.False(t, b.has("pay"))

		got := m.request(t, q.ID)
		require.Equal(t, paykit.RequestStatusRejected, got.Status)
		require.Equal(t, paykit.RequestReasonDeclined, got.Reason)
		cbs := m.delivered(t)
		require.Len(t, cbs, 1)
		require.Equal(t, "rejected", cbs[0]["status"])
	})
	t.Run("ShortBalance", func(t *testing.T) {
		t.Parallel()
		m := mustMerchant(t)
		b := mustBrowser(t)
		q := m.mustRequest(t, "150.00", time.Hour)
		require.EqualValues(t, 200, b.open(m.svc.RequestLink(q)))
		require.EqualValues(t, 422, b.click("pay"))
		require.NotEmpty(t, b.text("problem"))
		require.Equal(t, "pending", b.text("status"))
		require.Equal(t, paykit.RequestStatusPending, m.request(t, q.ID).Status)
	})
}

// TestMemento_BadInput: a link with a wrong token opens nothing, a form
// without its token or posted twice does nothing.
func TestMemento_BadInput(t *testing.T) {
	t.Parallel()
	m := mustMerchant(t)
	c := m.client(t)
	q := m.mustRequest(t, "12.40", time.Hour)
	link := m.svc.RequestLink(q)
	page := c.get(link)
	require.Equal(t, 200, page.Status)
	requireSecure(t, page)
	require.Contains(t, page.Header.Get("Content-Security-Policy"), "img-src 'self' data: "+m.images.URL+";")
	action, form := formOf(t, page.Body, "pay-form")

	u, _ := url.Parse(link)
	tok := u.Query().Get("token")
	for _, bad := range []string{
		u.Path + "?token=" + tok[1:],
		u.Path,
		strings.Replace(u.Path, q.ID, m.mustRequest(t, "1.00", time.Hour).ID, 1) + "?token=" + tok,
	} {
		r := c.get(bad)
		require.Equal(t, 404, r.Status, bad)
		requireSecure(t, r)
	}
	r := c.post(strings.Replace(action, "token="+tok, "token="+tok[1:], 1), form)
	require.Equal(t, 404, r.Status)
	r = c.post(action, url.Values{})
	require.Equal(t, 403, r.Status)
	require.Equal(t, paykit.RequestStatusPending, m.request(t, q.ID).Status)

	r = c.post(action, form)
	require.Equal(t, 303, r.Status)
	paid := m.request(t, q.ID)
	require.Equal(t, paykit.RequestStatusPaid, paid.Status)
	r = c.post(action, form)
	require.Equal(t, 409, r.Status)
	require.Contains(t, r.Body, "already sent")
	require.Equal(t, paid, m.request(t, q.ID))
	bal, err := m.svc.FindMerchantAccount(context.Background(), m.tenant, "USD")
	require.NoError(t, err)
	require.Equal(t, "12.40", bal.Balance().Fixed(), "paid once")
}
