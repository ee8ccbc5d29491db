// Package httpapi serves paykit's Service as the HTTP APIs it speaks: each
// dialect is an http.Handler whose routes are relative to its documented API
// base URL, so a host mounts it at any prefix on any mux (the example server
// uses /gigpay for GigPay and /sandbox for the sandbox controls). The package
// only translates wire formats; every rule lives in the root package.
//
// # Common behaviour
//
// A request that may change state (any method but GET, HEAD and OPTIONS) and
// that a browser sent from another origin (Sec-Fetch-Site, or an Origin that
// is not the Host) is refused before anything else, as forbidden in the
// dialect's shape (cross-site request forgery: HTTP Basic credentials, which
// Gigapay's browsable API and Memento take, are sent by the browser whoever
// asks). Programs send neither header and are not affected.
//
// Request bodies are JSON objects of at most 1 MiB (413 otherwise), sent as
// application/json (or any +json type, or without a Content-Type); another
// type is 415 naming the field Content-Type (Gigapay also takes form data, as
// Django REST Framework does; Memento answers invalid_data). Unknown
// fields, malformed JSON, values of the wrong type and trailing data after the
// object are rejected as invalid input naming the field, as is text holding a
// NUL character, on every dialect. Every POST honours an Idempotency-Key
// header (at most 255 characters): the same key with the same request replays
// the first response, errors included, for 24 hours; the same key with a
// different request is a conflict. An error that says when to
// retry is not replayed: every 429 and 503 of every dialect carries
// Retry-After, the seconds by the Service's Clock until a retry can succeed
// (paykit.Error's RetryAt), and a retry then succeeds, the same key included.
//
// Serve the dialects with NewServer (or Limit and LimitListener on a server
// of your own): timeouts, header and body limits, and caps on connections,
// requests in progress and the memory of request bodies, so that slow or
// greedy clients get 503s with Retry-After and the rest are served (see
// ServerLimits). A store out of a resource (EUNAVAILABLE) is 503 with
// Retry-After too, on every dialect that answers with statuses.
//
// Input limits are the root's (paykit's limits.go), so every dialect applies
// the same: a body whose JSON nests deeper than paykit.MaxJSONDepth (32) is
// refused before it is decoded, as invalid input naming the body; metadata
// has at most 50 keys of at most 40 characters, values of at most 500
// characters (a value that is not a string counts by its JSON) and at most 5
// levels of nesting, refused as invalid input naming metadata. Nothing is
// written on either.
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
// (never through float64); times are written in UTC to the millisecond, like
// 2024-01-09T19:19:27.693Z (a finer part is truncated), and read as ISO 8601
// with or without an offset, none meaning UTC (2030-01-09T18:00:56.246, as a
// .NET client sends a DateTime of unspecified kind).
//
//	POST /api/v1/payment-tokens                  create a token: {"assetType":"usd","sourceAccountId","amount","expiresAtUtc"?,"memo"?} → 201 token
//	                                             (expiresAtUtc after now, at most 5 years ahead; absent or null: 7 days)
//	POST /api/v1/payment-tokens/batch            {"tokens":[...up to 100 of the above]} → 201 {"data":[tokens]}, all or nothing
//	GET  /api/v1/payment-tokens/{token}          → 200 token, as it stands now (expired at the instant of expiresAtUtc)
//	POST /api/v1/payment-tokens/{token}/accept   {"destinationAccountId"} → 200 {"paymentToken":token,"payment":payment}
//	POST /api/v1/payment-tokens/{token}/reject   → 200 token
//	GET  /api/v1/payments                        → 200 {"data":[every payment],"hasMore":false,"nextCursor":null}, streamed
//	GET  /api/v1/payments/{paymentId}            → 200 payment
//	POST /api/v1/accounts                        {"id"?,"assetType","name"?,"businessAccountId"|"userIdentityId"} → 201 account
//	GET  /api/v1/accounts/{id}                   → 200 account with balances
//	POST /api/v1/deposits                        {"destinationAccountId","amount","assetType","externalStorage"?} → 201 payment (processing)
//	POST /api/v1/withdrawals                     {"sourceAccountId","amount","assetType","externalStorage"} → 201 payment (pending)
//
// GET /api/v1/payments returns all the tenant's payments, oldest first, as
// the document says ("Currently, this will return all payments"), written as
// they are read from one query, so memory stays flat at any count. As
// extensions it takes the query parameters type (deposit, transfer,
// withdrawal), status (pending, processing, completed, canceled, failed),
// paymentTokenId, accountId (source or destination), createdFrom (inclusive)
// and createdUntil (exclusive) as date-times, sort (createdAt, -createdAt,
// amount, -amount; default createdAt) and startingAfter (a paymentId: the
// payments after it), which narrow or order the whole list; and limit (1 to
// 1000), which asks for one page: {"data","hasMore","nextCursor"}, nextCursor
// being the startingAfter of the next page.
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
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"mime"
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
	paykit.EUNAVAILABLE:  http.StatusServiceUnavailable,
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

// setRetryAfter sets Retry-After on an answer of status 429 or 503: the
// seconds, by the Service's Clock, until a retry can succeed, which the error
// carries (paykit.Error's RetryAt). Every dialect that answers with statuses
// calls it from its one error writer. A 429 or 503 whose error says nothing of
// when to retry is a bug of the code that made the error; it is logged.
func setRetryAfter(w http.ResponseWriter, r *http.Request, svc *paykit.Service, status int, err error) {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return
	}
	d, ok := svc.RetryAfter(err)
	if !ok {
		slog.ErrorContext(r.Context(), "httpapi: a 429 or 503 without a retry time", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64(d/time.Second), 10))
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

// streamStall is how long a streamed response waits for a client to take its
// next chunk before giving up on it, so that a client that stops reading
// releases the query that feeds it.
const streamStall = time.Minute

// writeListStream writes 200 {"data":[...],"hasMore":false,"nextCursor":null}
// with every item seq yields, rendered and written as it comes: memory stays
// flat however many there are. The bytes are those writeJSON would write for
// the whole list. An error before the first bytes have gone out is returned,
// for the dialect's error response; after, the status has gone, so the
// response is aborted (the client sees a broken body, never a short list that
// parses).
func writeListStream[S, T any](w http.ResponseWriter, r *http.Request, seq iter.Seq2[S, error], render func(S) T) error {
	sw := &stallWriter{w: w, rc: http.NewResponseController(w)}
	bw := bufio.NewWriterSize(sw, 32<<10)
	bw.WriteString(`{"data":[`)
	first := true
	fail := func(err error) error {
		if !sw.started {
			return err
		}
		slog.ErrorContext(r.Context(), "httpapi: list stream aborted", "method", r.Method, "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
	for it, err := range seq {
		if err != nil {
			return fail(err)
		}
		b, err := encodeJSON(render(it))
		if err != nil {
			return fail(err)
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		if _, err := bw.Write(b); err != nil {
			return fail(err)
		}
	}
	bw.WriteString(`],"hasMore":false,"nextCursor":null}` + "\n")
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	// The deadline was this response's: a next request on the connection
	// starts without one (or with the server's own).
	sw.rc.SetWriteDeadline(time.Time{})
	return nil
}

// stallWriter sends a streamed list's status and headers with its first
// bytes, and gives each write to the client streamStall to complete.
type stallWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/json")
		s.w.WriteHeader(http.StatusOK)
	}
	// Real time, not the Service's Clock: a socket deadline is the network's,
	// and a mock clock would never reach it. A writer without deadlines (a
	// recorder) does without.
	s.rc.SetWriteDeadline(time.Now().Add(streamStall))
	return s.w.Write(p)
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

// crossOrigin recognizes the requests a browser sends from another origin
// (Sec-Fetch-Site, or Origin against Host for browsers without it). Requests
// without either header, from programs, pass, as do the safe methods.
var crossOrigin = http.NewCrossOriginProtection()

// crossSite reports whether r may change state and a browser sent it from
// another site, and names that site (its Origin): a form or a script there
// would otherwise act with the credentials the browser keeps for this one
// (HTTP Basic, which Gigapay's browsable API and Memento take). Every
// dialect's router refuses such a request before anything else; none serves
// CORS, so no legitimate browser request comes from elsewhere.
func crossSite(r *http.Request) (from string, refused bool) {
	if crossOrigin.Check(r) == nil {
		return "", false
	}
	if from = r.Header.Get("Origin"); from == "" || from == "null" {
		from = "another site"
	}
	return from, true
}

// checkOrigin returns EFORBIDDEN, on the field "Origin", for a request
// crossSite refuses.
func checkOrigin(r *http.Request) error {
	from, refused := crossSite(r)
	if !refused {
		return nil
	}
	msg := "Cross-origin request refused: a browser sent it from " + from + "."
	return &paykit.Error{Code: paykit.EFORBIDDEN, Message: msg, Fields: map[string]string{"Origin": msg}}
}

// checkJSONType refuses a body sent with a Content-Type other than JSON
// (application/json, or any +json type), as 415 naming the field
// "Content-Type": a browser sends text/plain, form and multipart bodies
// across sites without asking, so a JSON route that took them would take
// forged requests. A body without a Content-Type is read as JSON, as
// programs often send it so.
func checkJSONType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &statusError{http.StatusUnsupportedMediaType,
		invalidField("Content-Type", fmt.Sprintf("Unsupported media type %q: send JSON as application/json.", ct))}
}

// decodeJSON decodes the request body, a single JSON object of at most 1 MiB
// sent as JSON (see checkJSONType), into v. Unknown fields, malformed JSON,
// wrong types and trailing data are EINVALID errors naming the field (or
// "body"); an oversized body is one with status 413, a body of another media
// type one with status 415. An empty body is an error unless optional is set,
// in which case v is left as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := readAll(w, r)
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
	if err := checkJSONType(r); err != nil {
		return err
	}
	if err := paykit.CheckJSONDepth(body); err != nil {
		return invalidField("body", paykit.ErrorMessage(err))
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

// readAll reads the request body, at most maxBodyBytes of it (a
// *http.MaxBytesError beyond), without a copy when Limit has read it ahead.
func readAll(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if bb, ok := r.Body.(*bufferedBody); ok && bb.whole != nil && len(bb.whole) <= maxBodyBytes {
		return bb.whole, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
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
	case reflect.TypeFor[isoTime](), reflect.TypeFor[millisTime]():
		return "an ISO 8601 date-time string like 2024-01-09T18:00:56.246Z (UTC when it has no offset)"
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
	if err := checkOrigin(r); err != nil {
		rt.writeError(w, r, err)
		return
	}
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
