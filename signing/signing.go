// Package signing is the verification kit for the webhooks paykit sends, in
// the four schemes it speaks: Gigapay, gigstack, Memento notify_url callbacks
// and Standard Webhooks. paykit's delivery engine signs with it; a receiver
// verifies with it, importing only this package, which needs nothing beyond
// the standard library (a test keeps it so).
//
// Nothing here reads a clock: the caller passes the time, so a receiver checks
// timestamps against its own clock and tests need no mock.
//
// Verify functions check the signature before the timestamp, so
// ErrStaleTimestamp means an authentic message that arrived too early or too
// late (a replay, or a skewed clock), never a forgery.
package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signature verification errors. Verify functions wrap one of these with a
// sentence saying what was wrong; test for them with errors.Is. A receiver does
// the same thing with each of them: it refuses the message.
var (
	// ErrInvalidSignature means no signature in the message matches the one
	// computed from the body and the secret.
	ErrInvalidSignature = errors.New("signing: invalid signature")

	// ErrStaleTimestamp means the signature is valid but the signed timestamp is
	// further from the receiver's clock than the tolerance allows.
	ErrStaleTimestamp = errors.New("signing: signature timestamp is outside the tolerance")

	// ErrMalformedHeader means the signature header (or field) is missing or
	// cannot be parsed.
	ErrMalformedHeader = errors.New("signing: malformed signature header")
)

// ErrInvalidSecret means a Standard Webhooks secret is not base64 (after its
// optional whsec_ prefix): the secret is wrong, not the message.
var ErrInvalidSecret = errors.New("signing: secret must be whsec_ followed by base64")

// DefaultTolerance is how far a signed timestamp may be from the receiver's clock,
// in either direction, when a Verify function is given a tolerance of zero.
const DefaultTolerance = 5 * time.Minute

// hmacSHA256 returns HMAC-SHA256(key, parts...).
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// checkTimestamp reports ErrStaleTimestamp when t is further than tolerance from
// now; a tolerance <= 0 means DefaultTolerance.
func checkTimestamp(scheme string, t, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	d := now.Sub(t)
	if d < 0 {
		d = t.Sub(now) // not -d: Sub saturates, and the minimum Duration has no negation
	}
	if d > tolerance {
		return fmt.Errorf("%s signature: timestamp %d is %s from now (%d), tolerance %s: %w",
			scheme, t.Unix(), d.Truncate(time.Second), now.Unix(), tolerance, ErrStaleTimestamp)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Gigapay

// GigapayHeader is the header carrying a Gigapay webhook signature.
const GigapayHeader = "Gigapay-Signature"

// SignGigapay returns the Gigapay-Signature header value for body sent at t:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>." + body)>". The secret is the
// webhook's secret_key, used as UTF-8 bytes.
func SignGigapay(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmacSHA256([]byte(secret), []byte(ts), []byte("."), body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac)
}

// VerifyGigapay checks a Gigapay-Signature header against the raw body.
//
// The header is a comma-separated list of key=value pairs in any order: exactly
// one t (unix seconds) and one or more v1 (hex, any case); other schemes are
// ignored, so a sender may add new ones while rotating. Any v1 matching passes;
// comparisons run in constant time. The timestamp must lie within tolerance of
// now in either direction (tolerance <= 0 means DefaultTolerance).
//
// It returns an error wrapping ErrMalformedHeader when the header is empty, has
// a pair without "=", or lacks a single integer t; ErrInvalidSignature when no v1
// matches (including a header with no v1 at all); and ErrStaleTimestamp when the
// signature matches but the timestamp is outside the tolerance.
func VerifyGigapay(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	var (
		ts    string
		sigs  []string
		haveT bool
	)
	if strings.TrimSpace(header) == "" {
		return fmt.Errorf("gigapay signature: empty %s header: %w", GigapayHeader, ErrMalformedHeader)
	}
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("gigapay signature: pair %q has no '=': %w", part, ErrMalformedHeader)
		}
		switch strings.TrimSpace(k) {
		case "t":
			if haveT {
				return fmt.Errorf("gigapay signature: more than one t: %w", ErrMalformedHeader)
			}
			ts, haveT = strings.TrimSpace(v), true
		case "v1":
			sigs = append(sigs, strings.TrimSpace(v))
		}
	}
	if !haveT {
		return fmt.Errorf("gigapay signature: no t in header: %w", ErrMalformedHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("gigapay signature: t %q is not unix seconds: %w", ts, ErrMalformedHeader)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("gigapay signature: no v1 signature in header: %w", ErrInvalidSignature)
	}

	// Sign the timestamp exactly as received, so "t=0123" verifies as sent.
	want := hmacSHA256([]byte(secret), []byte(ts), []byte("."), body)
	if !anyHexMatches(want, sigs) {
		return fmt.Errorf("gigapay signature: no v1 signature matches the body: %w", ErrInvalidSignature)
	}
	return checkTimestamp("gigapay", time.Unix(unix, 0), now, tolerance)
}

// anyHexMatches reports whether any of the hex strings decodes to want. Every
// candidate is compared, matching or not, in constant time.
func anyHexMatches(want []byte, candidates []string) bool {
	ok := false
	for _, c := range candidates {
		got, err := hex.DecodeString(c)
		if err != nil {
			continue
		}
		if hmac.Equal(want, got) {
			ok = true
		}
	}
	return ok
}

// ---------------------------------------------------------------------------
// gigstack

// GigstackHeader is the header carrying a gigstack webhook signature.
const GigstackHeader = "X-Gigstack-Signature"

// SignGigstack returns the X-Gigstack-Signature header value for body: the
// lowercase hex HMAC-SHA256 of the raw body keyed with the webhook secret.
func SignGigstack(secret string, body []byte) string {
	return hex.EncodeToString(hmacSHA256([]byte(secret), body))
}

// VerifyGigstack checks an X-Gigstack-Signature header against the raw body.
// The hex may be in either case; the comparison runs in constant time. The scheme
// signs no timestamp, so it cannot detect replays: receivers should deduplicate
// on the envelope's id.
//
// It returns an error wrapping ErrMalformedHeader when the header is empty or not
// hex, and ErrInvalidSignature when it does not match.
func VerifyGigstack(header string, body []byte, secret string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("gigstack signature: empty %s header: %w", GigstackHeader, ErrMalformedHeader)
	}
	got, err := hex.DecodeString(header)
	if err != nil {
		return fmt.Errorf("gigstack signature: header is not hex: %w", ErrMalformedHeader)
	}
	if !hmac.Equal(hmacSHA256([]byte(secret), body), got) {
		return fmt.Errorf("gigstack signature: signature does not match the body: %w", ErrInvalidSignature)
	}
	return nil
}

// gigstackTimeFormat is ISO-8601 in UTC with milliseconds, the shape of
// JavaScript's Date.toISOString, which gigstack's own tooling produces.
const gigstackTimeFormat = "2006-01-02T15:04:05.000Z"

// GigstackEnvelope returns the body of a gigstack webhook delivery:
// {"id":...,"event":...,"timestamp":"<ISO-8601 UTC, milliseconds>","data":...},
// keys in that order, data compacted but otherwise as given. Sign the returned
// bytes, not a re-encoding of them.
//
// It returns an error when id or event is empty or data is not valid JSON.
func GigstackEnvelope(id, event string, timestamp time.Time, data json.RawMessage) ([]byte, error) {
	if id == "" {
		return nil, errors.New("gigstack envelope: the event id is required")
	}
	if event == "" {
		return nil, errors.New("gigstack envelope: the event name is required")
	}
	if len(data) == 0 {
		data = json.RawMessage("null")
	} else if !json.Valid(data) {
		return nil, fmt.Errorf("gigstack envelope: the data of event %s is not valid JSON", id)
	}
	env := struct {
		ID        string          `json:"id"`
		Event     string          `json:"event"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{id, event, timestamp.UTC().Format(gigstackTimeFormat), data}

	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep the data's text as the sender wrote it
	if err := enc.Encode(env); err != nil {
		return nil, fmt.Errorf("gigstack envelope: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ---------------------------------------------------------------------------
// Memento

// MementoCallback is the JSON body Memento POSTs to a payment request's
// notify_url on every status change. Receivers decode the body into it and call
// Verify; the delivery engine fills it and calls Sign. TransactionID is omitted
// until the request is paid.
//
// The signature covers
// "{payment_request_id}&{transaction_id}&{order}&{amount}&{status}&{completed}"
// (see SignedString): rejected and expired requests have no transaction id,
// which leaves "&&" in the string, and the currency is not signed.
type MementoCallback struct {
	PaymentRequestID string `json:"payment_request_id"`
	TransactionID    string `json:"transaction_id,omitempty"`
	// Amount is the decimal amount as the JSON number it travels as. It is
	// signed, and written, in its shortest form: no trailing zeros after the
	// point and no exponent ("10.50" signs as 10.5, "2199.00" and "21.99e2" as
	// 2199), so a receiver decoding 2199.00 checks what the sender signed.
	Amount    json.Number `json:"amount"`
	Currency  string      `json:"currency"`
	Status    string      `json:"status"`
	Order     string      `json:"order"`
	Completed int64       `json:"completed"` // unix seconds of the change to a final status
	Signature string      `json:"signature"`
}

// SignedString returns the string c's signature covers.
func (c MementoCallback) SignedString() string {
	return strings.Join([]string{
		c.PaymentRequestID, c.TransactionID, c.Order, mementoAmount(string(c.Amount)), c.Status,
		strconv.FormatInt(c.Completed, 10),
	}, "&")
}

// Sign returns c's signature under key, the merchant's access token, for the
// caller to store in c.Signature: the lowercase hex HMAC-SHA256 of
// c.SignedString().
func (c MementoCallback) Sign(key string) string {
	return hex.EncodeToString(hmacSHA256([]byte(key), []byte(c.SignedString())))
}

// Verify checks c.Signature, hex of either case, under key, the merchant's
// access token, in constant time. It returns an error wrapping
// ErrMalformedHeader when the signature is empty or not hex, and
// ErrInvalidSignature when it does not match. Memento callbacks carry no
// freshness check beyond completed; receivers should treat a repeated callback
// for the same request and status as a no-op.
func (c MementoCallback) Verify(key string) error {
	signature := strings.TrimSpace(c.Signature)
	if signature == "" {
		return fmt.Errorf("memento signature: no signature: %w", ErrMalformedHeader)
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("memento signature: signature is not hex: %w", ErrMalformedHeader)
	}
	if !hmac.Equal(hmacSHA256([]byte(key), []byte(c.SignedString())), got) {
		return fmt.Errorf("memento signature: signature does not match the callback: %w", ErrInvalidSignature)
	}
	return nil
}

// MarshalJSON writes Amount in the form it is signed in, so the body shows the
// amount that was signed.
func (c MementoCallback) MarshalJSON() ([]byte, error) {
	type plain MementoCallback // without this method
	c.Amount = json.Number(mementoAmount(string(c.Amount)))
	return json.Marshal(plain(c))
}

// mementoAmount returns the decimal number s in the form the Memento signed
// string carries: the shortest decimal form, with no trailing zeros after the
// point and no exponent (10.99 gives "10.99", 2199 gives "2199", 10.50 gives
// "10.5"). Memento's only published test vector uses an integer amount, so how
// the vendor writes fractions is an inference; this is the one place to change
// if it proves wrong. Anything but a JSON number is returned as it is (and
// then fails to verify).
func mementoAmount(s string) string {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		// No amount has a thousand digits; refusing more bounds the work.
		if err != nil || e < -1000 || e > 1000 {
			return s
		}
		mant, exp = s[:i], e
	}
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	whole, frac, point := strings.Cut(mant, ".")
	switch {
	case whole == "", len(whole) > 1 && whole[0] == '0', point && frac == "", strings.Trim(whole+frac, "0123456789") != "":
		return s // not a JSON number
	}
	// digits is the unsigned integer, and scale how many of its last digits
	// follow the point.
	digits, scale := whole+frac, len(frac)-exp
	if scale < 0 {
		digits, scale = digits+strings.Repeat("0", -scale), 0
	}
	for scale > 0 && digits[len(digits)-1] == '0' {
		digits, scale = digits[:len(digits)-1], scale-1
	}
	if pad := scale + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	out := strings.TrimLeft(digits[:len(digits)-scale], "0")
	if out == "" {
		out = "0"
	}
	if scale > 0 {
		out += "." + digits[len(digits)-scale:]
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

// ---------------------------------------------------------------------------
// Standard Webhooks (https://www.standardwebhooks.com)

// Standard Webhooks headers.
const (
	// StandardIDHeader carries the message id, unique per event and the same
	// across retries, so receivers can deduplicate.
	StandardIDHeader = "webhook-id"
	// StandardTimestampHeader carries the send time in unix seconds.
	StandardTimestampHeader = "webhook-timestamp"
	// StandardSignatureHeader carries space-separated "v1,<base64>" signatures.
	StandardSignatureHeader = "webhook-signature"
)

// StandardSecretPrefix marks a Standard Webhooks secret.
const StandardSecretPrefix = "whsec_"

// NewStandardSecret returns a new random Standard Webhooks secret: "whsec_"
// followed by the standard base64 of 24 random bytes.
func NewStandardSecret() string {
	key := make([]byte, 24)
	rand.Read(key) // never returns an error; it crashes the program if the OS fails
	return StandardSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// CheckStandardSecret reports whether secret is a Standard Webhooks secret the
// kit can sign with: non-empty base64, after an optional whsec_ prefix. It
// returns an error wrapping ErrInvalidSecret when it is not.
func CheckStandardSecret(secret string) error {
	_, err := standardKey(secret)
	return err
}

// standardKey decodes a Standard Webhooks secret, with or without its whsec_
// prefix, into the HMAC key.
func standardKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, StandardSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("standard webhook secret: %w", ErrInvalidSecret)
	}
	return key, nil
}

// SignStandard returns the webhook-signature header value for a message:
// "v1," + base64(HMAC-SHA256(key, msgID + "." + unix(t) + "." + body)), where key
// is the base64-decoded secret (the whsec_ prefix is optional). It returns an
// error wrapping ErrInvalidSecret when the secret is not valid base64.
func SignStandard(secret, msgID string, t time.Time, body []byte) (string, error) {
	key, err := standardKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, msgID, strconv.FormatInt(t.Unix(), 10), body)), nil
}

// standardMAC returns HMAC-SHA256(key, msgID.ts.body).
func standardMAC(key []byte, msgID, ts string, body []byte) []byte {
	return hmacSHA256(key, []byte(msgID), []byte("."), []byte(ts), []byte("."), body)
}

// VerifyStandard checks a Standard Webhooks message: the webhook-id,
// webhook-timestamp and webhook-signature headers of h against the raw body.
// The signature header is a space-separated list of "<version>,<base64>"; any v1
// entry that matches passes (senders list several while rotating secrets), other
// versions are ignored, and comparisons run in constant time. The timestamp must
// lie within tolerance of now in either direction (tolerance <= 0 means
// DefaultTolerance).
//
// It returns an error wrapping ErrMalformedHeader when a header is missing, the
// timestamp is not unix seconds or a signature entry has no ","; ErrInvalidSecret
// when the secret is not valid base64; ErrInvalidSignature when no v1 entry matches;
// and ErrStaleTimestamp when one matches but the timestamp is outside tolerance.
func VerifyStandard(h http.Header, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	id, ts, sigHeader := h.Get(StandardIDHeader), h.Get(StandardTimestampHeader), h.Get(StandardSignatureHeader)
	for _, p := range [...]struct{ name, v string }{
		{StandardIDHeader, id}, {StandardTimestampHeader, ts}, {StandardSignatureHeader, sigHeader},
	} {
		if p.v == "" {
			return fmt.Errorf("standard webhook signature: missing %s header: %w", p.name, ErrMalformedHeader)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("standard webhook signature: %s %q is not unix seconds: %w", StandardTimestampHeader, ts, ErrMalformedHeader)
	}
	key, err := standardKey(secret)
	if err != nil {
		return err
	}

	want := standardMAC(key, id, ts, body)
	ok := false
	for _, entry := range strings.Fields(sigHeader) {
		version, sig, found := strings.Cut(entry, ",")
		if !found {
			return fmt.Errorf("standard webhook signature: entry %q has no ',': %w", entry, ErrMalformedHeader)
		}
		if version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(want, got) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("standard webhook signature: no v1 signature matches the body: %w", ErrInvalidSignature)
	}
	return checkTimestamp("standard webhook", time.Unix(unix, 0), now, tolerance)
}
