package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/httpapi"
)

// TestCrossOrigin: every dialect's handler refuses a request that may change
// state and that a browser sent from another site (issue 13), before it
// authenticates, in its own error shape; a read, and a request from a
// program (no Origin, no Sec-Fetch-Site), reach the routes.
func TestCrossOrigin(t *testing.T) {
	e := MustEnv(t)
	svc := e.Service
	for _, tc := range []struct {
		name    string
		handler http.Handler
		path    string
		refusal string // in the answer's body
	}{
		{"GigPay", httpapi.NewGigPay(svc), "/api/v1/payment-tokens", `"code":"forbidden"`},
		{"Sandbox", httpapi.NewSandbox(svc), "/run-due", `"code":"forbidden"`},
		{"Gigapay", httpapi.NewGigapay(svc), "/v2/payouts/", `"detail":"CSRF Failed: Origin checker failed - https://evil.example does not match any trusted origins."`},
		{"GigapaySandbox", httpapi.NewGigapaySandbox(svc), "/run-due/", `CSRF Failed`},
		{"Memento", httpapi.NewMemento(svc), "/v1/requests", `"key":"invalid_data"`},
		{"MementoSandbox", httpapi.NewMementoSandbox(svc), "/run-due", `"key":"invalid_data"`},
		{"Events", httpapi.NewEvents(svc, httpapi.BearerAuth(svc)), "/webhook-endpoints", `"code":"forbidden"`},
		{"Gigstack", httpapi.NewGigstack(svc), "/v2/payments", `"code":"FORBIDDEN"`},
		{"GigstackSandbox", httpapi.NewGigstackSandbox(svc), "/run-due", `"code":"FORBIDDEN"`},
		{"RudiqPay", httpapi.NewRudiqPay(svc), "/api/v1/payments", `"code":"forbidden"`},
		{"RudiqPaySandbox", httpapi.NewRudiqPaySandbox(svc, nil), "/run-due", `"code":"forbidden"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				req := httptest.NewRequest(m, tc.path, strings.NewReader(`{}`))
				req.Header.Set("Origin", "https://evil.example")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				rec := httptest.NewRecorder()
				tc.handler.ServeHTTP(rec, req)
				require.Contains(t, rec.Body.String(), tc.refusal, m)
				require.Contains(t, rec.Body.String(), "https://evil.example", m)
				require.Contains(t, []int{http.StatusForbidden, http.StatusOK}, rec.Code, "Memento answers 200")
			}
			for _, h := range [][2]string{{"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "none"}, {"Origin", "http://example.com"}, {}} {
				req := httptest.NewRequest("POST", tc.path, strings.NewReader(`{}`))
				if h[0] != "" {
					req.Header.Set(h[0], h[1])
				}
				rec := httptest.NewRecorder()
				tc.handler.ServeHTTP(rec, req)
				require.NotContains(t, rec.Body.String(), "Cross-origin", h)
				require.NotContains(t, rec.Body.String(), "CSRF", h)
			}
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			rec := httptest.NewRecorder()
			tc.handler.ServeHTTP(rec, req)
			require.NotContains(t, rec.Body.String(), "CSRF")
			require.NotContains(t, rec.Body.String(), "Cross-origin")
		})
	}
}
