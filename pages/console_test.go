package pages_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// consoleWorld is an env whose tenant has a webhook endpoint that answers
// with status (200 at first) and counts its hits, a completed token payment,
// and a delivery of each token event.
type consoleWorld struct {
	*env
	hits     atomic.Int32
	status   atomic.Int32
	endpoint *paykit.Endpoint
}

func mustConsole(t *testing.T) *consoleWorld {
	t.Helper()
	ctx := context.Background()
	w := &consoleWorld{env: mustEnv(t, paykit.WithPrivateDestinations())}
	w.status.Store(200)
	receiver := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		rw.WriteHeader(int(w.status.Load()))
	}))
	t.Cleanup(receiver.Close)
	var err error
	w.endpoint, err = w.svc.CreateEndpoint(ctx, w.tenant, paykit.EndpointCreate{URL: receiver.URL + "/hook", Events: []string{paykit.EventTokenCreated, paykit.EventTokenAccepted}})
	require.NoError(t, err)
	tok := w.mustToken(t, "75.00", "Gig", time.Hour)
	acc, err := w.svc.AcceptToken(ctx, w.tenant, tok.Token, w.payee)
	require.NoError(t, err)
	_, err = w.svc.CompletePayment(ctx, w.tenant, acc.Payment.ID)
	require.NoError(t, err)
	require.NoError(t, w.svc.RunDue(ctx))
	require.EqualValues(t, 2, w.hits.Load())
	return w
}

// deliveries returns the tenant's deliveries.
func (w *consoleWorld) deliveries(t *testing.T) []*paykit.Delivery {
	t.Helper()
	ds, err := w.svc.FindDeliveries(context.Background(), w.tenant, paykit.DeliveryFilter{})
	require.NoError(t, err)
	return ds
}

// TestConsole_Browser: the operator logs in with an API key, sees the
// overview's charts and the lists, opens a webhook delivery and redelivers
// it; the Service then sends it again.
func TestConsole_Browser(t *testing.T) {
	t.Parallel()
	w := mustConsole(t)
	b := mustBrowser(t)

	// Without a session, the console asks for the key.
	require.EqualValues(t, 200, b.open(w.url+consolePath+"/payments"))
	require.True(t, b.has("login-form"))
	b.fill("key", "not-a-key")
	require.EqualValues(t, 401, b.click("login"))
	require.Equal(t, "That API key is not valid.", b.text("login-error"))
	b.fill("key", w.key)
	require.EqualValues(t, 200, b.click("login"))
	require.Equal(t, "Acme Gigs", b.text("tenant"))

	// The overview: today's bar of each chart is drawn.
	require.Equal(t, "1,075.00 USD", b.text("volume-total"), "the deposit and the token's payment")
	require.Contains(t, b.text("webhook-summary"), "2 succeeded, 0 failed")
	bars, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#volume-chart rect.bar").length`))
	require.NoError(t, err)
	require.Equal(t, 1, bars)
	bars, err = chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#webhook-chart rect.ok").length`))
	require.NoError(t, err)
	require.Equal(t, 1, bars)

	for _, nav := range []struct{ link, table, want string }{
		{"nav-accounts", "accounts", "925.00 USD"}, // the business account's balance
		{"nav-payments", "payments", "75.00 USD"},
		{"nav-tokens", "tokens", "Gig"},
		{"nav-requests", "requests", "No requests."},
		{"nav-payouts", "payouts", "No payouts."},
		{"nav-events", "events", "token.accepted"},
		{"nav-deliveries", "deliveries", "token.created"},
	} {
		require.EqualValues(t, 200, b.click(nav.link), nav.link)
		require.Contains(t, b.text(nav.table), nav.want, nav.table)
	}

	// A delivery, its attempt, and the redeliver button.
	d := w.deliveries(t)[0]
	require.EqualValues(t, 200, b.click("d-"+d.ID))
	require.Equal(t, "succeeded", b.text("status"))
	require.Contains(t, b.text("attempt-log"), "succeeded (200)")
	w.status.Store(503)
	require.EqualValues(t, 200, b.click("redeliver"))
	require.Equal(t, "pending", b.text("status"))

	// Through the Service: the same delivery is queued again, and the next
	// run sends it.
	got, err := w.svc.FindDeliveryByID(context.Background(), w.tenant, d.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.DeliveryStatusPending, got.Status)
	require.NoError(t, w.svc.RunDue(context.Background()))
	require.EqualValues(t, 3, w.hits.Load())
	attempts, err := w.svc.FindDeliveryAttempts(context.Background(), w.tenant, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, 503, attempts[1].StatusCode)
	require.EqualValues(t, 200, b.open(w.url+consolePath+"/deliveries/"+d.ID))
	require.Contains(t, b.text("attempt-log"), "failed (503)")
	require.EqualValues(t, 200, b.open(w.url+consolePath+"/"))
	require.Contains(t, b.text("webhook-summary"), "1 succeeded, 1 failed or retrying")

	// Logging out ends the session.
	require.EqualValues(t, 200, b.click("logout"))
	require.True(t, b.has("login-form"))
	require.EqualValues(t, 200, b.open(w.url+consolePath+"/"))
	require.True(t, b.has("login-form"))
}

// login logs c into the console with key and returns the overview page.
func login(t *testing.T, c *client, key string) response {
	t.Helper()
	page := c.get(consolePath + "/login")
	require.Equal(t, 200, page.Status)
	action, form := formOf(t, page.Body, "login-form")
	form.Set("key", key)
	r := c.post(action, form)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, consolePath+"/", r.Header.Get("Location"))
	return c.get(consolePath + "/")
}

// TestConsole_Session: the session cookie's attributes, and what ends a
// session: its expiry, the key's revocation, logging out.
func TestConsole_Session(t *testing.T) {
	t.Parallel()
	w := mustConsole(t)
	c := w.client(t)
	require.Equal(t, http.StatusSeeOther, c.get(consolePath+"/").Status)

	page := c.get(consolePath + "/login")
	action, form := formOf(t, page.Body, "login-form")
	form.Set("key", w.key)
	r := c.post(action, form)
	require.Equal(t, http.StatusSeeOther, r.Status)
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"paykit_console=", "Path=/console/", "HttpOnly", "SameSite=Strict"} {
		require.Contains(t, strings.Join(r.Header.Values("Set-Cookie"), "\n"), want)
	}
	require.NotContains(t, cookie, w.key, "the key is sealed")
	overview := c.get(consolePath + "/")
	require.Equal(t, 200, overview.Status)
	requireSecure(t, overview)
	require.Contains(t, overview.Body, `<svg class="chart"`)

	// Paging: a page of 25 and a link to the next.
	for i := range 30 {
		w.mustToken(t, "1.00", "t"+string(rune('a'+i%26)), time.Hour)
	}
	first := c.get(consolePath + "/tokens")
	require.Equal(t, 200, first.Status)
	i := strings.Index(first.Body, `id="next"`)
	require.Positive(t, i)
	next := html.UnescapeString(first.Body[strings.LastIndex(first.Body[:i], `href="`)+6 : i-2])
	second := c.get(next)
	require.Equal(t, 200, second.Status)
	require.Contains(t, second.Body, `id="first"`)
	require.NotContains(t, second.Body, `id="next"`)
	require.Equal(t, 31, strings.Count(first.Body+second.Body, "<tr><td>")-0, "every token once")

	// The session expires by the Service's clock.
	w.clock.Add(8*time.Hour + time.Second)
	require.Equal(t, http.StatusSeeOther, c.get(consolePath+"/").Status)
	w.clock.Add(-8*time.Hour - time.Second)
	require.Equal(t, 200, c.get(consolePath+"/").Status)

	// Revoking the key ends its sessions at once.
	keys, err := w.svc.FindAPIKeys(context.Background(), w.tenant)
	require.NoError(t, err)
	_, err = w.svc.RevokeAPIKey(context.Background(), w.tenant, keys[0].ID)
	require.NoError(t, err)
	require.Equal(t, http.StatusSeeOther, c.get(consolePath+"/").Status)
}

// TestConsole_WebhookChart: the webhook chart counts each delivery on the
// day of its last attempt, by the Service's clock, and none attempted before
// its first day.
func TestConsole_WebhookChart(t *testing.T) {
	t.Parallel()
	w := mustConsole(t) // two deliveries, succeeded today
	ctx := context.Background()
	today := w.clock.Now()
	attemptAt := func(at time.Time, status int32) {
		w.clock.Set(at)
		w.status.Store(status)
		w.mustToken(t, "1.00", "Gig", time.Hour)
		require.NoError(t, w.svc.RunDue(ctx))
	}
	// Latest first, so that no run retries an earlier failure.
	attemptAt(today.AddDate(0, 0, -1), 503)  // yesterday: failed, to be retried
	attemptAt(today.AddDate(0, 0, -13), 503) // the chart's first day
	attemptAt(today.AddDate(0, 0, -14), 200) // the day before it
	attemptAt(today.AddDate(0, 0, -20), 200)
	w.clock.Set(today)
	require.EqualValues(t, 6, w.hits.Load(), "every delivery was attempted once")

	overview := login(t, w.client(t), w.key)
	require.Equal(t, 200, overview.Status)
	require.Contains(t, overview.Body, "2 succeeded, 2 failed or retrying, over the last 14 days")
	title := func(day time.Time, ok, bad int) string {
		return fmt.Sprintf("<title>%s: %d succeeded, %d failed or retrying</title>", day.UTC().Format("2 Jan"), ok, bad)
	}
	require.Contains(t, overview.Body, title(today, 2, 0))
	require.Contains(t, overview.Body, title(today.AddDate(0, 0, -1), 0, 1))
	require.Contains(t, overview.Body, title(today.AddDate(0, 0, -13), 0, 1))
	require.Equal(t, 3, strings.Count(overview.Body, `<rect class="`)-strings.Count(overview.Body, `<rect class="bar"`),
		"three days of webhook bars")
}

// TestConsole_BadInput: a redeliver without its token, with another
// session's, or posted twice does nothing more; the login form needs its
// own token and cookie.
func TestConsole_BadInput(t *testing.T) {
	t.Parallel()
	w := mustConsole(t)
	c := w.client(t)
	login(t, c, w.key)
	d := w.deliveries(t)[0]
	page := c.get(consolePath + "/deliveries/" + d.ID)
	require.Equal(t, 200, page.Status)
	action, form := formOf(t, page.Body, "redeliver-form")
	requeued := func() bool {
		got, err := w.svc.FindDeliveryByID(context.Background(), w.tenant, d.ID)
		require.NoError(t, err)
		return got.Status == paykit.DeliveryStatusPending
	}

	require.Equal(t, 403, c.post(action, url.Values{}).Status)
	require.False(t, requeued())
	// Another session's form (the same key, logged in elsewhere).
	other := w.client(t)
	login(t, other, w.key)
	_, otherForm := formOf(t, other.get(consolePath+"/deliveries/"+d.ID).Body, "redeliver-form")
	require.Equal(t, 403, c.post(action, otherForm).Status)
	// This delivery's form does not redeliver another.
	require.Equal(t, 403, c.post(consolePath+"/deliveries/"+w.deliveries(t)[1].ID+"/redeliver", form).Status)
	require.False(t, requeued())
	// Without a session, nothing happens either.
	anon := w.client(t)
	require.Equal(t, 401, anon.post(action, form).Status)
	require.False(t, requeued())

	require.Equal(t, http.StatusSeeOther, c.post(action, form).Status)
	require.True(t, requeued())
	r := c.post(action, form)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Contains(t, r.Body, "already sent")
	require.NoError(t, w.svc.RunDue(context.Background()))
	require.EqualValues(t, 3, w.hits.Load(), "redelivered once")

	// The login form: without its cookie, or with a forged token.
	fresh := w.client(t)
	lp := fresh.get(consolePath + "/login")
	la, lf := formOf(t, lp.Body, "login-form")
	lf.Set("key", w.key)
	bare := w.client(t)
	require.Equal(t, 403, bare.post(la, lf).Status)
	bad := url.Values{"key": {w.key}, "csrf": {lf.Get("csrf") + "A"}}
	require.Equal(t, 403, fresh.post(la, bad).Status)
	require.Equal(t, http.StatusSeeOther, fresh.post(la, lf).Status)
}
