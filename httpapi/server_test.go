package httpapi_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/httpapi"
)

// serveLimited runs h behind NewServer(h, l) on a local port and returns its base URL.
func serveLimited(t *testing.T, h http.Handler, l httpapi.ServerLimits) string {
	t.Helper()
	srv := httpapi.NewServer(h, l)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func fetch(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Close = true
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestLimit_Turns: requests past MaxConcurrent wait QueueWait for a turn,
// then are 503 with Retry-After.
func TestLimit_Turns(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	})
	url := serveLimited(t, h, httpapi.ServerLimits{MaxConcurrent: 2, QueueWait: 50 * time.Millisecond, RetryAfter: 3 * time.Second})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { fetch(t, "GET", url+"/slow", "") })
	}
	<-started
	<-started
	status, h2, body := fetch(t, "GET", url+"/fast", "")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "3", h2.Get("Retry-After"))
	require.JSONEq(t, `{"error":{"code":"unavailable","message":"The server is busy: retry after the time in Retry-After."}}`, body)
	close(release)
	wg.Wait()
	status, _, _ = fetch(t, "GET", url+"/fast", "")
	require.Equal(t, http.StatusOK, status)
}

// TestLimit_Bodies: a body is read before the request takes a turn, within
// MaxBodyMemory for all bodies (503 past it) and MaxBodyBytes for one (its
// handler reads a *http.MaxBytesError past it, for its own 413).
func TestLimit_Bodies(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
		}
		io.WriteString(w, strconv.Itoa(len(b)))
	})
	url := serveLimited(t, h, httpapi.ServerLimits{MaxBodyBytes: 20 << 10, MaxBodyMemory: 64 << 10})
	status, _, _ := fetch(t, "POST", url, strings.Repeat("x", 10<<10))
	require.Equal(t, http.StatusOK, status)
	status, _, _ = fetch(t, "POST", url, strings.Repeat("x", 30<<10))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)

	// Bodies in progress hold the memory: here three slow ones of 20 KiB.
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		require.NoError(t, err)
		conns = append(conns, c)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30000\r\n\r\n"+strings.Repeat("x", 20<<10))
	}
	require.Eventually(t, func() bool {
		status, h, _ := fetch(t, "POST", url, strings.Repeat("x", 10<<10))
		return status == http.StatusServiceUnavailable && h.Get("Retry-After") == "1"
	}, 2*time.Second, 10*time.Millisecond)
	status, _, _ = fetch(t, "GET", url, "")
	require.Equal(t, http.StatusOK, status, "a request without a body needs none of it")
	for _, c := range conns {
		c.Close()
	}
	require.Eventually(t, func() bool { s, _, _ := fetch(t, "POST", url, strings.Repeat("x", 10<<10)); return s == 200 },
		2*time.Second, 10*time.Millisecond, "closed connections give their memory back")
}

// TestServer_LongHandler: ReadTimeout bounds reading a request, not handling
// it: a handler that takes longer (a long list) keeps its context (the
// server's background read would cancel it at the read deadline).
func TestServer_LongHandler(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
			io.WriteString(w, "done")
		case <-r.Context().Done():
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	url := serveLimited(t, h, httpapi.ServerLimits{ReadTimeout: 100 * time.Millisecond})
	for _, m := range []string{"GET", "POST"} {
		status, _, body := fetch(t, m, url, "{}")
		require.Equal(t, http.StatusOK, status, m)
		require.Equal(t, "done", body)
	}
}

// TestServer_SlowBody: a body that does not arrive within ReadTimeout is 408.
func TestServer_SlowBody(t *testing.T) {
	url := serveLimited(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), httpapi.ServerLimits{ReadTimeout: 100 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer c.Close()
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 408 Request Timeout\r\n", line)
}

// TestLimitListener: a connection past the cap is answered 503 with
// Retry-After and closed; one frees its place when it closes.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := httpapi.LimitListener(inner, 2, 2*time.Second)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		require.NoError(t, err)
		held = append(held, c)
	}
	// Once both are accepted (real time):
	require.Eventually(t, func() bool {
		status, h, _ := fetch(t, "GET", srv.URL, "")
		return status == http.StatusServiceUnavailable && h.Get("Retry-After") == "2"
	}, 5*time.Second, 10*time.Millisecond)
	held[0].Close()
	require.Eventually(t, func() bool { s, _, _ := fetch(t, "GET", srv.URL, ""); return s == 200 }, 2*time.Second, 10*time.Millisecond)
	held[1].Close()
}

// TestServerLimits_Defaults: a zero field takes its default, a negative one
// is off, and the connections fit the open-file limit.
func TestServerLimits_Defaults(t *testing.T) {
	l := httpapi.NewServer(http.NotFoundHandler(), httpapi.ServerLimits{MaxConcurrent: -1, ReadTimeout: 5 * time.Second}).Limits()
	require.Equal(t, 5*time.Second, l.ReadTimeout)
	require.Zero(t, l.MaxConcurrent)
	d := httpapi.DefaultServerLimits
	require.Equal(t, d.WriteTimeout, l.WriteTimeout)
	require.Equal(t, d.IdleTimeout, l.IdleTimeout)
	require.Equal(t, d.MaxHeaderBytes, l.MaxHeaderBytes)
	require.Equal(t, d.MaxBodyBytes, l.MaxBodyBytes)
	require.Positive(t, l.MaxConns)
	require.LessOrEqual(t, l.MaxConns, d.MaxConns)
}
