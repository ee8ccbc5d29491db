package paykit

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Payment requests are Memento's noun: a merchant asks a payer, found by
// username or phone number, to pay an amount before the request expires. The
// payer pays (the money moves through the ledger at once, from the payer's
// account to the merchant's) or declines; the merchant may cancel; the Clock
// expires it. Every change to a final status fires an event, and a request with
// a notify_url gets a signed Memento callback from the webhooks engine for it.
//
// The merchant is the tenant. Payers are registered per tenant (payers.go), so
// one tenant's requests, payers and money never meet another's, and every
// tenant's ledger still sums to zero on its own.

// RequestStatus is where a payment request is in its lifecycle. The values are
// Memento's, exactly as documented: rejected covers a decline, an expiry and a
// cancellation alike, and Request.Reason tells them apart.
type RequestStatus string

// Request statuses. Pending is the only non-final one.
const (
	RequestStatusPending  RequestStatus = "pending"
	RequestStatusPaid     RequestStatus = "paid"
	RequestStatusRejected RequestStatus = "rejected"
)

// Valid reports whether st is one of the documented request statuses.
func (st RequestStatus) Valid() bool {
	switch st {
	case RequestStatusPending, RequestStatusPaid, RequestStatusRejected:
		return true
	}
	return false
}

// RequestReason says why a request was rejected.
type RequestReason string

// Reasons for a rejected request.
const (
	RequestReasonDeclined RequestReason = "declined" // the payer said no
	RequestReasonExpired  RequestReason = "expired"  // nobody acted before ExpiresAt
	RequestReasonCanceled RequestReason = "canceled" // the merchant withdrew it
)

// Valid reports whether r is one of the reasons for a rejected request.
func (r RequestReason) Valid() bool {
	switch r {
	case RequestReasonDeclined, RequestReasonExpired, RequestReasonCanceled:
		return true
	}
	return false
}

// Events of payment requests: its creation, and each final status with its
// reason (requestEvents).
const (
	EventRequestCreated  = "request.created"
	EventRequestPaid     = "request.paid"
	EventRequestDeclined = "request.declined"
	EventRequestExpired  = "request.expired"
	EventRequestCanceled = "request.canceled"
)

// Request is a payment request: the merchant (the tenant) asks the payer
// PayerID, whom it named by Recipient, for Amount until ExpiresAt.
type Request struct {
	ID            string        `json:"id"`
	TenantID      string        `json:"tenantId"`
	PayerID       string        `json:"payerId"`
	Recipient     string        `json:"recipient"` // as normalized: a lower-case username or an E.164 phone number
	Amount        Money         `json:"amount"`
	Description   string        `json:"description"`
	ImageURL      string        `json:"imageUrl"`
	Order         string        `json:"order"`              // the merchant's reference, echoed in the callback
	Terminal      *int64        `json:"terminal,omitempty"` // the merchant's till, echoed in the callback
	NotifyURL     string        `json:"notifyUrl"`
	Status        RequestStatus `json:"status"`
	Reason        RequestReason `json:"reason,omitempty"`        // set when rejected
	TransactionID string        `json:"transactionId,omitempty"` // the ledger transfer that paid it; set when paid
	ExpiresAt     time.Time     `json:"expiresAt"`               // a cancellation moves it to the cancel time
	CompletedAt   *time.Time    `json:"completedAt,omitempty"`   // when it left pending
	CreatedAt     time.Time     `json:"createdAt"`
	UpdatedAt     time.Time     `json:"updatedAt"` // equals CreatedAt until the status changes
}

// RequestFilter selects requests. Requests are listed in ID (creation) order.
type RequestFilter struct {
	After string // keyset cursor: the ID of the last request of the previous page
	Limit int
}

// Request lifetimes, as Memento documents them.
const (
	DefaultRequestTTL = 90 * time.Second
	MinRequestTTL     = 10 * time.Second
	MaxRequestTTL     = 7 * 24 * time.Hour
)

// Bounds of a request's free-text fields, in bytes.
const (
	maxRequestDescription = 1000
	maxRequestOrder       = 255
	maxRequestURL         = 2048
)

// RequestCreate is the input of CreateRequest. Its JSON names (imageUrl,
// notifyUrl, expiresIn) name its validation errors; the Memento dialect renames
// them to its wire's.
type RequestCreate struct {
	Amount      decimal.Decimal `json:"amount"`   // > 0, at most the currency's decimals
	Currency    string          `json:"currency"` // a three-letter ISO-4217 code of the currency table
	Description string          `json:"description"`
	ImageURL    string          `json:"imageUrl"` // an absolute http(s) URL, or empty
	Order       string          `json:"order"`
	Recipient   string          `json:"recipient"` // a username or a phone number, the country code optional
	Terminal    *int64          `json:"terminal"`
	ExpiresIn   *time.Duration  `json:"expiresIn"` // nil: DefaultRequestTTL; MinRequestTTL to MaxRequestTTL
	NotifyURL   string          `json:"notifyUrl"` // an absolute http(s) URL, or empty for no callbacks
}

// requestLifecycle is the request lifecycle: pending is the only state that
// moves, once.
var requestLifecycle = lifecycle[RequestStatus]{
	next: map[RequestStatus][]RequestStatus{
		RequestStatusPending: {RequestStatusPaid, RequestStatusRejected},
	},
	cannot: "Payment request %[1]s is %[2]s and cannot become %[3]s.",
}

// checkRequestTransition returns ECONFLICT unless r may move to `to` for
// reason: a rejection always has a reason, and a payment never has one.
func checkRequestTransition(r *Request, to RequestStatus, reason RequestReason) error {
	if err := requestLifecycle.check(r.ID, r.Status, to); err != nil {
		return err
	}
	if (to == RequestStatusRejected) != (reason != "") {
		return fmt.Errorf("request %s: status %s with reason %q", r.ID, to, reason)
	}
	return nil
}

// describe names r's status for a person: "paid", "rejected (declined)".
func (r *Request) describe() string {
	if r.Reason != "" {
		return fmt.Sprintf("%s (%s)", r.Status, r.Reason)
	}
	return string(r.Status)
}

// requestEvents maps each final status (and reason) to the event it fires.
// Each is a status change, so each sends a notify_url callback.
var requestEvents = map[RequestReason]string{
	"":                    EventRequestPaid,
	RequestReasonDeclined: EventRequestDeclined,
	RequestReasonExpired:  EventRequestExpired,
	RequestReasonCanceled: EventRequestCanceled,
}

// moveRequest changes r's status, writes it and fires its event. An expiry is
// dated ExpiresAt, whenever the sweep ran (see asOf); a cancellation expires the
// request now, as Kass's DELETE does.
func (s *Service) moveRequest(ctx context.Context, tx Tx, now time.Time, r *Request, to RequestStatus, reason RequestReason) error {
	if err := checkRequestTransition(r, to, reason); err != nil {
		return err
	}
	at := now
	switch reason {
	case RequestReasonExpired:
		at = r.ExpiresAt
	case RequestReasonCanceled:
		r.ExpiresAt = now
	}
	r.Status, r.Reason, r.UpdatedAt, r.CompletedAt = to, reason, at, &at
	if err := tx.UpdateRequest(ctx, r); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, r.TenantID, requestEvents[reason], r.ID, r)
}

// expiredAt reports whether r is past its expiry at now. A request expires at
// the instant ExpiresAt, not a tick later.
func (r *Request) expiredAt(now time.Time) bool {
	return r.Status == RequestStatusPending && !now.Before(r.ExpiresAt)
}

// asOf returns r as it stands at now: a read never reports a request as pending
// at or after its expiry, even before the sweep has persisted it, and it reads
// exactly as the sweep will write it.
func (r *Request) asOf(now time.Time) *Request {
	if r.expiredAt(now) {
		c := *r
		at := r.ExpiresAt
		c.Status, c.Reason, c.UpdatedAt, c.CompletedAt = RequestStatusRejected, RequestReasonExpired, at, &at
		return &c
	}
	return r
}

// CreateRequest asks the payer named by in.Recipient to pay in.Amount within
// in.ExpiresIn. Returns EINVALID for bad input (and for a notify_url when the
// merchant has no signing key to sign callbacks with, or the memento scheme is
// not registered), ENOTFOUND on the field "recipient" when no payer has that
// username or phone number, EFORBIDDEN on the field "recipient" when the payer
// is a merchant, and ELIMIT when the amount is over the merchant's limit for
// the currency.
func (s *Service) CreateRequest(ctx context.Context, tenantID string, in RequestCreate) (*Request, error) {
	return write(ctx, s, tenantID, "request.create", in, func(tx Tx, now time.Time) (*Request, error) {
		m, err := merchantOf(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		r, err := s.newRequest(in, m, now)
		if err != nil {
			return nil, err
		}
		p, recipient, err := findRecipient(ctx, tx, tenantID, in.Recipient, m.DefaultCountryCode)
		if err != nil {
			return nil, err
		}
		if limit, ok := m.RequestLimits[r.Amount.Currency]; ok && r.Amount.Minor() > limit.Minor() {
			return nil, &Error{Code: ELIMIT, Message: fmt.Sprintf("The amount is over the limit of %s per request.", limit),
				Fields: map[string]string{"amount": fmt.Sprintf("At most %s per request.", limit)}}
		}
		r.ID, r.TenantID, r.PayerID, r.Recipient = newID(), tenantID, p.ID, recipient
		if err := tx.CreateRequest(ctx, r); err != nil {
			return nil, err
		}
		return r, s.appendEvent(ctx, tx, now, tenantID, EventRequestCreated, r.ID, r)
	})
}

// newRequest validates in and returns the pending request it describes, without
// its payer.
func (s *Service) newRequest(in RequestCreate, m *Merchant, now time.Time) (*Request, error) {
	var v Validation
	c, err := parseISOCurrency("currency", in.Currency)
	if err != nil {
		v.Add("currency", ErrorMessage(err))
	}
	var amount Money
	if c != "" {
		if amount, err = NewPositiveMoney("amount", in.Amount, c); err != nil {
			v.Add("amount", ErrorMessage(err))
		}
	} else if !in.Amount.IsPositive() {
		v.Add("amount", "Amount must be greater than zero.")
	}
	if strings.TrimSpace(in.Recipient) == "" {
		v.Add("recipient", msgRequired)
	}
	if len(in.Description) > maxRequestDescription {
		v.Add("description", fmt.Sprintf("At most %d bytes.", maxRequestDescription))
	}
	if len(in.Order) > maxRequestOrder {
		v.Add("order", fmt.Sprintf("At most %d bytes.", maxRequestOrder))
	}
	if msg := checkRequestURL(in.ImageURL); msg != "" {
		v.Add("imageUrl", msg)
	}
	if in.NotifyURL != "" {
		// The webhooks engine's own check, so that the SSRF guard (on unless
		// WithPrivateDestinations) holds for callbacks from the start.
		if err := s.checkURL(in.NotifyURL); err != nil {
			v.Add("notifyUrl", ErrorMessage(err))
		} else if m.SigningKey == "" {
			v.Add("notifyUrl", "Callbacks are signed with the merchant's API key, and it has none to sign with: create an API key.")
		} else if _, ok := s.scheme(SchemeMemento); !ok {
			v.Add("notifyUrl", "Callbacks need the memento scheme, which is not registered.")
		}
	}
	ttl := DefaultRequestTTL
	if in.ExpiresIn != nil {
		ttl = *in.ExpiresIn
		if ttl < MinRequestTTL || ttl > MaxRequestTTL {
			v.Add("expiresIn", fmt.Sprintf("Must be %d to %d seconds.", int(MinRequestTTL.Seconds()), int(MaxRequestTTL.Seconds())))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &Request{Amount: amount, Description: in.Description, ImageURL: in.ImageURL, Order: in.Order,
		Terminal: in.Terminal, NotifyURL: in.NotifyURL, Status: RequestStatusPending,
		ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}, nil
}

// parseISOCurrency is ParseCurrency for the three-letter ISO-4217 codes only
// (Memento takes no crypto assets).
func parseISOCurrency(field, code string) (Currency, error) {
	c, err := ParseCurrency(field, code)
	if err != nil {
		return "", err
	}
	if len(c) != 3 {
		return "", invalid(field, "Unsupported currency %q: give a three-letter ISO-4217 code.", code)
	}
	return c, nil
}

// checkRequestURL returns why raw is not an absolute http(s) URL, or "" when it
// is one or is empty.
func checkRequestURL(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) > maxRequestURL {
		return fmt.Sprintf("At most %d bytes.", maxRequestURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "Must be an absolute http or https URL."
	}
	return ""
}

// FindRequestByID returns one of the tenant's requests as it stands now: a
// request past its expiry reads rejected (expired) even before the sweep
// persists it. Returns ENOTFOUND, also for another tenant's request.
func (s *Service) FindRequestByID(ctx context.Context, tenantID, id string) (*Request, error) {
	r, err := s.store.FindRequestByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return r.asOf(s.now()), nil
}

// FindRequests returns a page of the tenant's requests in creation order, each
// as it stands now (see FindRequestByID).
func (s *Service) FindRequests(ctx context.Context, tenantID string, f RequestFilter) ([]*Request, error) {
	f.Limit = clampLimit(f.Limit)
	rs, err := s.store.FindRequests(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	return allAsOf(rs, s.now()), nil
}

// pendingRequest loads a request that may still be paid, declined or canceled
// at now.
func pendingRequest(ctx context.Context, tx Tx, now time.Time, tenantID, id string) (*Request, error) {
	r, err := tx.FindRequestByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case r.expiredAt(now) || r.Reason == RequestReasonExpired:
		return nil, Errorf(EEXPIRED, "Payment request expired at %s.", r.ExpiresAt.Format(time.RFC3339Nano))
	case r.Status != RequestStatusPending:
		return nil, Errorf(ECONFLICT, "Payment request is already %s.", r.describe())
	}
	return r, nil
}

// PayRequest pays a pending request as its payer: Amount moves at once, in one
// posted ledger transfer, from the payer's account in the currency to the
// merchant's, and the transfer's ID becomes the request's TransactionID. A
// request can never be paid at or after its expiry. Returns ENOTFOUND,
// EEXPIRED, ECONFLICT (already paid or rejected), and ELIMIT when the payer's
// balance is short, in which case the request stays pending.
func (s *Service) PayRequest(ctx context.Context, tenantID, id string) (*Request, error) {
	return write(ctx, s, tenantID, "request.pay", id, func(tx Tx, now time.Time) (*Request, error) {
		r, err := pendingRequest(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		short := Errorf(ELIMIT, "The payer's balance is too low to pay %s.", r.Amount)
		from, err := payerAccount(ctx, tx, tenantID, r.PayerID, r.Amount.Currency)
		if ErrorCode(err) == ENOTFOUND {
			return nil, short
		} else if err != nil {
			return nil, err
		}
		to, err := s.merchantAccount(ctx, tx, now, tenantID, r.Amount.Currency)
		if err != nil {
			return nil, err
		}
		t := &Transfer{ID: newID(), Amount: r.Amount.Minor(), Currency: r.Amount.Currency, Status: TransferStatusPosted,
			Kind: "request_payment", Ref: r.ID}
		if err := s.transfer(ctx, tx, now, t, from, to); ErrorCode(err) == ECONFLICT {
			return nil, short
		} else if err != nil {
			return nil, err
		}
		r.TransactionID = t.ID
		return r, s.moveRequest(ctx, tx, now, r, RequestStatusPaid, "")
	})
}

// DeclineRequest records the payer's refusal: the request is rejected
// (declined). Returns ENOTFOUND, EEXPIRED and ECONFLICT (already final).
func (s *Service) DeclineRequest(ctx context.Context, tenantID, id string) (*Request, error) {
	return write(ctx, s, tenantID, "request.decline", id, func(tx Tx, now time.Time) (*Request, error) {
		r, err := pendingRequest(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		return r, s.moveRequest(ctx, tx, now, r, RequestStatusRejected, RequestReasonDeclined)
	})
}

// CancelRequest withdraws a pending request for the merchant: it is rejected
// (canceled) and expires now. Canceling a canceled request again returns it
// unchanged, so a retried cancellation succeeds. Returns ENOTFOUND, EEXPIRED
// and ECONFLICT (paid or declined).
func (s *Service) CancelRequest(ctx context.Context, tenantID, id string) (*Request, error) {
	return write(ctx, s, tenantID, "request.cancel", id, func(tx Tx, now time.Time) (*Request, error) {
		if r, err := tx.FindRequestByID(ctx, tenantID, id); err == nil && r.Reason == RequestReasonCanceled {
			return r, nil
		}
		r, err := pendingRequest(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		return r, s.moveRequest(ctx, tx, now, r, RequestStatusRejected, RequestReasonCanceled)
	})
}

// expireRequests persists the expiry of every pending request past its
// ExpiresAt and fires request.expired (see expire).
func (s *Service) expireRequests(ctx context.Context) (int, error) {
	return expire(ctx, s, Store.FindExpiredRequests, func(tx Tx, now time.Time, r *Request) error {
		if err := s.moveRequest(ctx, tx, now, r, RequestStatusRejected, RequestReasonExpired); err != nil {
			return fmt.Errorf("expire request %s: %w", r.ID, err)
		}
		return nil
	})
}

// accountCodeMerchant is the code of the business account, one per tenant and
// currency, that paid requests credit.
const accountCodeMerchant = "merchant"

// merchantAccount returns the tenant's merchant account in currency c, opening
// it on first use. It is a business account, so its balance may never go below
// zero and the merchant may withdraw from it like from any other.
func (s *Service) merchantAccount(ctx context.Context, tx Tx, now time.Time, tenantID string, c Currency) (*Account, error) {
	a, err := tx.FindAccountByCode(ctx, tenantID, accountCodeMerchant, c)
	if ErrorCode(err) != ENOTFOUND {
		return a, err
	}
	a = &Account{ID: newID(), TenantID: tenantID, Kind: AccountKindBusiness, Currency: c, Code: accountCodeMerchant,
		Name: "Merchant", BusinessAccountID: accountCodeMerchant, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, s.appendEvent(ctx, tx, now, tenantID, EventAccountCreated, a.ID, a)
}

// FindMerchantAccount returns the account that the tenant's paid requests in
// currency c credit. Returns ENOTFOUND until a request in c is paid.
func (s *Service) FindMerchantAccount(ctx context.Context, tenantID string, c Currency) (*Account, error) {
	return s.store.FindAccountByCode(ctx, tenantID, accountCodeMerchant, c)
}

// RequestStore persists payment requests, their payers and the merchants' settings
// (see Store for the contract every method follows).
type RequestStore interface {
	// FindMerchant returns the tenant's merchant settings; ENOTFOUND when they
	// were never put.
	FindMerchant(ctx context.Context, tenantID string) (*Merchant, error)
	FindPayerByID(ctx context.Context, tenantID, id string) (*Payer, error)
	// FindPayerByUsername finds a payer by its (lower-case) username.
	FindPayerByUsername(ctx context.Context, tenantID, username string) (*Payer, error)
	// FindPayerByPhone finds a payer by its E.164 phone number.
	FindPayerByPhone(ctx context.Context, tenantID, phone string) (*Payer, error)
	FindRequestByID(ctx context.Context, tenantID, id string) (*Request, error)
	// FindRequests returns a page of the tenant's requests in ID (creation)
	// order.
	FindRequests(ctx context.Context, tenantID string, f RequestFilter) ([]*Request, error)
	// FindExpiredRequests returns up to limit pending requests of every tenant
	// whose ExpiresAt is at or before now, oldest expiry first.
	FindExpiredRequests(ctx context.Context, now time.Time, limit int) ([]*Request, error)
}

// RequestTx writes merchants, payers and payment requests.
type RequestTx interface {
	// PutMerchant inserts or replaces the tenant's merchant settings.
	PutMerchant(ctx context.Context, m *Merchant) error
	// CreatePayer inserts p; ECONFLICT when its ID, or its non-empty username or
	// phone in its tenant, is taken.
	CreatePayer(ctx context.Context, p *Payer) error
	CreateRequest(ctx context.Context, r *Request) error
	// UpdateRequest writes every mutable field of r: Status, Reason,
	// TransactionID, ExpiresAt, CompletedAt and UpdatedAt.
	UpdateRequest(ctx context.Context, r *Request) error
}
