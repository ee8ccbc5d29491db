package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Times on the wire. Every dialect reads a date-time with parseTime, the one
// parser; each writes them at its documented precision: GigPay to the
// millisecond (millisTime), Gigapay to the microsecond (gigapayTime), Memento
// as unix seconds, the events API to the millisecond or, when finer, the
// microsecond (isoTime).

// timeLayouts are the shapes parseTime accepts once parseTime has normalized
// the separators: with or without seconds (a fraction after the seconds,
// with a dot or a comma, is accepted by time.Parse without being in the
// layout), and with an offset as Z, ±hh:mm, ±hhmm or ±hh, or none.
var timeLayouts = func() []string {
	var out []string
	for _, clock := range []string{"15:04:05", "15:04"} {
		for _, zone := range []string{"Z07:00", "Z0700", "Z07", ""} {
			out = append(out, "2006-01-02T"+clock+zone)
		}
	}
	return out
}()

// parseTime reads a date-time as every dialect accepts one: ISO 8601 with a T
// or a space between date and time, seconds and their fraction optional, and
// an optional offset. A time without an offset is UTC: that is what a .NET
// client's DateTime of unspecified kind (2030-01-09T18:00:56.246), a Python
// naive datetime or a JavaScript local string without its zone means to the
// APIs we speak (Django reads it so in Gigapay's). A space where an offset's
// sign goes is a "+" that a query string decoded. The result is in UTC,
// truncated to the microsecond, the Store's precision.
func parseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	if i := strings.IndexByte(v, ' '); i > 10 {
		rest := strings.TrimLeft(v[i:], " ")
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			rest = "+" + rest
		}
		v = v[:i] + rest
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC().Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date-time %q", s)
}

// queryTime parses an optional date-time query parameter with parseTime; ""
// is nil.
func queryTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return nil, errors.New("Must be an ISO 8601 date-time like 2024-01-09T18:00:56.246Z (UTC when it has no offset).")
	}
	return &t, nil
}

// unmarshalTime decodes a JSON string with parseTime into *dst; null leaves
// dst as it is. typ names the wire type in a decoding error.
func unmarshalTime(b []byte, dst *time.Time, typ reflect.Type) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: typ}
	}
	t, err := parseTime(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: typ}
	}
	*dst = t
	return nil
}

// millisTime is a UTC time that travels as GigPay writes its times, to the
// millisecond with a Z: 2024-01-09T19:19:27.693Z. A finer part is truncated,
// never rounded up, so a time on the wire is never later than the real one (a
// createdAtUtc given back as createdFrom still finds its payment). It decodes
// with parseTime.
type millisTime struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t millisTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *millisTime) UnmarshalJSON(b []byte) error {
	return unmarshalTime(b, &t.Time, reflect.TypeFor[millisTime]())
}

// ptr returns a pointer to t's time, or nil when t was absent or null. A
// time given as 0001-01-01T00:00:00Z is that time, not "none" (issue 13: it
// used to be read as no expiry), for the Service to judge.
func (t *millisTime) ptr() *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// millisTimePtr returns t as a millisTime, or nil (JSON null) for a nil t.
func millisTimePtr(t *time.Time) *millisTime {
	if t == nil {
		return nil
	}
	return &millisTime{*t}
}

// isoTime is a UTC time that travels as an ISO-8601 string with a Z: to the
// millisecond when it has no finer part (2024-01-09T19:19:27.693Z), otherwise to
// the microsecond. It decodes with parseTime.
type isoTime struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t isoTime) MarshalJSON() ([]byte, error) { return []byte(`"` + formatISO(t.Time) + `"`), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (t *isoTime) UnmarshalJSON(b []byte) error {
	return unmarshalTime(b, &t.Time, reflect.TypeFor[isoTime]())
}

// formatISO renders t in UTC to the millisecond, or to the microsecond when it
// has a finer part.
func formatISO(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// isoTimePtr returns t as an isoTime, or nil (JSON null) for a nil t.
func isoTimePtr(t *time.Time) *isoTime {
	if t == nil {
		return nil
	}
	return &isoTime{*t}
}
