package paykit_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestCheckJSONDepth: brackets count only outside strings, escaped quotes
// included, and the limit is exact.
func TestCheckJSONDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`1`, true},
		{`{"a":"` + deep(100) + `"}`, true},
		{`{"a":"\"` + deep(100) + `\\"}`, true},
		{`{"a":"\\"}` + deep(paykit.MaxJSONDepth+1), false},
		{deep(paykit.MaxJSONDepth), true},
		{deep(paykit.MaxJSONDepth + 1), false},
		{`{"a":` + deep(paykit.MaxJSONDepth) + `}`, false},
		{strings.Repeat("[", 100000), false}, // not even valid: refused for its depth
	} {
		err := paykit.CheckJSONDepth([]byte(tc.body))
		if tc.ok {
			require.NoError(t, err, "%.60s", tc.body)
		} else {
			require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err), "%.60s", tc.body)
		}
	}
}
