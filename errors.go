package paykit

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Error codes. Each exists because a caller acts differently on it; dialects map
// them to their documented wire shapes in one place each.
const (
	ECONFLICT     = "conflict"     // the state forbids the action (already accepted, insufficient funds)
	EEXPIRED      = "expired"      // the thing existed but its time is up
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed
	EINTERNAL     = "internal"     // a bug or an outage; the message never leaves the process
	EINVALID      = "invalid"      // bad input; Fields says which
	ENOTFOUND     = "not_found"    // no such thing for this tenant
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	ELIMIT        = "limit"        // over a configured limit (amount caps, rate of resends)
	EUNAVAILABLE  = "unavailable"  // the service cannot serve it now (busy, out of a resource); retry after a while
)

// unavailableRetry is how long a client is told to wait after an
// EUNAVAILABLE that does not say (Service.RetryAfter): the store's resources
// come back in moments, or not because of waiting.
const unavailableRetry = time.Second

// FieldInput is the Fields key of a problem with an input as a whole rather
// than with one of its fields: two fields that exclude each other, an empty
// list. A nested input's is prefixed like its fields ("employee." + FieldInput,
// "[2]." + FieldInput). Dialects rename it to their wire's name for such a
// problem, as they rename every field.
const FieldInput = "_input"

// Error is the error every Service method returns for a condition a caller can act
// on. Fields carries per-field messages for EINVALID, keyed by the field's name in
// the domain: the canonical JSON name of the input's field ("invoicedAmount"),
// dotted into a nested input ("employee.name"), indexed in a list
// ("[2].amount"), or FieldInput. Messages are paykit's own sentences. Dialects
// rename the fields and rewrite the messages into their wire's words, each in one
// table.
//
// RetryAt, when set, is the time by the Clock from which the same request can
// succeed: the end of a rate limit (a resend within 24 hours). Dialects answer
// such an error with Retry-After (Service.RetryAfter); every error a dialect
// answers 429 or 503 carries one. The Service does not record it under an
// Idempotency-Key, so that a retry with the same key after RetryAt succeeds.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	RetryAt time.Time
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("paykit: %s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + e.Fields[k])
	}
	return fmt.Sprintf("paykit: %s: %s (%s)", e.Code, e.Message, b.String())
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain. Any other
// error yields "Internal error." so that low-level details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field messages of the first *Error in err's chain.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrorRetryAt returns the RetryAt of the first *Error in err's chain: zero
// when err says nothing of when to retry.
func ErrorRetryAt(err error) time.Time {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAt
	}
	return time.Time{}
}

// RetryAfter returns how long from now, by the Clock, until a retry of the
// request that failed with err can succeed (its RetryAt), rounded up to the
// second as a Retry-After header gives it, and false when err says nothing of
// when to retry. A RetryAt already past is 0; an EUNAVAILABLE without one is
// a second. It reads the Clock on its own, when the answer is written, so the
// header counts from the moment it leaves.
func (s *Service) RetryAfter(err error) (time.Duration, bool) {
	at := ErrorRetryAt(err)
	if at.IsZero() {
		if ErrorCode(err) == EUNAVAILABLE {
			return unavailableRetry, true
		}
		return 0, false
	}
	d := at.Sub(s.now())
	if d <= 0 {
		return 0, true
	}
	return (d + time.Second - 1).Truncate(time.Second), true
}

// Validation collects per-field problems; Err returns nil when there are none.
type Validation struct {
	fields map[string]string
}

// Add records msg for field unless the field already has a message.
func (v *Validation) Add(field, msg string) {
	if v.fields == nil {
		v.fields = make(map[string]string)
	}
	if _, ok := v.fields[field]; !ok {
		v.fields[field] = msg
	}
}

// Has reports whether field already has a problem.
func (v *Validation) Has(field string) bool { _, ok := v.fields[field]; return ok }

// Err returns an EINVALID *Error naming every field, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Invalid input.", Fields: v.fields}
}

// msgRequired is the message of a required field left out or empty.
const msgRequired = "A value is required."

// invalid returns an EINVALID error for one field.
func invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}

// parseEnum returns s as an E when it is one of values, and otherwise an
// EINVALID for field that lists them: "<noun> must be one of a, b, c.".
func parseEnum[E ~string](field, noun, s string, values []E) (E, error) {
	if e := E(s); slices.Contains(values, e) {
		return e, nil
	}
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return "", invalid(field, "%s must be one of %s.", noun, strings.Join(names, ", "))
}
