package paykit

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// The list filters and the wire helpers the Gigapay nouns share.

// Lists.

// TimeFilter selects by a timestamp: whether it is null, and an inclusive
// range (Gigapay's <field>_null, <field>_after and <field>_before).
type TimeFilter struct {
	Null   *bool
	After  *time.Time // at or after
	Before *time.Time // at or before
}

// Cursor is a row's position in a list ordered newest first.
type Cursor struct {
	CreatedAt time.Time
	UID       string
}

// ListPage selects one page of a list ordered newest first: Limit rows after
// (older than) the row at After, or before (newer than) the row at Before, or
// else after skipping Offset rows. Keysets (After, Before) cost the same on
// every page; Offset serves a client that jumps to a page number.
type ListPage struct {
	After  *Cursor
	Before *Cursor
	Offset int
	Limit  int
}

// Wire helpers.

// GigapayTimeLayout is how Gigapay writes times: UTC, always to the
// microsecond.
const GigapayTimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatGigapayTime writes t as Gigapay does, like 2019-05-22T10:32:36.118753Z.
func FormatGigapayTime(t time.Time) string { return t.UTC().Format(GigapayTimeLayout) }

func gigapayTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := FormatGigapayTime(*t)
	return &s
}

// micro returns t in UTC to the microsecond, or nil.
func micro(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

// timeParser reads the wire's times and amounts, keeping the first error.
type timeParser struct{ err error }

func (p *timeParser) time(s string) time.Time {
	if s == "" || p.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.err = err
	}
	return t.UTC()
}

func (p *timeParser) ptr(s *string) *time.Time {
	if s == nil {
		return nil
	}
	t := p.time(*s)
	return &t
}

func (p *timeParser) money(s string, c Currency) Money {
	if s == "" || p.err != nil {
		return MoneyFromMinor(0, c)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		p.err = err
	}
	return MoneyFromMinor(d.Shift(c.Scale()).IntPart(), c)
}

// maxMetadata bounds an object's metadata, in bytes of JSON.
const maxMetadata = 16 << 10

// checkMetadata validates metadata (any JSON value; absent or null is {}) into
// v and returns it compacted.
func checkMetadata(v *Validation, field string, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		v.Add(field, "Value must be valid JSON.")
		return raw
	}
	if buf.Len() > maxMetadata {
		v.Add(field, "Metadata is at most 16 KiB of JSON.")
	}
	return json.RawMessage(buf.Bytes())
}

// marshalWire encodes a wire object as Gigapay (Django REST Framework) does:
// without escaping <, > and & in strings.
func marshalWire(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func metadataOrEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}
