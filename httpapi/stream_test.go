package httpapi_test

import (
	"errors"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
)

// numbers yields 1..n, then err when it is not nil.
func numbers(n int, err error) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := 1; i <= n; i++ {
			if !yield(i, nil) {
				return
			}
		}
		if err != nil {
			yield(0, err)
		}
	}
}

// TestWriteListStream: a streamed list is byte for byte the list writeJSON
// would write; an error before the first item is the caller's to answer; an
// error after it breaks the response, so that no client mistakes a cut list
// for a whole one.
func TestWriteListStream(t *testing.T) {
	double := func(i int) int { return 2 * i }
	serve := func(seq iter.Seq2[int, error]) (*http.Response, []byte, error) {
		t.Helper()
		handlerErr := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			err := httpapi.WriteListStream(w, r, seq, double)
			if err != nil {
				w.WriteHeader(http.StatusTeapot)
			}
			handlerErr <- err
		}))
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		srv.Close() // waits for the handler
		select {
		case herr := <-handlerErr:
			if herr != nil {
				require.NoError(t, err)
				return resp, body, herr
			}
		default: // aborted
		}
		return resp, body, err
	}

	resp, body, err := serve(numbers(3, nil))
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, `{"data":[2,4,6],"hasMore":false,"nextCursor":null}`+"\n", string(body))

	_, body, err = serve(numbers(0, nil))
	require.NoError(t, err)
	require.Equal(t, `{"data":[],"hasMore":false,"nextCursor":null}`+"\n", string(body))

	boom := paykit.Errorf(paykit.EINVALID, "Bad filter.")
	resp, _, err = serve(numbers(0, boom))
	require.ErrorIs(t, err, boom)
	require.Equal(t, http.StatusTeapot, resp.StatusCode, "nothing sent before the error")

	// A failure while the first bytes are still in the buffer is still the
	// caller's to answer.
	resp, _, err = serve(numbers(10, boom))
	require.ErrorIs(t, err, boom)
	require.Equal(t, http.StatusTeapot, resp.StatusCode)

	// Enough items to have sent the first bytes, then a failure: the body
	// breaks off.
	_, body, err = serve(numbers(100_000, errors.New("disk on fire")))
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.NotContains(t, string(body), `"hasMore"`)
}
