package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// Issue 13, "Safe by default": each finding an attacker made against the
// example server, through its own wiring (mustDemo) or the running server
// (mustRun).

// gigapayHeaders are the demo's Gigapay credentials, as the README's H.
var gigapayHeaders = []string{"Authorization", "Token demo", "Integration-ID", "demo"}

// TestSafety_SSRF (finding 1): without -allow-private-webhooks the server
// refuses webhooks and callbacks to this machine, its networks and the cloud
// metadata service, in every spelling of the address and on every API, and
// headers that would carry credentials; the README's receivers at
// example.com are public and still work.
func TestSafety_SSRF(t *testing.T) {
	d := mustDemo(t)
	bearer := []string{"Authorization", "Bearer demo"}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://127.0.0.1:8080/hook",
		"http://[::127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://2130706433/", "http://localhost/"} {
		r := d.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"`+u+`"}`, bearer...)
		require.Contains(t, string(r.Body), `"url"`, u)
		r = d.mustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"`+u+`","events":["Payout.notified"]}`, gigapayHeaders...)
		require.Contains(t, string(r.Body), `"url"`, u)
		out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "+14155551212", u))
		require.False(t, out.Success, "%s", body)
		require.Contains(t, string(body), "notify_url", u)
	}
	for _, h := range []string{"Authorization", "Metadata-Flavor", "Cookie", "X-Forwarded-For", "Proxy-Authorization"} {
		r := d.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"`+h+`":"x"}}`, bearer...)
		require.Contains(t, string(r.Body), "may not be sent to an endpoint", h)
	}

	// The README's walkthroughs post to example.com.
	d.mustDo(201, "POST", "/gigapay/v2/webhooks/", `{"url": "https://example.com/hooks", "events": ["Payout.notified", "Invoice.paid"]}`, gigapayHeaders...)
	out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "+14155551212", "https://example.com/notification"))
	require.True(t, out.Success, "%s", body)
	d.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"X-Tenant":"acme"}}`, bearer...)

	// -allow-private-webhooks lets local receivers in, and only them.
	open := mustDemo(t, allowPrivate)
	open.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"url":"http://127.0.0.1:8080/hook"}`, bearer...)
	open.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"Authorization":"x"}}`, bearer...)
}

// TestRun_AllowPrivateWebhooks: the flag is logged when given, and -demo
// alone keeps the guard on.
func TestRun_AllowPrivateWebhooks(t *testing.T) {
	rs := mustRun(t, "-demo", "-allow-private-webhooks")
	require.NoError(t, rs.stop())
	require.Contains(t, rs.logs.String(), "-allow-private-webhooks")

	rs = mustRun(t, "-demo")
	require.NoError(t, rs.stop())
	require.NotContains(t, rs.logs.String(), "private")
	require.True(t, strings.Contains(rs.logs.String(), "demo tenant ready"))
}

// TestSafety_CSRF (finding 2): a page on another site cannot make a browser
// that is logged in to the browsable Gigapay API (HTTP Basic) create a
// webhook or a payout, nor post to Memento (HTTP Basic too); the same
// requests from the server's own pages, or from programs, work. JSON routes
// refuse bodies a browser may send across sites without asking (text/plain).
func TestSafety_CSRF(t *testing.T) {
	d := mustDemo(t)
	d.mustDo(201, "POST", "/gigapay/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`, gigapayHeaders...)
	// What the browser sends for a form on https://evil.example, with the
	// credentials it keeps for the API.
	browser := func(origin, site string) []string {
		h := []string{"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8",
			"Authorization", "Basic " + basicPair("demo", "demo")}
		if origin != "" {
			h = append(h, "Origin", origin)
		}
		if site != "" {
			h = append(h, "Sec-Fetch-Site", site)
		}
		return h
	}
	webhook := "url=https%3A%2F%2Fexample.com%2Fhooks&events=Payout.notified"
	payout := "amount=500&currency=SEK&employee=67&description=gift"
	for _, attack := range [][]string{
		browser("https://evil.example", "cross-site"),
		browser("https://evil.example", ""), // a browser without Sec-Fetch-Site: Origin against Host
		browser("", "cross-site"),
		browser("https://demo.example", "same-site"), // a sibling subdomain is another origin
	} {
		r := d.mustDo(403, "POST", "/gigapay/v2/webhooks/", webhook, attack...)
		require.Contains(t, string(r.Body), "CSRF Failed")
		d.mustDo(403, "POST", "/gigapay/v2/payouts/", payout, attack...)
		d.mustDo(403, "DELETE", "/gigapay/v2/employees/67/", "", attack...)
	}
	r := d.mustDo(403, "POST", "/gigapay/v2/webhooks/?format=json", webhook, browser("https://evil.example", "cross-site")...)
	require.JSONEq(t, `{"detail":"CSRF Failed: Origin checker failed - https://evil.example does not match any trusted origins."}`, string(r.Body))
	r = d.mustDo(200, "GET", "/gigapay/v2/webhooks/", "", gigapayHeaders...)
	require.Contains(t, string(r.Body), `"count":0`, "no webhook was created")
	r = d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", gigapayHeaders...)
	require.Contains(t, string(r.Body), `"count":0`, "no payout was created")

	// The browsable API's own pages post from the same origin.
	d.mustDo(201, "POST", "/gigapay/v2/webhooks/", webhook, browser(d.url, "same-origin")...)
	d.mustDo(201, "POST", "/gigapay/v2/payouts/", payout, browser(d.url, "")...)
	// A link followed or a URL typed: no site, and reads are never refused.
	d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", browser("https://evil.example", "cross-site")...)

	// Memento takes HTTP Basic too; a cross-site request is refused in its
	// own shape, and creates nothing.
	req := requestBody("10.99", "+14155551212", "https://example.com/notification")
	r = d.mustDo(200, "POST", "/memento/v1/requests", req, "Authorization", "Basic "+basicPair("demo", ""),
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Contains(t, string(r.Body), `"success":false`)
	require.Contains(t, string(r.Body), `"invalid_data"`)
	require.Contains(t, string(r.Body), "Cross-origin request refused")
	// JSON as text/plain, which a form can send across sites, is refused
	// too, with Memento's invalid_data, and so on every JSON API.
	r = d.mustDo(200, "POST", "/memento/v1/requests", req, "Authorization", "Basic "+basicPair("demo", ""), "Content-Type", "text/plain")
	require.Contains(t, string(r.Body), `"invalid_data"`)
	require.Contains(t, string(r.Body), "Content-Type")
	r = d.mustDo(415, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "text/plain;charset=UTF-8")
	require.Contains(t, string(r.Body), `"Content-Type"`)
	d.mustDo(415, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook"}`, "Authorization", "Bearer demo", "Content-Type", "text/plain")
	// Programs send no Origin; JSON with its type, or none, works.
	out, body := d.memento("demo", "POST", "/memento/v1/requests", req)
	require.True(t, out.Success, "%s", body)
	d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "application/json; charset=utf-8")
	d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "")
}

// basicPair is the HTTP Basic credentials of user and password.
func basicPair(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// TestSafety_SlowClients (finding 3): clients trickling their bodies on many
// connections hold neither the requests' turns nor the database's files:
// normal requests are served meanwhile, the tricklers are cut off at the
// read timeout (408), and connections past the cap are answered 503 with
// Retry-After at once, never left to time out or fail as a 500. Real time:
// these are the network's timeouts.
func TestSafety_SlowClients(t *testing.T) {
	rs := mustRun(t, "-demo", "-read-timeout", "2s", "-max-conns", "48", "-max-requests", "4")
	base := "http://" + rs.addr
	try := func() (int, string, error) {
		req, _ := http.NewRequest("GET", base+"/gigpay/api/v1/accounts/"+demoBusinessAccount, nil)
		req.Header.Set("Authorization", "Bearer demo")
		req.Close = true // a connection of its own each time
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header.Get("Retry-After"), nil
	}
	get := func() (int, string) {
		status, retry, err := try()
		require.NoError(t, err)
		return status, retry
	}
	post := func() int {
		req, _ := http.NewRequest("POST", base+"/gigpay/api/v1/payment-tokens",
			strings.NewReader(`{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`))
		req.Header.Set("Authorization", "Bearer demo")
		req.Header.Set("Content-Type", "application/json")
		req.Close = true
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}

	// 40 connections (more than 4 turns, fewer than 48 connections), each
	// promising a 1 MiB body and sending a byte every 50 ms.
	const tricklers = 40
	answers := make(chan string, tricklers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range tricklers {
		c, err := net.Dial("tcp", rs.addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST /gigpay/api/v1/payment-tokens HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer demo\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{", rs.addr, 1<<20)
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		})
		go func() {
			c.SetReadDeadline(time.Now().Add(15 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			answers <- strings.TrimSpace(line)
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })

	// Meanwhile, every normal request is served, while every trickler is
	// still connected.
	start := time.Now()
	for range 10 {
		status, _ := get()
		require.Equal(t, 200, status)
		require.Equal(t, 201, post())
	}
	require.Empty(t, answers, "served while the tricklers trickle")

	// The tricklers are cut off at the read timeout, with a 408.
	for range tricklers {
		select {
		case line := <-answers:
			require.Equal(t, "HTTP/1.1 408 Request Timeout", line)
		case <-time.After(10 * time.Second):
			t.Fatal("a trickling client was not cut off")
		}
	}
	require.GreaterOrEqual(t, time.Since(start), time.Second, "not before the read timeout")

	// Connections past the cap get 503 with Retry-After at once.
	var idle []net.Conn
	for range 48 {
		c, err := net.Dial("tcp", rs.addr)
		require.NoError(t, err)
		idle = append(idle, c)
	}
	// Once the server has accepted them all (real time):
	// A connection the server is still accepting may be closed unanswered
	// meanwhile (slow under the race detector): only answers count.
	require.Eventually(t, func() bool { status, retry, err := try(); return err == nil && status == 503 && retry == "1" },
		15*time.Second, 20*time.Millisecond)
	for _, c := range idle {
		c.Close()
	}
	require.Eventually(t, func() bool { s, _, err := try(); return err == nil && s == 200 }, 10*time.Second, 20*time.Millisecond)
}

// TestSafety_BodyFlood (finding 5): a flood of 1 MiB bodies holds a bounded
// amount of memory while it lasts, and gives it back within seconds (the
// server kept about 240 MB for minutes: any number of requests read their
// bodies whole at once, and an idle server runs no garbage collection to
// return the memory). The server is a child process, so that its resident
// memory is its own: this test binary run as the server (see TestMain).
func TestSafety_BodyFlood(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/<pid>/status")
	}
	if raceEnabled {
		t.Skip("the race detector's own memory would be measured")
	}
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "paykit.db"), "-demo")
	cmd.Env = append(os.Environ(), runAsServer+"=1")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "addr=http://"); ok && strings.Contains(sc.Text(), "listening") {
				addr <- strings.Fields(a)[0]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not start")
	}
	rss := func() int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		require.NoError(t, err)
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				require.NoError(t, err)
				return kb << 10
			}
		}
		t.Fatal("no VmRSS")
		return 0
	}
	before := rss()

	body := []byte(`{"assetType":"usd","sourceAccountId":"` + demoBusinessAccount + `","amount":1,"memo":"` +
		strings.Repeat("a", 1<<20-200) + `"}`)
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if r := rss(); r > peak.Load() {
				peak.Store(r)
			}
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	end := time.Now().Add(2 * time.Second)
	var mu sync.Mutex
	codes := make(map[int]int)
	var wg sync.WaitGroup
	for range 256 {
		wg.Go(func() {
			for time.Now().Before(end) {
				req, _ := http.NewRequest("POST", "http://"+base+"/gigpay/api/v1/payment-tokens", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer demo")
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				codes[res.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(done)
	client.CloseIdleConnections()
	t.Logf("answers %v; resident memory %d MiB before, %d MiB at the peak", codes, before>>20, peak.Load()>>20)
	require.Positive(t, codes[400], "a 1 MiB memo is refused (at most 1000 bytes)")
	require.Zero(t, codes[500])
	// 256 clients at once: about 145 MiB at the peak (it was about 230 MiB,
	// and grew with the clients).
	require.Less(t, peak.Load(), int64(192<<20), "the bodies in memory at once are bounded")
	start := time.Now()
	// Given back: under half the burst's growth within a few seconds (about
	// 100 ms on an idle machine; slower when the machine is busy).
	back := before + (peak.Load()-before)/2
	require.Eventually(t, func() bool { return rss() < back }, 15*time.Second, 50*time.Millisecond,
		"the memory is given back (now %d MiB)", rss()>>20)
	t.Logf("given back within %s", time.Since(start).Round(100*time.Millisecond))
}

// runAsServer, set in the environment, makes this test binary the example
// server itself, with its arguments (TestSafety_BodyFlood).
const runAsServer = "PAYKIT_TEST_RUN_AS_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(runAsServer) != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// exhaustedStore is a Store out of a resource when exhausted is set: its
// API key lookup, which every authenticated request makes, fails as the
// SQLite store fails when it cannot open a file (EUNAVAILABLE).
type exhaustedStore struct {
	paykit.Store
	exhausted atomic.Bool
}

func (s *exhaustedStore) FindCredential(ctx context.Context, hash []byte) (*paykit.APIKey, *paykit.Tenant, error) {
	if s.exhausted.Load() {
		return nil, nil, fmt.Errorf("find credential: %w", paykit.Errorf(paykit.EUNAVAILABLE, "The database is out of a resource or busy: retry later."))
	}
	return s.Store.FindCredential(ctx, hash)
}

// TestSafety_Unavailable (finding 3): a store out of a resource (it used to
// answer "unable to open database file" as a 500) is 503 with Retry-After on
// every API that answers with statuses, in its own shape, and Memento's
// "system error"; once it recovers, the same requests succeed.
func TestSafety_Unavailable(t *testing.T) {
	st := &exhaustedStore{}
	d := mustDemo(t, func(o *options) { o.wrapStore = func(s paykit.Store) paykit.Store { st.Store = s; return st } })
	st.exhausted.Store(true)
	r := d.mustDo(503, "GET", "/gigpay/api/v1/accounts/"+demoBusinessAccount, "", "Authorization", "Bearer demo")
	require.Equal(t, "1", r.Header.Get("Retry-After"))
	require.Contains(t, string(r.Body), `"code":"unavailable"`)
	r = d.mustDo(503, "GET", "/gigapay/v2/payouts/", "", gigapayHeaders...)
	require.Equal(t, "1", r.Header.Get("Retry-After"))
	require.JSONEq(t, `{"detail":"Service temporarily unavailable, try again later."}`, string(r.Body))
	r = d.mustDo(503, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook"}`, "Authorization", "Bearer demo")
	require.Equal(t, "1", r.Header.Get("Retry-After"))
	r = d.mustDo(200, "GET", "/memento/v1/requests/x/status", "", "Authorization", "Basic "+basicPair("demo", ""))
	require.Contains(t, string(r.Body), `"system_error"`)

	st.exhausted.Store(false)
	d.mustDo(200, "GET", "/gigpay/api/v1/accounts/"+demoBusinessAccount, "", "Authorization", "Bearer demo")
	d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", gigapayHeaders...)
}

// TestSafety_ExpiryAndNUL (finding 5): an expiry of 0001-01-01 is an expiry in
// the past, not "none", and 9999-12-31 is past the longest a token may
// reserve its payer's funds (5 years); Memento's expires_in keeps its bounds
// (10 s to 7 days). A NUL character in any text is refused on every API.
func TestSafety_ExpiryAndNUL(t *testing.T) {
	d := mustDemo(t)
	bearer := []string{"Authorization", "Bearer demo"}
	token := func(extra string) response {
		return d.do("POST", "/gigpay/api/v1/payment-tokens",
			`{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1`+extra+`}`, bearer...)
	}
	for _, tc := range []struct{ expiry, says string }{
		{"0001-01-01T00:00:00Z", "Expiry must be in the future."},
		{"0001-01-01T00:00:00", "Expiry must be in the future."},
		{"2020-01-01T00:00:00Z", "Expiry must be in the future."},
		{"9999-12-31T23:59:59Z", "Expiry must be at most 5 years from now."},
		{"2031-01-10T00:00:00Z", "Expiry must be at most 5 years from now."},
	} {
		r := token(`,"expiresAtUtc":"` + tc.expiry + `"`)
		require.Equal(t, 400, r.Status, tc.expiry)
		require.Contains(t, string(r.Body), `"expiresAtUtc":"`+tc.says+`"`, tc.expiry)
	}
	for _, extra := range []string{``, `,"expiresAtUtc":null`} {
		r := token(extra)
		require.Equal(t, 201, r.Status, "%s", r.Body)
		require.Contains(t, string(r.Body), `"expiresAtUtc":"2026-01-16T12:00:00.000Z"`, "7 days by default")
	}
	require.Equal(t, 201, token(`,"expiresAtUtc":"2030-01-09T18:00:56.246Z"`).Status, "the document's example")

	for _, in := range []string{"0", "9", "604801", "9999999999", "-90"} {
		out, body := d.memento("demo", "POST", "/memento/v1/requests", strings.Replace(
			requestBody("10.99", "+14155551212", "https://example.com/notification"), `"expires_in": 90`, `"expires_in": `+in, 1))
		require.False(t, out.Success, "%s", body)
		require.Contains(t, string(body), "expires_in", in)
	}

	// NUL characters.
	r := token(`,"memo":"gig\u0000"`)
	require.Equal(t, 400, r.Status)
	require.Contains(t, string(r.Body), `"memo":"Text may not contain NUL characters (U+0000)."`)
	r = d.mustDo(400, "POST", "/gigapay/v2/employees/", `{"name": "Albin\u0000", "cellphone_number": "+46703000000", "country": "SWE"}`, gigapayHeaders...)
	require.JSONEq(t, `{"name":["Null characters are not allowed."]}`, string(r.Body))
	r = d.mustDo(400, "POST", "/gigapay/v2/employees/", "name=Albin%00&cellphone_number=%2B46703000000&country=SWE",
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, gigapayHeaders...)...)
	require.JSONEq(t, `{"name":["Null characters are not allowed."]}`, string(r.Body))
	out, body := d.memento("demo", "POST", "/memento/v1/requests", strings.Replace(
		requestBody("10.99", "+14155551212", "https://example.com/notification"), "T-shirt", `T-shirt\u0000`, 1))
	require.False(t, out.Success)
	require.Contains(t, string(body), "description")
	d.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","description":"\u0000"}`, bearer...)
	r = d.mustDo(200, "GET", "/gigapay/v2/employees/", "", gigapayHeaders...)
	require.Contains(t, string(r.Body), `"count":0`, "nothing stored")
}
