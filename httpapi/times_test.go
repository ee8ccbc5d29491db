package httpapi_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/httpapi"
)

// TestParseTime: the one parser every dialect reads date-times with.
func TestParseTime(t *testing.T) {
	at := time.Date(2030, 1, 9, 18, 0, 56, 246000000, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2030-01-09T18:00:56.246Z", at},
		{"2030-01-09T18:00:56.246", at},                                    // no offset: UTC (.NET unspecified DateTime)
		{"2030-01-09T18:00:56.2460000", at},                                // .NET's round-trip format of one
		{"2030-01-09T18:00:56,246", at},                                    // ISO 8601's decimal comma
		{"2030-01-09 18:00:56.246", at},                                    // Django's space
		{"  2030-01-09T18:00:56.246Z ", at},                                // surrounding space
		{"2030-01-09T19:00:56.246+01:00", at},                              // offsets in every ISO form
		{"2030-01-09T19:00:56.246+0100", at},                               //
		{"2030-01-09T19:00:56.246+01", at},                                 //
		{"2030-01-09T17:00:56.246-01:00", at},                              //
		{"2030-01-09T19:00:56.246 01:00", at},                              // a query's "+" decoded as a space
		{"2030-01-09T18:00:56.246 Z", at},                                  // Django allows a space before the zone
		{"2030-01-09T18:00:56.246999999Z", at.Add(999 * time.Microsecond)}, // truncated to the microsecond
		{"2030-01-09T18:00:56Z", at.Truncate(time.Second)},
		{"2030-01-09T18:00", at.Truncate(time.Minute)},
		{"2030-01-09T19:00+01:00", at.Truncate(time.Minute)},
	} {
		got, err := httpapi.ParseTime(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.Equal(t, time.UTC, got.Location(), tc.in)
	}
	for _, in := range []string{"", "2030-01-09", "tomorrow", "2030-01-09T18", "2030-1-9T18:00:56Z", "2030-01-09T18:00:56.246Zulu",
		"2030-01-09T18:00:56+01:00:00", "1736445656", "2030-13-09T18:00:56Z"} {
		_, err := httpapi.ParseTime(in)
		require.Error(t, err, in)
	}
}
