package pages_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/pages"
	"github.com/paykit/paykit/store"
)

// epoch is where every test's mock clock starts.
var epoch = time.Date(2026, 1, 9, 12, 0, 0, 0, time.UTC)

// env is one test's world: a Service on a real SQLite file, driven by a mock
// clock, with every set of pages mounted on an httptest server, where the
// Service's links point.
type env struct {
	svc    *paykit.Service
	clock  *clock.Mock
	url    string
	tenant string // a tenant with a funded business account and a payee account
	biz    string // its business account, 1000.00 USD
	payee  string // its payee's account
	key    string // its API key
}

// The page sets' mount points on the test server.
const (
	walletPath   = "/wallet"
	requestPath  = "/r"
	appPath      = "/app" // Gigapay's invoice and employee links
	widgetPath   = "/widget"
	consolePath  = "/console"
	gigstackPath = "/gigstack"
)

// mustEnv starts a test world. When the test ends it checks every invariant
// of every tenant.
func mustEnv(tb testing.TB, opts ...paykit.Option) *env {
	tb.Helper()
	return mustEnvWith(tb, func(*clock.Mock) []paykit.Option { return opts })
}

// mustEnvWith is mustEnv with options that need the clock first (a sandbox
// chain's blocks are timed by it).
func mustEnvWith(tb testing.TB, options func(*clock.Mock) []paykit.Option) *env {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	mock := clock.NewMock()
	mock.Set(epoch)
	opts := options(mock)

	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	e := &env{clock: mock, url: srv.URL}
	e.svc = paykit.New(db, append([]paykit.Option{paykit.WithClock(mock), paykit.WithWalletURL(srv.URL + walletPath),
		paykit.WithRequestURL(srv.URL + requestPath), paykit.WithInvoiceAppURL(srv.URL + appPath),
		paykit.WithEmployeeURL(srv.URL + appPath), paykit.WithWidgetURL(srv.URL + widgetPath)}, opts...)...)
	tb.Cleanup(func() { require.NoError(tb, e.svc.CheckAllInvariants(context.Background())) })

	o := pages.Options{Key: []byte("a test key of the pages, 32 byte"), Logger: slog.New(slog.DiscardHandler)}
	mux.Handle(walletPath+"/", http.StripPrefix(walletPath, pages.NewWallet(e.svc, o)))
	mux.Handle(requestPath+"/", http.StripPrefix(requestPath, pages.NewMemento(e.svc, o)))
	mux.Handle(appPath+"/", http.StripPrefix(appPath, pages.NewGigapay(e.svc, o)))
	mux.Handle(widgetPath+"/", http.StripPrefix(widgetPath, pages.NewRudiqPay(e.svc, o)))
	mux.Handle(consolePath+"/", http.StripPrefix(consolePath, pages.NewConsole(e.svc, o)))
	mux.Handle(gigstackPath+"/", http.StripPrefix(gigstackPath, httpapi.NewGigstack(e.svc)))
	mux.Handle(gigstackPath+"/pay/", http.StripPrefix(gigstackPath, pages.NewGigstack(e.svc, o)))
	httpapi.RegisterSchemes(e.svc)

	tn, err := e.svc.CreateTenant(ctx, "", "Acme Gigs")
	require.NoError(tb, err)
	e.tenant, e.key = tn.ID, "test-key-"+strings.ReplaceAll(tb.Name(), "/", "-")
	_, err = e.svc.CreateAPIKey(ctx, e.tenant, e.key)
	require.NoError(tb, err)
	biz, err := e.svc.CreateAccount(ctx, e.tenant, paykit.AccountCreate{Currency: "USD", Name: "Acme payroll", BusinessAccountID: "acme"})
	require.NoError(tb, err)
	p, err := e.svc.CreateDeposit(ctx, e.tenant, paykit.DepositCreate{DestinationAccountID: biz.ID, Amount: dec("1000.00"), AssetType: "usd", ExternalStorage: "wire"})
	require.NoError(tb, err)
	_, err = e.svc.CompletePayment(ctx, e.tenant, p.ID)
	require.NoError(tb, err)
	payee, err := e.svc.CreateAccount(ctx, e.tenant, paykit.AccountCreate{Currency: "USD", Name: "Dana", UserIdentityID: "dana"})
	require.NoError(tb, err)
	e.biz, e.payee = biz.ID, payee.ID
	return e
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// mustToken creates a token of amount from the business account, expiring in
// ttl.
func (e *env) mustToken(tb testing.TB, amount, memo string, ttl time.Duration) *paykit.Token {
	tb.Helper()
	exp := e.clock.Now().Add(ttl)
	t, err := e.svc.CreateToken(context.Background(), e.tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: e.biz,
		Amount: dec(amount), ExpiresAt: &exp, Memo: memo})
	require.NoError(tb, err)
	return t
}

// token reads a token as it stands now.
func (e *env) token(tb testing.TB, id string) *paykit.Token {
	tb.Helper()
	t, err := e.svc.FindTokenByID(context.Background(), e.tenant, id)
	require.NoError(tb, err)
	return t
}

// available returns an account's available balance.
func (e *env) available(tb testing.TB, accountID string) string {
	tb.Helper()
	a, err := e.svc.FindAccountByID(context.Background(), e.tenant, accountID)
	require.NoError(tb, err)
	return a.Available().Fixed()
}

// response is one answer of the test server.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// client is a browser without JavaScript: it keeps cookies, and does not
// follow redirects, so a test sees each answer.
type client struct {
	tb  testing.TB
	c   *http.Client
	url string
}

func (e *env) client(tb testing.TB) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(tb, err)
	return &client{tb: tb, url: e.url, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// get fetches a path or an absolute URL.
func (c *client) get(target string) response {
	c.tb.Helper()
	return c.do(http.MethodGet, target, nil)
}

// post posts a form to a path or an absolute URL.
func (c *client) post(target string, form url.Values) response {
	c.tb.Helper()
	return c.do(http.MethodPost, target, form)
}

func (c *client) do(method, target string, form url.Values) response {
	c.tb.Helper()
	if strings.HasPrefix(target, "/") {
		target = c.url + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(c.tb, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.c.Do(req)
	require.NoError(c.tb, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.tb, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// formOf returns the action and fields of the form with the id in page.
func formOf(tb testing.TB, page, id string) (string, url.Values) {
	tb.Helper()
	i := strings.Index(page, `<form method="post" action="`)
	for i >= 0 && !strings.Contains(page[i:i+strings.Index(page[i:], ">")], `id="`+id+`"`) {
		j := strings.Index(page[i+1:], `<form method="post" action="`)
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	require.GreaterOrEqual(tb, i, 0, "no form %s in\n%s", id, page)
	rest := page[i+len(`<form method="post" action="`):]
	action := html.UnescapeString(rest[:strings.Index(rest, `"`)])
	end := strings.Index(rest, "</form>")
	fields := url.Values{}
	for _, in := range strings.Split(rest[:end], "<input")[1:] {
		name, value := attr(in, "name"), attr(in, "value")
		if name != "" {
			fields.Set(name, value)
		}
	}
	return action, fields
}

// attr returns the value of the attribute name in the tag text s.
func attr(s, name string) string {
	i := strings.Index(s, " "+name+`="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(name)+3:]
	return html.UnescapeString(s[:strings.Index(s, `"`)])
}

// requireSecure checks the headers every page carries.
func requireSecure(tb testing.TB, r response) {
	tb.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		require.Contains(tb, csp, d)
	}
	require.NotContains(tb, csp, "unsafe-inline")
	require.Equal(tb, "no-store", r.Header.Get("Cache-Control"))
	require.Equal(tb, "no-referrer", r.Header.Get("Referrer-Policy"))
	require.Equal(tb, "nosniff", r.Header.Get("X-Content-Type-Options"))
	require.Contains(tb, r.Body, `<meta name="viewport"`)
	require.NotContains(tb, r.Body, "<script")
	require.NotContains(tb, r.Body, "style=")
}
