package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// NewMemento returns the Memento Payments merchant API (payment requests),
// with routes relative to the API base URL; the example server mounts it at
// /memento.
//
// Auth: HTTP Basic with the merchant's API key as the username and an empty
// password (a password, if sent, is ignored). Bodies and responses are
// snake_case JSON; amounts are JSON numbers, decoded exactly (never through
// float64) and written in their shortest form (10.99, 2199, 10.5); an amount
// that is one at the currency's scale plus float64 noise (10.990000000000002)
// is read as that amount (see mementoAmount), and one with real extra
// decimals (10.995) is invalid_data. Times are unix seconds, UTC.
//
// A recipient is a username or a phone number, with or without its country
// code: digits without "+" get the merchant's default country code
// (paykit.MerchantSettings.DefaultCountryCode, +354 unless configured), unless
// they already start with it and are as long as a full international number of
// that country (14155551212 under +1).
//
//	POST   /v1/requests              {"amount","currency","description"?,"image_url"?,"order"?,"recipient",
//	                                  "terminal"?,"expires_in"?,"notify_url"?} → {"success":true,"id","created","url"?}
//	GET    /v1/requests/{id}         → request
//	GET    /v1/requests/{id}/status  → {"id","status","expires"}
//	DELETE /v1/requests/{id}         cancel a pending request → {"success":true,"id","status":"rejected","expires":<cancel time>}
//
// Shapes:
//
//	request: {"id","transaction_id"?,"amount","currency","description","image_url","status","order",
//	          "created","updated","expires","reason"?,"url"?}
//	error:   {"success":false,"error":{"code","key","message"}}
//
// url, an extension, is the payer's link to the request's page (where they
// pay or decline it) when the host serves one (paykit.WithRequestURL and the
// pages package); without it the key is left out.
//
// A request's status is pending, paid or rejected; transaction_id appears once
// it is paid, and reason (declined, expired or canceled) once it is rejected.
// A request reads rejected (expired) from the instant it expires, and its
// updated time equals created until its status changes. Canceling sets expires
// to the cancel time; canceling a canceled request again succeeds unchanged.
//
// Every response is HTTP 200, errors included, as Memento (and Kass before it)
// does. Error codes, as strings: 100 merchant_not_found (missing or wrong key),
// 101 merchant_account_locked, 200 recipient_not_found,
// 201 merchant_cannot_be_recipient, 300 payment_not_found (also for another
// merchant's request and for an unknown path), 301 payment_exceeds_limits (over
// the merchant's per-request limit; in the sandbox, a payer whose balance is
// too low), 400 invalid_data (malformed JSON, invalid fields, and acting on a
// request that is no longer pending or has expired; the message names the
// field or the state), 500 system_error. Code 102 (merchant request signatures)
// is not implemented: nothing public says how requests would be signed.
//
// When a request with a notify_url is paid, declined, canceled or expires, the
// webhooks engine POSTs a Memento callback to notify_url, retried until it
// answers 200: {"payment_request_id","transaction_id"?,"amount","currency",
// "status","order","completed","signature","terminal"?}, signed as
// signing.MementoCallback documents, with the merchant's signing key: its
// newest API key (paykit.Service.CreateAPIKey makes each new key the signing
// key), so a receiver verifies with the key it authenticates with.
func NewMemento(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(mementoScheme)
	m := &memento{svc: svc}
	rt := newRouter(basicAuth(svc), writeMementoError)
	rt.handle("POST /v1/requests", m.createRequest)
	rt.handle("GET /v1/requests/{id}", m.findRequest)
	rt.handle("GET /v1/requests/{id}/status", m.findRequestStatus)
	rt.handle("DELETE /v1/requests/{id}", m.cancelRequest)
	return rt
}

type memento struct {
	svc *paykit.Service
}

// basicAuth authenticates a request by HTTP Basic credentials whose username is
// the API key.
func basicAuth(svc *paykit.Service) func(*http.Request) (*paykit.Tenant, error) {
	return func(r *http.Request) (*paykit.Tenant, error) {
		key, _, ok := r.BasicAuth()
		if !ok || key == "" {
			return nil, paykit.Errorf(paykit.EUNAUTHORIZED, "Send HTTP Basic auth with the access token as the username.")
		}
		return svc.Authenticate(r.Context(), key)
	}
}

// mementoError is one row of Memento's error table.
type mementoError struct {
	Code    string `json:"code"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

// mementoErrorKey picks a row of mementoErrors: a root error code, and the
// field it names where the code alone does not decide (no payer for the
// recipient is 200, no payment request 300).
type mementoErrorKey struct{ code, field string }

// mementoErrors maps root error codes to Memento's documented errors; the one
// place the dialect decides them. Codes missing here are 500 system_error.
var mementoErrors = map[mementoErrorKey]mementoError{
	{paykit.EUNAUTHORIZED, ""}:       {"100", "merchant_not_found", "Merchant not found"},
	{paykit.EFORBIDDEN, ""}:          {"101", "merchant_account_locked", "Merchant account is locked"},
	{paykit.ENOTFOUND, "recipient"}:  {"200", "recipient_not_found", "Recipient not found"},
	{paykit.EFORBIDDEN, "recipient"}: {"201", "merchant_cannot_be_recipient", "Merchant cannot be recipient"},
	{paykit.EFORBIDDEN, "Origin"}:    {"400", "invalid_data", "Invalid data"}, // a cross-site request (checkOrigin)
	{paykit.ENOTFOUND, ""}:           {"300", "payment_not_found", "Payment not found"},
	{paykit.ELIMIT, ""}:              {"301", "payment_exceeds_limits", "Payment exceeds limits"},
	{paykit.EINVALID, ""}:            {"400", "invalid_data", "Invalid data"},
	{paykit.ECONFLICT, ""}:           {"400", "invalid_data", "Invalid data"},
	{paykit.EEXPIRED, ""}:            {"400", "invalid_data", "Invalid data"},
	{codeMethodNotAllowed, ""}:       {"400", "invalid_data", "Invalid data"},
	{paykit.EINTERNAL, ""}:           {"500", "system_error", "System error"},
}

// mementoErrorOf returns the row of mementoErrors for err: the one of its code
// and one of its fields, else the one of its code alone, else system_error.
func mementoErrorOf(err error) mementoError {
	code := paykit.ErrorCode(err)
	for _, f := range slices.Sorted(maps.Keys(paykit.ErrorFields(err))) {
		if e, ok := mementoErrors[mementoErrorKey{code, f}]; ok {
			return e
		}
	}
	if e, ok := mementoErrors[mementoErrorKey{code, ""}]; ok {
		return e
	}
	return mementoErrors[mementoErrorKey{paykit.EINTERNAL, ""}]
}

// writeMementoError writes err as {"success":false,"error":{"code","key",
// "message"}} with HTTP 200. Invalid data and exceeded limits say what was
// wrong, naming the fields; the other errors say only their documented
// meaning, so internal errors never leak. Being HTTP 200, no error carries
// Retry-After (a 301 is a payment over a limit, not a rate limit).
func writeMementoError(w http.ResponseWriter, r *http.Request, err error) {
	e := mementoErrorOf(err)
	if e.Code == "400" || e.Code == "301" {
		e.Message += ": " + mementoDetail(err)
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool         `json:"success"`
		Error   mementoError `json:"error"`
	}{false, e})
}

// mementoFields renames the root's field names to Memento's snake_case, segment
// by segment of a dotted path ("requestLimits.USD" is "request_limits.USD").
var mementoFields = map[string]string{
	"imageUrl":           "image_url",
	"notifyUrl":          "notify_url",
	"expiresIn":          "expires_in",
	"defaultCountryCode": "default_country_code",
	"requestLimits":      "request_limits",
}

// mementoMessages keeps the words Memento's wire has always said where the
// root's sentences differ.
var mementoMessages = map[string]string{
	"A value is required.": "This field is required.",
}

func mementoMessage(msg string) string {
	if w, ok := mementoMessages[msg]; ok {
		return w
	}
	return msg
}

// mementoDetail is err's message, or its fields as "field: message; ...", in
// the wire's words.
func mementoDetail(err error) string {
	if len(paykit.ErrorFields(err)) == 0 {
		return mementoMessage(paykit.ErrorMessage(err))
	}
	fields := map[string]string{}
	for k, m := range paykit.ErrorFields(err) {
		parts := strings.Split(k, ".")
		for i, p := range parts {
			if w, ok := mementoFields[p]; ok {
				parts[i] = w
			}
		}
		fields[strings.Join(parts, ".")] = mementoMessage(m)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + fields[k]
	}
	return strings.Join(parts, "; ")
}

// Requests.

type mementoRequestCreate struct {
	Amount      jsonNumber `json:"amount"`
	Currency    string     `json:"currency"`
	Description string     `json:"description"`
	ImageURL    string     `json:"image_url"`
	Order       string     `json:"order"`
	Recipient   string     `json:"recipient"`
	Terminal    *int64     `json:"terminal"`
	ExpiresIn   *int64     `json:"expires_in"` // seconds
	NotifyURL   string     `json:"notify_url"`
}

func (c mementoRequestCreate) domain() paykit.RequestCreate {
	in := paykit.RequestCreate{Amount: mementoAmount(c.Amount.Decimal, c.Currency), Currency: c.Currency, Description: c.Description,
		ImageURL: c.ImageURL, Order: c.Order, Recipient: c.Recipient, Terminal: c.Terminal, NotifyURL: c.NotifyURL}
	if c.ExpiresIn != nil {
		// Seconds beyond what a Duration holds stay out of range rather than wrap.
		d := time.Duration(max(min(*c.ExpiresIn, math.MaxInt64/int64(time.Second)), math.MinInt64/int64(time.Second))) * time.Second
		in.ExpiresIn = &d
	}
	return in
}

// mementoFloatULPs is how far, in units in the last place of a float64, an
// amount may be from one at its currency's scale and still be that amount with
// binary floating-point noise.
const mementoFloatULPs = 4

// mementoAmount returns the amount a client meant by amount, a JSON number
// decoded exactly: Memento documents amount as a float, and a client that
// computes it in float64 may send 10.990000000000002 for 10.99. An amount with
// more decimals than the currency's scale is that noise, and is read as the
// nearest amount at the scale, when both of these hold:
//
//   - the float64 nearest it is at most mementoFloatULPs ULPs from the float64
//     nearest the amount at the scale (10.990000000000002 is 1 ULP from 10.99;
//     10.995 is 5e-3, some 2.8e12 ULPs, from both 10.99 and 11.00);
//   - those ULPs span less than half a minor unit, so the noise cannot reach
//     another amount at the scale. In a currency of 2 decimals this holds up to
//     about 8.8e12 (2^43); above it, and above about 1e9 in USDT (6 decimals),
//     only an amount exact at the scale is taken.
//
// Any other amount is returned as it came, and the root refuses more decimals
// than the scale (invalid_data), as it always does: the root stays exact and
// only this dialect, whose document speaks of floats, reads floats. float64
// decides only whether the digits are noise; the amount is a decimal
// throughout.
func mementoAmount(amount decimal.Decimal, currency string) decimal.Decimal {
	c, err := paykit.ParseCurrency("currency", currency)
	if err != nil {
		return amount
	}
	at := amount.Round(c.Scale())
	if at.Equal(amount) {
		return amount
	}
	f, err1 := strconv.ParseFloat(amount.String(), 64)
	fa, err2 := strconv.ParseFloat(at.String(), 64)
	if err1 != nil || err2 != nil || fa == 0 || math.Signbit(f) != math.Signbit(fa) {
		return amount
	}
	d := int64(math.Float64bits(f)) - int64(math.Float64bits(fa))
	if d < -mementoFloatULPs || d > mementoFloatULPs {
		return amount
	}
	ulp := decimal.NewFromFloat(math.Nextafter(math.Abs(fa), math.Inf(1)) - math.Abs(fa))
	if ulp.Mul(decimal.NewFromInt(mementoFloatULPs)).GreaterThanOrEqual(decimal.New(5, -c.Scale()-1)) {
		return amount
	}
	return at
}

// mementoRequest has exactly the keys of Memento's documented request, in its
// order, plus reason once the request is rejected, and url when the host
// serves the payer's page.
type mementoRequest struct {
	ID            string     `json:"id"`
	TransactionID string     `json:"transaction_id,omitempty"`
	Amount        jsonNumber `json:"amount"`
	Currency      string     `json:"currency"`
	Description   string     `json:"description"`
	ImageURL      string     `json:"image_url"`
	Status        string     `json:"status"`
	Order         string     `json:"order"`
	Created       int64      `json:"created"`
	Updated       int64      `json:"updated"`
	Expires       int64      `json:"expires"`
	Reason        string     `json:"reason,omitempty"`
	URL           string     `json:"url,omitempty"`
}

func (m *memento) requestOf(r *paykit.Request) mementoRequest {
	out := mementoRequestOf(r)
	out.URL = m.svc.RequestLink(r)
	return out
}

func mementoRequestOf(r *paykit.Request) mementoRequest {
	return mementoRequest{ID: r.ID, TransactionID: r.TransactionID, Amount: jsonNumber{r.Amount.Amount},
		Currency: string(r.Amount.Currency), Description: r.Description, ImageURL: r.ImageURL, Status: string(r.Status),
		Order: r.Order, Created: r.CreatedAt.Unix(), Updated: r.UpdatedAt.Unix(), Expires: r.ExpiresAt.Unix(),
		Reason: string(r.Reason)}
}

func (m *memento) createRequest(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in mementoRequestCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	req, err := m.svc.CreateRequest(r.Context(), t.ID, in.domain())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool   `json:"success"`
		ID      string `json:"id"`
		Created int64  `json:"created"`
		URL     string `json:"url,omitempty"`
	}{true, req.ID, req.CreatedAt.Unix(), m.svc.RequestLink(req)})
	return nil
}

func (m *memento) findRequest(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	req, err := m.svc.FindRequestByID(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m.requestOf(req))
	return nil
}

func (m *memento) findRequestStatus(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	req, err := m.svc.FindRequestByID(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Expires int64  `json:"expires"`
	}{req.ID, string(req.Status), req.ExpiresAt.Unix()})
	return nil
}

func (m *memento) cancelRequest(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	req, err := m.svc.CancelRequest(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool   `json:"success"`
		ID      string `json:"id"`
		Status  string `json:"status"`
		Expires int64  `json:"expires"`
	}{true, req.ID, string(req.Status), req.ExpiresAt.Unix()})
	return nil
}

// mementoCallback renders the notify_url callback of a payment request's
// final event from the request's snapshot, signed with the merchant's key: the
// documented fields, then "terminal" when the merchant gave one (the seed
// promises it in the callback data; like currency, it is not signed). It is
// the Render of mementoScheme.
func mementoCallback(ev *paykit.Event, key string) (json.RawMessage, error) {
	var r paykit.Request
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return nil, fmt.Errorf("callback of event %s: %w", ev.ID, err)
	}
	if r.CompletedAt == nil {
		return nil, fmt.Errorf("callback of event %s: request %q has not completed", ev.ID, r.ID)
	}
	// The kit signs the amount as text; decimal's String is already the
	// shortest form it signs (10.50 gives "10.5", 2199.00 "2199").
	cb := signing.MementoCallback{PaymentRequestID: r.ID, TransactionID: r.TransactionID, Amount: json.Number(r.Amount.Amount.String()),
		Currency: string(r.Amount.Currency), Status: string(r.Status), Order: r.Order, Completed: r.CompletedAt.Unix()}
	cb.Signature = cb.Sign(key)
	b, err := json.Marshal(cb)
	if err != nil {
		return nil, fmt.Errorf("callback of request %s: %w", r.ID, err)
	}
	if r.Terminal != nil {
		b = append(b[:len(b)-1], `,"terminal":`+strconv.FormatInt(*r.Terminal, 10)+`}`...)
	}
	return b, nil
}
