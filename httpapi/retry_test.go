package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
)

// TestRetryAfter_EveryErrorWriter: every dialect's one error writer sets
// Retry-After on each 429 and 503 it answers, the seconds by the Clock until
// the error's RetryAt (a part of a second rounded up), and on no other
// answer. Memento answers every error with HTTP 200, so it never sets one.
func TestRetryAfter_EveryErrorWriter(t *testing.T) {
	e := MustEnv(t)
	retryAt := e.Clock.Now().Add(90*time.Second + time.Millisecond)
	limit := func() *paykit.Error {
		return &paykit.Error{Code: paykit.ELIMIT, Message: "Slow down.", RetryAt: retryAt}
	}
	write := func(fn func(http.ResponseWriter, *http.Request, error), err error) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		fn(w, httptest.NewRequest("POST", "/x", nil), err)
		return w
	}
	for name, fn := range httpapi.ErrorWriters(e.Service) {
		t.Run(name, func(t *testing.T) {
			for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
				w := write(fn, httpapi.WithStatus(status, limit()))
				if name == "memento" {
					require.Equal(t, http.StatusOK, w.Code)
					require.Empty(t, w.Header().Get("Retry-After"))
					continue
				}
				require.Equal(t, status, w.Code)
				require.Equal(t, "91", w.Header().Get("Retry-After"), "%d", status)
			}
			// Not on another status, even with a retry time.
			w := write(fn, httpapi.WithStatus(http.StatusConflict, limit()))
			require.Empty(t, w.Header().Get("Retry-After"))
		})
	}
	// Counted from now by the Clock: later, less; past the time, 0.
	e.Clock.Add(60 * time.Second)
	w := write(httpapi.ErrorWriters(e.Service)["gigapay"], limit())
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	require.Equal(t, "31", w.Header().Get("Retry-After"))
	e.Clock.Add(time.Hour)
	require.Equal(t, "0", write(httpapi.ErrorWriters(e.Service)["gigapay"], limit()).Header().Get("Retry-After"))
}
