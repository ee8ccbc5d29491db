package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

// hookReceiver records every request it gets, by path, and answers 204.
type hookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]hookRequest
}

type hookRequest struct {
	Header http.Header
	Body   []byte
}

func newHookReceiver(tb testing.TB) *hookReceiver {
	h := &hookReceiver{got: map[string][]hookRequest{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got[r.URL.Path] = append(h.got[r.URL.Path], hookRequest{r.Header.Clone(), b})
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) requests(path string) []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got[path]...)
}

// TestWebhooks_StandardHeadersTogether: every endpoint has a whsec_ secret,
// drawn when none is given, so webhook-id, webhook-timestamp and
// webhook-signature always come together, and a real delivery verifies with
// the official Standard Webhooks library: here one of a Gigapay webhook, whose
// documented object does not show the secret (the generic /webhooks API
// does), and one of a standard endpoint.
func TestWebhooks_StandardHeadersTogether(t *testing.T) {
	d := mustDemo(t, allowPrivate)
	// The library checks the timestamp against the real clock: the demo's
	// mock clock moves to it (forward: the mock starts in the past).
	if now := time.Now(); now.After(d.clock.Now()) {
		d.clock.Set(now)
	}
	rcv := newHookReceiver(t)
	gigapay := []string{"Authorization", "Token demo", "Integration-ID", "demo"}
	bearer := []string{"Authorization", "Bearer demo"}

	r := d.mustDo(201, "POST", "/gigapay/v2/webhooks/", `{"url": "`+rcv.URL+`/gigapay", "events": ["Employee.created"]}`, gigapay...)
	var gw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &gw))
	var gigapayID, gigapaySecret string
	require.NoError(t, json.Unmarshal(gw["id"], &gigapayID))
	require.NoError(t, json.Unmarshal(gw["secret_key"], &gigapaySecret))
	for k := range gw {
		require.NotContains(t, strings.ToLower(k), "standard", "Gigapay's documented webhook object gets no field")
	}

	r = d.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"url": "`+rcv.URL+`/standard", "events": ["employee.created"]}`, bearer...)
	var std struct{ ID, Secret, StandardSecret string }
	require.NoError(t, json.Unmarshal(r.Body, &std))
	require.True(t, strings.HasPrefix(std.StandardSecret, "whsec_"), "returned once created")
	require.Equal(t, std.Secret, std.StandardSecret, "a standard endpoint's one secret")

	// Readable through /webhooks (and the Service) for every endpoint.
	r = d.mustDo(200, "GET", "/webhooks/webhook-endpoints/"+gigapayID, "", bearer...)
	var gep struct{ Scheme, Secret, StandardSecret string }
	require.NoError(t, json.Unmarshal(r.Body, &gep))
	require.Equal(t, "gigapay", gep.Scheme)
	require.Equal(t, gigapaySecret, gep.Secret)
	require.True(t, strings.HasPrefix(gep.StandardSecret, "whsec_"), "drawn for an endpoint that gave none")
	ep, err := d.svc.FindEndpointByID(t.Context(), demoTenantID, gigapayID)
	require.NoError(t, err)
	require.Equal(t, gep.StandardSecret, ep.StandardSecret)

	d.mustDo(201, "POST", "/gigapay/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`, gigapay...)
	d.runDue()

	for _, c := range []struct{ path, secret string }{{"/gigapay", gep.StandardSecret}, {"/standard", std.StandardSecret}} {
		got := rcv.requests(c.path)
		require.Len(t, got, 1, c.path)
		h, body := got[0].Header, got[0].Body
		for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			require.NotEmpty(t, h.Get(name), "%s: %s", c.path, name)
		}
		wh, err := standardwebhooks.NewWebhook(c.secret)
		require.NoError(t, err)
		require.NoError(t, wh.Verify(body, h), "%s verifies with the official library", c.path)
		other, err := standardwebhooks.NewWebhook(signing.NewStandardSecret())
		require.NoError(t, err)
		require.ErrorIs(t, other.Verify(body, h), standardwebhooks.ErrNoMatchingSignature)
	}
	// The Gigapay webhook keeps its own signature beside it.
	g := rcv.requests("/gigapay")[0]
	require.NoError(t, signing.VerifyGigapay(g.Header.Get(signing.GigapayHeader), g.Body, gigapaySecret, d.clock.Now(), 0))
}
