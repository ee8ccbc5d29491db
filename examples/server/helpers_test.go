package main

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// epoch is where every demo server's mock clock starts.
var epoch = time.Date(2026, 1, 9, 12, 0, 0, 0, time.UTC)

// demoServer is the example server's own wiring (wire) on a fresh database
// file, seeded with the demo, driven by a mock clock and served by an
// httptest server: what a client of `go run ./examples/server -demo` talks to.
type demoServer struct {
	tb    testing.TB
	svc   *paykit.Service
	clock *clock.Mock
	db    *store.DB
	path  string       // the database file
	mux   http.Handler // wire's handler, for requests served in process
	url   string
}

// response is one answer of the demo server.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// mustDemo starts a demo server; opts adjust its options before wiring. When
// the test ends it checks every invariant of every tenant.
func mustDemo(tb testing.TB, opts ...func(*options)) *demoServer {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "paykit.db")
	db, err := store.Open(path)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	mock := clock.NewMock()
	mock.Set(epoch)
	o := options{demo: true, demoKey: "demo"}
	for _, f := range opts {
		f(&o)
	}
	svc, mux, err := wire(context.Background(), db, mock, slog.New(slog.DiscardHandler), o)
	require.NoError(tb, err)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { require.NoError(tb, svc.CheckAllInvariants(context.Background())) })
	return &demoServer{tb: tb, svc: svc, clock: mock, db: db, path: path, mux: mux, url: srv.URL}
}

// do sends a request with body (JSON unless a Content-Type header says
// otherwise) and headers given as name, value pairs.
func (d *demoServer) do(method, path, body string, headers ...string) response {
	d.tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, d.url+path, r)
	require.NoError(d.tb, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(d.tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(d.tb, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// mustDo is do that requires the status want.
func (d *demoServer) mustDo(want int, method, path, body string, headers ...string) response {
	d.tb.Helper()
	r := d.do(method, path, body, headers...)
	require.Equal(d.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// allowPrivate is the -allow-private-webhooks flag: the tests' receivers are
// httptest servers on 127.0.0.1, which the server refuses by default.
func allowPrivate(o *options) { o.allowPrivateWebhooks = true }

// runDue performs the work due now by the mock clock.
func (d *demoServer) runDue() {
	d.tb.Helper()
	require.NoError(d.tb, d.svc.RunDue(context.Background()))
}

// runningServer is `go run ./examples/server` itself (run), on a free port
// and a fresh database file.
type runningServer struct {
	addr string
	logs *bytes.Buffer
	stop func() error // cancels run and returns what it returned
}

// mustRun starts run with args plus -addr and -db, and waits until it serves.
// If the test does not stop it, it is stopped, and must stop cleanly, when the
// test ends.
func mustRun(t *testing.T, args ...string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &bytes.Buffer{}
	done := make(chan error, 1)
	ready := make(chan string, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "paykit.db")}, args...)
	go func() { done <- run(ctx, args, logs, func(addr string) { ready <- addr }) }()
	rs := &runningServer{logs: logs}
	select {
	case rs.addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before serving: %v\n%s", err, logs.String())
	}
	var stopped bool
	var stopErr error
	rs.stop = func() error {
		if stopped {
			return stopErr
		}
		stopped = true
		cancel()
		select {
		case stopErr = <-done:
		case <-time.After(10 * time.Second):
			stopErr = errors.New("server did not shut down within 10 s")
		}
		return stopErr
	}
	t.Cleanup(func() { require.NoError(t, rs.stop()) })
	return rs
}

// TestDemoServer_Wiring: the demo answers on every mount.
func TestDemoServer_Wiring(t *testing.T) {
	d := mustDemo(t)
	d.mustDo(200, "GET", "/", "")
	d.mustDo(200, "GET", "/gigpay/api/v1/accounts/"+demoBusinessAccount, "", "Authorization", "Bearer demo")
	d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", "Authorization", "Token demo", "Integration-ID", "demo")
	d.mustDo(200, "GET", "/webhooks/events", "", "Authorization", "Bearer demo")
}

// formPattern finds a page's form: its id, action and token.
var formPattern = regexp.MustCompile(`<form method="post" action="([^"]*)" id="([^"]*)"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]*)">`)

// submit opens the page at link (an absolute URL under the server's public
// URL: its path and query are asked of this server), posts its form formID
// with its token and the fields given as name, value pairs, as a browser
// does, and returns the page the browser ends at (it follows the redirect
// after a post).
func (d *demoServer) submit(link, formID string, fields ...string) response {
	d.tb.Helper()
	u, err := url.Parse(link)
	require.NoError(d.tb, err)
	page := d.mustDo(200, "GET", u.RequestURI(), "")
	for _, m := range formPattern.FindAllStringSubmatch(string(page.Body), -1) {
		if m[2] != formID {
			continue
		}
		form := url.Values{"csrf": {html.UnescapeString(m[3])}}
		for i := 0; i+1 < len(fields); i += 2 {
			form.Set(fields[i], fields[i+1])
		}
		return d.do("POST", html.UnescapeString(m[1]), form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	}
	d.tb.Fatalf("no form %s on %s:\n%s", formID, link, page.Body)
	return response{}
}
