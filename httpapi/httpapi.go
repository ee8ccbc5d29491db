// Package httpapi serves paykit's Service as the HTTP APIs it speaks: each
// dialect is an http.Handler whose routes are relative to its documented API
// base URL, so a host mounts it at any prefix on any mux (the example server
// uses /gigpay for GigPay and /sandbox for the sandbox controls). The package
// only translates wire formats; every rule lives in the root package.
//
// # Common behaviour
//
// Request bodies are JSON objects of at most 1 MiB (413 otherwise). Unknown
// fields, malformed JSON, values of the wrong type and trailing data after the
// object are rejected as invalid input naming the field. Every POST honours an
// Idempotency-Key header (at most 255 characters): the same key with the same
// request replays the first response, errors included, for 24 hours; the same
// key with a different request is a conflict.
//
// Webhook bodies are shaped and signed by the schemes the dialects register
// with the Service when constructed (schemes.go): gigapay by NewGigapay,
// NewGigapaySandbox and NewEvents, gigstack by NewGigstack, NewGigstackSandbox
// and NewEvents, memento (payment
// request callbacks) by NewMemento and NewMementoSandbox. RegisterSchemes
// registers them all, for a process that runs deliveries without mounting the
// dialects.
//
// # GigPay (NewGigPay)
//
// Auth: "Authorization: Bearer <key>" on every route (the scheme is matched
// case-insensitively); 401 without a key or with a wrong one. Bodies and
// responses are camelCase JSON; amounts are JSON numbers decoded exactly
// (never through float64); times are UTC ISO-8601 like 2024-01-09T19:19:27.693Z,
// to the millisecond, or to the microsecond when a time has a finer part.
//
//	POST /api/v1/payment-tokens                  create a token: {"assetType":"usd","sourceAccountId","amount","expiresAtUtc"?,"memo"?} → 201 token
//	POST /api/v1/payment-tokens/batch            {"tokens":[...up to 100 of the above]} → 201 {"data":[tokens]}, all or nothing
//	GET  /api/v1/payment-tokens/{token}          → 200 token, as it stands now (expired at the instant of expiresAtUtc)
//	POST /api/v1/payment-tokens/{token}/accept   {"destinationAccountId"} → 200 {"paymentToken":token,"payment":payment}
//	POST /api/v1/payment-tokens/{token}/reject   → 200 token
//	GET  /api/v1/payments                        → 200 {"data":[payments],"hasMore","nextCursor"}
//	GET  /api/v1/payments/{paymentId}            → 200 payment
//	POST /api/v1/accounts                        {"id"?,"assetType","name"?,"businessAccountId"|"userIdentityId"} → 201 account
//	GET  /api/v1/accounts/{id}                   → 200 account with balances
//	POST /api/v1/deposits                        {"destinationAccountId","amount","assetType","externalStorage"?} → 201 payment (processing)
//	POST /api/v1/withdrawals                     {"sourceAccountId","amount","assetType","externalStorage"} → 201 payment (pending)
//
// GET /api/v1/payments takes the query parameters type (deposit, transfer,
// withdrawal), status (pending, processing, completed, canceled, failed),
// paymentTokenId, accountId (source or destination), createdFrom (inclusive)
// and createdUntil (exclusive) as RFC 3339 times, sort (createdAt, -createdAt,
// amount, -amount; default createdAt), limit (1 to 1000, default 25) and
// startingAfter (the nextCursor of the previous page, a paymentId).
//
// Shapes:
//
//	token:   {"paymentTokenId","token","link","assetType","amount","sourceAccountId","memo","status",
//	          "expiresAtUtc","createdAtUtc","modifiedAtUtc","paymentId","acceptedAtUtc"}
//	payment: {"paymentId","amount","assetType","status","type","createdAtUtc","modifiedAtUtc",
//	          "source":{"id","businessAccountId","userIdentityId","externalStorage"},
//	          "destination":{...as source},"paymentTokenId","failureReason"}
//	account: {"id","assetType","name","businessAccountId","userIdentityId","externalStorage",
//	          "balance","available","reserved","incoming","createdAtUtc","modifiedAtUtc"}
//	error:   {"error":{"code","message","fields"?:{"field":"message"}}}
//
// Empty values are null. A token's status is active, expired, rejected,
// succeeded or closed; an accepted token stays active, with its paymentId set,
// until its payment completes (succeeded) or is canceled or fails (closed).
// Error codes and statuses: invalid 400 (413 for an oversized body), unauthorized
// 401, forbidden 403, not_found 404, method_not_allowed 405 (with Allow),
// conflict 409, expired 410, limit 422, internal 500.
//
// # Sandbox (NewSandbox)
//
// Controls that play the outside world's part, with GigPay's auth, shapes and
// errors:
//
//	POST /payments/{id}/complete   the rail delivered the payment → 200 payment (completed; its token succeeds)
//	POST /payments/{id}/cancel     {"reason"?}: the rail refused it downstream → 200 payment (canceled; its token closes)
//	POST /payments/{id}/fail       {"reason"?}: it failed unexpectedly → 200 payment (failed; its token closes)
//	POST /deposits                 a deposit arrives, as POST /api/v1/deposits, then completes → 201 payment
//	POST /run-due                  perform all work due by the clock now (expiries, rail submissions) → 204
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 1 << 20

// codeMethodNotAllowed is the error code of a known path asked with the wrong
// method; it is the router's, not a domain code.
const codeMethodNotAllowed = "method_not_allowed"

// errorStatuses maps error codes to HTTP statuses, for every dialect whose
// errors travel as statuses.
var errorStatuses = map[string]int{
	paykit.EINVALID:      http.StatusBadRequest,
	paykit.EUNAUTHORIZED: http.StatusUnauthorized,
	paykit.EFORBIDDEN:    http.StatusForbidden,
	paykit.ENOTFOUND:     http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	paykit.ECONFLICT:     http.StatusConflict,
	paykit.EEXPIRED:      http.StatusGone,
	paykit.ELIMIT:        http.StatusUnprocessableEntity,
	paykit.EINTERNAL:     http.StatusInternalServerError,
}

// statusError is an error whose HTTP status is not the one its code maps to
// (an oversized body is invalid input, but 413).
type statusError struct {
	status int
	err    *paykit.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// errorStatus returns the HTTP status of err.
func errorStatus(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	if s, ok := errorStatuses[paykit.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// logError records an internal error, whose message never reaches the client.
func logError(r *http.Request, err error) {
	if paykit.ErrorCode(err) == paykit.EINTERNAL {
		slog.ErrorContext(r.Context(), "httpapi: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// invalidField returns an EINVALID error naming one field.
func invalidField(field, msg string) *paykit.Error {
	return &paykit.Error{Code: paykit.EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}

// renameFields returns err with its field names passed through rename, so
// that a dialect reports the root's field names as its own wire names.
func renameFields(err error, rename func(string) string) error {
	var e *paykit.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	c := &paykit.Error{Code: e.Code, Message: e.Message, Fields: make(map[string]string, len(e.Fields))}
	for k, v := range e.Fields {
		c.Fields[rename(k)] = v
	}
	return c
}

// writeJSON writes v as the JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		slog.Error("httpapi: encode response", "err", err)
		http.Error(w, `{"error":{"code":"internal","message":"Internal error."}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// encodeJSON encodes v as every response and webhook body is: without
// escaping <, > and & for HTML (as the vendors' own servers write them), and
// without a trailing newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeJSON decodes the request body, a single JSON object of at most 1 MiB,
// into v. Unknown fields, malformed JSON, wrong types and trailing data are
// EINVALID errors naming the field (or "body"); an oversized body is one with
// status 413. An empty body is an error unless optional is set, in which case v
// is left as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &statusError{http.StatusRequestEntityTooLarge,
			invalidField("body", fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit))}
	} else if err != nil {
		return invalidField("body", "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return invalidField("body", "A JSON object is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidField("body", "The request body must hold a single JSON object and nothing after it.")
	}
	return nil
}

// decodeError turns an encoding/json error into an EINVALID error naming the
// field it is about.
func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return invalidField("body", fmt.Sprintf("Malformed JSON at byte %d: %s.", se.Offset, se.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidField("body", "Malformed JSON: the body ends too early.")
	case errors.As(err, &te):
		if te.Field == "" {
			return invalidField("body", "The request body must be a JSON object.")
		}
		if te.Type == reflect.TypeFor[jsonNumber]() && strings.HasPrefix(te.Value, "number") {
			return invalidField(te.Field, "Number out of range.")
		}
		return invalidField(te.Field, "Must be "+wireTypeName(te.Type)+".")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return invalidField(name, "Unknown field.")
	}
	return invalidField("body", "The request body is not valid JSON for this route.")
}

// wireTypeName names a Go type as the JSON a client should have sent.
func wireTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[jsonNumber]():
		return "a JSON number"
	case reflect.TypeFor[isoTime]():
		return "an RFC 3339 date-time string like 2024-01-09T18:00:56.246Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

// jsonNumber is an exact decimal that travels as a JSON number: decoded from the
// number's own text (never through float64) and encoded as the decimal's text,
// like 1 or 10.5. A string or any other JSON value is a type error.
type jsonNumber struct{ decimal.Decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[jsonNumber]()}
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[jsonNumber]()}
	}
	n.Decimal = d
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n.Decimal.String()), nil }

// isoTime is a UTC time that travels as an ISO-8601 string with a Z: to the
// millisecond when it has no finer part (2024-01-09T19:19:27.693Z), otherwise to
// the microsecond. It decodes any RFC 3339 time, with any fraction and offset.
type isoTime struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t isoTime) MarshalJSON() ([]byte, error) { return []byte(`"` + formatISO(t.Time) + `"`), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (t *isoTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[isoTime]()}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[isoTime]()}
	}
	t.Time = v.UTC()
	return nil
}

// ptr returns a pointer to t's time, or nil when t was absent or null.
func (t *isoTime) ptr() *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
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

// queryTime parses an optional RFC 3339 query parameter; "" is nil.
func queryTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	// An unencoded "+" of an offset arrives as a space.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	if err != nil {
		return nil, errors.New("Must be an RFC 3339 date-time like 2024-01-09T18:00:56.246Z.")
	}
	t = t.UTC()
	return &t, nil
}

// nullable returns s, or nil (JSON null) when s is empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// bearerToken returns the credentials of an "Authorization: Bearer <key>"
// header, matching the scheme case-insensitively. It returns EUNAUTHORIZED when
// the header is missing or has another scheme.
func bearerToken(r *http.Request) (string, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", paykit.Errorf(paykit.EUNAUTHORIZED, "Authentication credentials were not provided: send Authorization: Bearer <key>.")
	}
	scheme, key, ok := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", paykit.Errorf(paykit.EUNAUTHORIZED, "Use the Authorization header as Bearer <key>.")
	}
	return key, nil
}

// bearerAuth authenticates a request by its Bearer API key.
func bearerAuth(svc *paykit.Service) func(*http.Request) (*paykit.Tenant, error) {
	return func(r *http.Request) (*paykit.Tenant, error) {
		key, err := bearerToken(r)
		if err != nil {
			return nil, err
		}
		return svc.Authenticate(r.Context(), key)
	}
}

// handlerFunc is a route of an authenticated tenant. It writes its response
// and returns nil, or returns the error for the dialect to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error

// router is the plumbing every dialect is built on: a ServeMux with method
// patterns, whose routes authenticate the tenant, carry the Idempotency-Key of a
// POST into the context and hand their errors, and the mux's own 404 and 405,
// to the dialect's error writer.
type router struct {
	mux          *http.ServeMux
	authenticate func(*http.Request) (*paykit.Tenant, error)
	writeError   func(w http.ResponseWriter, r *http.Request, err error)
}

func newRouter(authenticate func(*http.Request) (*paykit.Tenant, error), writeError func(http.ResponseWriter, *http.Request, error)) *router {
	return &router{mux: http.NewServeMux(), authenticate: authenticate, writeError: writeError}
}

// handle registers fn for pattern, like "POST /api/v1/payment-tokens".
func (rt *router) handle(pattern string, fn handlerFunc) {
	rt.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if key := r.Header.Get("Idempotency-Key"); key != "" {
				r = r.WithContext(paykit.WithIdempotencyKey(r.Context(), key))
			}
		}
		t, err := rt.authenticate(r)
		if err == nil {
			err = fn(w, r, t)
		}
		if err != nil {
			logError(r, err)
			rt.writeError(w, r, err)
		}
	})
}

// ServeHTTP implements http.Handler.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := rt.mux.Handler(r); pattern == "" {
		// The mux's own reply to a path it has no route for: learn its status
		// (and Allow header) and say it in the dialect's shape.
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			rt.writeError(w, r, paykit.Errorf(codeMethodNotAllowed, "Method %s is not allowed here; use %s.", r.Method, rec.header.Get("Allow")))
		case http.StatusNotFound, 0:
			rt.writeError(w, r, paykit.Errorf(paykit.ENOTFOUND, "No route for %s %s.", r.Method, r.URL.Path))
		default:
			// A redirect to the clean path: let the mux say it.
			rt.mux.ServeHTTP(w, r)
		}
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// headerRecorder captures the status and headers of the mux's fallback handlers.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}
