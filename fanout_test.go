package paykit_test

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestWebhooks_SharedBody: the fan-out renders an event once for every
// endpoint of a SharedBody scheme, and once per endpoint for a scheme whose
// body depends on the endpoint's secret; every endpoint gets its body.
func TestWebhooks_SharedBody(t *testing.T) {
	e := MustOpen(t, local)
	var sharedRenders, keyedRenders atomic.Int64
	sign := func(h http.Header, _, secret string, _ time.Time, _ []byte) error {
		h.Set("X-Test-Signature", secret)
		return nil
	}
	e.svc.RegisterScheme(paykit.WebhookScheme{Name: "shared", SharedBody: true, Sign: sign, Headers: []string{"X-Test-Signature"},
		Render: func(ev *paykit.Event, _ string) (json.RawMessage, error) {
			sharedRenders.Add(1)
			return ev.Data, nil
		}})
	e.svc.RegisterScheme(paykit.WebhookScheme{Name: "keyed",
		Render: func(ev *paykit.Event, secret string) (json.RawMessage, error) {
			keyedRenders.Add(1)
			return json.Marshal(map[string]any{"data": ev.Data, "signed": secret})
		}})
	rcv := newReceiver(t, nil)
	tenant := e.MustTenant(t)
	secrets := map[string]string{} // by path
	for _, path := range []string{"/shared/1", "/shared/2", "/shared/3", "/keyed/1", "/keyed/2"} {
		scheme := paykit.SignatureScheme(path[1 : len(path)-2])
		ep := e.mustEndpoint(t, tenant, rcv.URL+path, []string{"thing.happened"}, func(in *paykit.EndpointCreate) { in.Scheme = scheme })
		secrets[path] = ep.Secret
	}
	e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
	e.mustEvent(t, tenant, "thing.happened", `{"n":2}`)
	e.MustRunDue(t)

	require.EqualValues(t, 2, sharedRenders.Load(), "once per event")
	require.EqualValues(t, 4, keyedRenders.Load(), "once per event and endpoint")
	reqs := rcv.requests()
	require.Len(t, reqs, 10)
	for _, r := range reqs {
		switch r.Path[:len(r.Path)-2] {
		case "/shared":
			require.Contains(t, []string{`{"n":1}`, `{"n":2}`}, string(r.Body))
			require.Equal(t, secrets[r.Path], r.Header.Get("X-Test-Signature"), "signed per endpoint")
		case "/keyed":
			var body struct{ Signed string }
			require.NoError(t, json.Unmarshal(r.Body, &body))
			require.Equal(t, secrets[r.Path], body.Signed)
		}
	}
}
