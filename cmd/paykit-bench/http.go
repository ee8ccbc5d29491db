package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paykit/paykit/httpapi"
)

// overHTTP creates n tokens, then accepts them, through the GigPay API: the
// dialect mounted on a mux behind httpapi.NewServer (the example server's
// limits, but as many requests at once as there are callers), on a loopback
// port, and c clients on keep-alive connections, one each. Beside service at
// the same c, it tells what the HTTP layer costs: JSON, routing, auth, the
// dialect's checks and the server's limits.
func overHTTP(t *target, name string, n, c int) (create, accept result) {
	b := newBench(t, name, n)
	defer b.close()
	cl, stop := b.serveGigPay(c)
	defer stop()

	tokens := make([]string, n)
	create = run("CreateToken (HTTP)", n, c, func(i int) error {
		var out struct{ Token string }
		err := cl.post("/payment-tokens", createTokenBody(b.src.ID), &out)
		tokens[i] = out.Token
		return err
	})
	accept = run("AcceptToken (HTTP)", n, c, func(i int) error {
		return cl.post("/payment-tokens/"+tokens[i]+"/accept", map[string]any{"destinationAccountId": b.dst.ID}, nil)
	})
	return create, accept
}

// serveGigPay serves b's Service's GigPay API behind httpapi.NewServer (the
// example server's limits, but as many requests at once as c callers) on a
// loopback port, and returns a client of it on c keep-alive connections, and
// httpFloor is net/http alone, as overHTTP drives it: the same client, a
// request of the same size on a keep-alive connection per caller, and a
// plain http.Server whose handler reads the body and answers a token's worth
// of JSON. It is what any Go HTTP API pays on this machine, with its load
// generator in its process; what overHTTP costs beyond it, paykit's HTTP
// layer costs.
func httpFloor(n, c int) result {
	answer := []byte(`{"id":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c10","token":"` + strings.Repeat("x", 32) +
		`","sourceAccountId":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c11","amount":{"amount":"1.00","currency":"USD"},` +
		`"memo":"bench","status":"active","expiresAt":"2030-01-01T00:00:00Z","createdAt":"2026-01-01T00:00:00Z",` +
		`"updatedAt":"2026-01-01T00:00:00Z","reservationId":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c12"}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(answer)
	}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	cl := newClient("http://"+ln.Addr().String()+"/gigpay/api/v1", "floor", c)
	return run("no-op handler (HTTP floor)", n, c, func(int) error {
		var out struct{ Token string }
		return cl.post("/payment-tokens", createTokenBody("0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c11"), &out)
	})
}

// what stops the server.
func (b *bench) serveGigPay(c int) (*client, func()) {
	ctx := context.Background()
	key, err := b.svc.CreateAPIKey(ctx, b.tenant.ID, "")
	check(err)
	mux := http.NewServeMux()
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(b.svc)))
	limits := httpapi.DefaultServerLimits
	limits.MaxConcurrent = max(limits.MaxConcurrent, c)
	srv := httpapi.NewServer(mux, limits)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go srv.Serve(ln)
	cl := newClient("http://"+ln.Addr().String()+"/gigpay/api/v1", key, c)
	return cl, func() { srv.Shutdown(ctx) }
}

// createTokenBody is GigPay's request for a token of 1.00 USD from the
// account src.
func createTokenBody(src string) map[string]any {
	return map[string]any{"assetType": "usd", "sourceAccountId": src, "amount": json.Number("1"), "memo": "bench"}
}

// newClient returns a client of base with the API key key, keeping a
// connection for each of c callers.
func newClient(base, key string, c int) *client {
	return &client{base: base, key: key,
		http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}}
}

// client posts JSON to one API with a bearer key.
type client struct {
	base, key string
	http      *http.Client
}

// post sends in as JSON to path and decodes a 2xx answer into out, if given.
func (c *client) post(path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
