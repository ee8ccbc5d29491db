package pages

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/paykit/paykit"
)

// NewConsole returns the operator console of a tenant, behind a login with
// one of the tenant's API keys (console_session.go): accounts with balances,
// payments (newest first), tokens, payment requests, payouts, events and the
// webhook delivery log with each delivery's attempts and a redeliver button,
// and an overview charting payment volume and webhook success by day. Long
// lists are paged. See the package doc for the routes.
func NewConsole(svc *paykit.Service, o Options) http.Handler {
	c := &consolePages{site: newSite(svc, o)}
	mux := c.newMux()
	mux.HandleFunc("GET /login", c.showLogin)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.authed(c.logout))
	mux.HandleFunc("GET /{$}", c.authed(c.overview))
	mux.HandleFunc("GET /accounts", c.authed(c.accounts))
	mux.HandleFunc("GET /payments", c.authed(c.payments))
	mux.HandleFunc("GET /tokens", c.authed(c.tokens))
	mux.HandleFunc("GET /requests", c.authed(c.requests))
	mux.HandleFunc("GET /payouts", c.authed(c.payouts))
	mux.HandleFunc("GET /events", c.authed(c.events))
	mux.HandleFunc("GET /deliveries", c.authed(c.deliveries))
	mux.HandleFunc("GET /deliveries/{id}", c.authed(c.delivery))
	mux.HandleFunc("POST /deliveries/{id}/redeliver", c.authed(c.redeliver))
	return secure(mux)
}

type consolePages struct{ *site }

// consolePageSize is how many rows a list shows.
const consolePageSize = 25

// authed runs h with the request's session, or sends a browser without one
// to the login page (a GET), or refuses the form (a POST).
func (c *consolePages) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := c.openSession(r.Context(), r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				seeOther(w, r, "/login")
				return
			}
			c.fail(w, r, paykit.Errorf(paykit.EUNAUTHORIZED, "Your session ended, so nothing was done. Log in again."))
			return
		}
		h(w, r, sess)
	}
}

// consoleView is what every console page shows around its section.
type consoleView struct {
	Tenant  *paykit.Tenant
	Section string // the nav entry shown as current
	Logout  form
	Page    any    // the section's own
	Next    string // the next page's URL, or ""
	First   string // the first page's URL when not on it, or ""
	Notice  string
}

// show renders a console section.
func (c *consolePages) show(w http.ResponseWriter, r *http.Request, sess *session, status int, section, title string, v consoleView) {
	v.Tenant, v.Section = sess.tenant, section
	v.Logout = c.forms.make(basePath(r)+"/logout", sessionScope(sess), "logout", "")
	c.render(w, r, status, "console_"+section, view{Title: title + " · " + sess.tenant.Name, Wide: true, Data: v})
}

// pageOf returns the rows a list shows of rows, fetched with one more than
// it shows, and fills v's links: Next when there was one more (its cursor
// parameter param, the last shown row's cursor), First when the request is
// not for the first page.
func pageOf[T any](r *http.Request, v *consoleView, rows []T, cursor func(T) string, param string) []T {
	path := basePath(r) + r.URL.Path
	if len(rows) > consolePageSize {
		rows = rows[:consolePageSize]
		v.Next = path + "?" + url.Values{param: {cursor(rows[len(rows)-1])}}.Encode()
	}
	if r.URL.Query().Get(param) != "" {
		v.First = path
	}
	return rows
}

func (c *consolePages) accounts(w http.ResponseWriter, r *http.Request, sess *session) {
	as, err := c.svc.FindAccounts(r.Context(), sess.tenant.ID, paykit.AccountFilter{After: r.URL.Query().Get("after"), Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = pageOf(r, &v, as, func(a *paykit.Account) string { return a.ID }, "after")
	c.show(w, r, sess, http.StatusOK, "accounts", "Accounts", v)
}

func (c *consolePages) payments(w http.ResponseWriter, r *http.Request, sess *session) {
	ps, total, err := c.svc.FindPaymentPage(r.Context(), sess.tenant.ID, paykit.PaymentFilter{Sort: paykit.PaymentSortCreatedDesc,
		After: r.URL.Query().Get("after"), Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = struct {
		Payments []*paykit.Payment
		Total    int
	}{pageOf(r, &v, ps, func(p *paykit.Payment) string { return p.ID }, "after"), total}
	c.show(w, r, sess, http.StatusOK, "payments", "Payments", v)
}

func (c *consolePages) tokens(w http.ResponseWriter, r *http.Request, sess *session) {
	ts, err := c.svc.FindTokens(r.Context(), sess.tenant.ID, paykit.TokenFilter{After: r.URL.Query().Get("after"), Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = pageOf(r, &v, ts, func(t *paykit.Token) string { return t.ID }, "after")
	c.show(w, r, sess, http.StatusOK, "tokens", "Payment tokens", v)
}

func (c *consolePages) requests(w http.ResponseWriter, r *http.Request, sess *session) {
	qs, err := c.svc.FindRequests(r.Context(), sess.tenant.ID, paykit.RequestFilter{After: r.URL.Query().Get("after"), Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = pageOf(r, &v, qs, func(q *paykit.Request) string { return q.ID }, "after")
	c.show(w, r, sess, http.StatusOK, "requests", "Payment requests", v)
}

func (c *consolePages) payouts(w http.ResponseWriter, r *http.Request, sess *session) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	ps, total, err := c.svc.FindPayouts(r.Context(), sess.tenant.ID, paykit.PayoutFilter{ListPage: paykit.ListPage{
		Offset: (page - 1) * consolePageSize, Limit: consolePageSize}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{Page: struct {
		Payouts []*paykit.Payout
		Total   int
	}{ps, total}}
	path := basePath(r) + r.URL.Path
	if page*consolePageSize < total {
		v.Next = path + "?page=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		v.First = path
	}
	c.show(w, r, sess, http.StatusOK, "payouts", "Payouts", v)
}

func (c *consolePages) events(w http.ResponseWriter, r *http.Request, sess *session) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	evs, err := c.svc.FindEvents(r.Context(), sess.tenant.ID, paykit.EventFilter{AfterSeq: after, Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = pageOf(r, &v, evs, func(ev *paykit.Event) string { return strconv.FormatInt(ev.Seq, 10) }, "after")
	c.show(w, r, sess, http.StatusOK, "events", "Events", v)
}

func (c *consolePages) deliveries(w http.ResponseWriter, r *http.Request, sess *session) {
	ds, err := c.svc.FindDeliveries(r.Context(), sess.tenant.ID, paykit.DeliveryFilter{After: r.URL.Query().Get("after"), Limit: consolePageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := consoleView{}
	v.Page = pageOf(r, &v, ds, func(d *paykit.Delivery) string { return d.ID }, "after")
	c.show(w, r, sess, http.StatusOK, "deliveries", "Webhook deliveries", v)
}

// deliveryView is a delivery's page: its attempts, and the redeliver form.
type deliveryView struct {
	Delivery  *paykit.Delivery
	Attempts  []*paykit.DeliveryAttempt
	Redeliver form
}

// deliveryState is the state of a delivery for the redeliver form: a
// redelivery requeues it, which moves its status, tries or next attempt.
func deliveryState(d *paykit.Delivery) string {
	next := ""
	if d.NextAttemptAt != nil {
		next = strconv.FormatInt(d.NextAttemptAt.UnixMicro(), 10)
	}
	return stateOf(d.UpdatedAt, string(d.Status), strconv.Itoa(d.Attempts), strconv.Itoa(d.Tries), next)
}

func (c *consolePages) delivery(w http.ResponseWriter, r *http.Request, sess *session) {
	c.deliveryPage(w, r, sess, http.StatusOK, "")
}

func (c *consolePages) deliveryPage(w http.ResponseWriter, r *http.Request, sess *session, status int, notice string) {
	ctx := r.Context()
	d, err := c.svc.FindDeliveryByID(ctx, sess.tenant.ID, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	as, err := c.svc.FindDeliveryAttempts(ctx, sess.tenant.ID, d.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := deliveryView{Delivery: d, Attempts: as,
		Redeliver: c.forms.make(basePath(r)+"/deliveries/"+url.PathEscape(d.ID)+"/redeliver", sessionScope(sess), "redeliver:"+d.ID, deliveryState(d))}
	c.show(w, r, sess, status, "delivery", "Delivery "+d.ID, consoleView{Page: v, Notice: notice})
}

// redeliver sends the delivery's event again (Service.RedeliverEvent): the
// attempts happen at the next run of the background work.
func (c *consolePages) redeliver(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	d, err := c.svc.FindDeliveryByID(ctx, sess.tenant.ID, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.forms.checkState(r, sessionScope(sess), "redeliver:"+d.ID, deliveryState(d)); err == errStale {
		c.deliveryPage(w, r, sess, http.StatusConflict, errStale.message)
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	if _, err := c.svc.RedeliverEvent(ctx, sess.tenant.ID, d.EventID); err != nil {
		c.fail(w, r, err)
		return
	}
	seeOther(w, r, "/deliveries/"+url.PathEscape(d.ID))
}
