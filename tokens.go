package paykit

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// TokenStatus is where a payment token is in its lifecycle. The values are
// GigPay's, exactly as documented.
type TokenStatus string

// Token statuses. Active is the only non-terminal one.
//
// While an accepted token's transfer is still processing, the token reports
// active, with PaymentID and AcceptedAt set: its outcome is not known yet, so
// none of the terminal statuses would be true, and the documented list has no
// other. It can no longer be accepted, rejected or expire.
const (
	TokenStatusActive    TokenStatus = "active"
	TokenStatusExpired   TokenStatus = "expired"
	TokenStatusRejected  TokenStatus = "rejected"
	TokenStatusSucceeded TokenStatus = "succeeded"
	TokenStatusClosed    TokenStatus = "closed"
)

// Valid reports whether st is one of the documented token statuses.
func (st TokenStatus) Valid() bool {
	switch st {
	case TokenStatusActive, TokenStatusExpired, TokenStatusRejected, TokenStatusSucceeded, TokenStatusClosed:
		return true
	}
	return false
}

// Events of tokens.
const (
	EventTokenCreated   = "token.created"   // reserved the payer's funds
	EventTokenAccepted  = "token.accepted"  // the payee claimed it: its payment was created
	EventTokenRejected  = "token.rejected"  // the payee refused it; the reservation is released
	EventTokenExpired   = "token.expired"   // nobody claimed it before ExpiresAt
	EventTokenSucceeded = "token.succeeded" // its payment completed
	EventTokenClosed    = "token.closed"    // its payment was canceled or failed
)

// tokenEvents are the events of the moves moveToken makes.
var tokenEvents = map[TokenStatus]string{
	TokenStatusRejected:  EventTokenRejected,
	TokenStatusExpired:   EventTokenExpired,
	TokenStatusSucceeded: EventTokenSucceeded,
	TokenStatusClosed:    EventTokenClosed,
}

// Token is a claimable offer to pay: the payer reserves Amount from
// SourceAccountID, and whoever holds the token string may accept it into an
// account of theirs until ExpiresAt.
type Token struct {
	ID              string      `json:"id"`
	TenantID        string      `json:"tenantId"`
	Token           string      `json:"token"` // unguessable, URL-safe; the {token} of the wallet link
	SourceAccountID string      `json:"sourceAccountId"`
	Amount          Money       `json:"amount"`
	Memo            string      `json:"memo"`
	Status          TokenStatus `json:"status"`
	ExpiresAt       time.Time   `json:"expiresAt"`
	ReservationID   string      `json:"reservationId,omitempty"` // the pending transfer holding the funds while unaccepted
	PaymentID       string      `json:"paymentId,omitempty"`     // the transfer payment once accepted
	AcceptedAt      *time.Time  `json:"acceptedAt,omitempty"`
	CreatedAt       time.Time   `json:"createdAt"`
	UpdatedAt       time.Time   `json:"updatedAt"`
}

// TokenFilter selects tokens; nil fields match all.
type TokenFilter struct {
	Status          *TokenStatus
	SourceAccountID *string
	After           string // keyset cursor: the ID of the last token of the previous page
	Limit           int
}

// MaxTokenBatch is the most tokens one CreateTokens call may create.
const MaxTokenBatch = 100

// DefaultTokenTTL is how long a token lives when its creator gives no expiry,
// and MaxTokenTTL (5 years of 365 days) the latest expiry it may give: a
// token reserves its payer's funds until it expires, so a forgotten one must
// not hold them for ever, and 9999-12-31 is no date a client means. The
// GigPay document's own example expires in 2030.
const (
	DefaultTokenTTL = 7 * 24 * time.Hour
	MaxTokenTTL     = 5 * 365 * 24 * time.Hour
)

// TokenCreate is the input of CreateToken.
type TokenCreate struct {
	AssetType       string          `json:"assetType"`
	SourceAccountID string          `json:"sourceAccountId"`
	Amount          decimal.Decimal `json:"amount"`
	ExpiresAt       *time.Time      `json:"expiresAt"` // nil: DefaultTokenTTL from now; after now, at most MaxTokenTTL
	Memo            string          `json:"memo"`
}

// TokenAcceptance is the outcome of AcceptToken: the token and the transfer
// payment created for it.
type TokenAcceptance struct {
	Token   *Token   `json:"token"`
	Payment *Payment `json:"payment"`
}

// maxMemo bounds a token's memo, in bytes.
const maxMemo = 1000

// tokenAccepted is the lifecycle state of an accepted token whose payment has
// not ended: it reports active on the wire (see TokenStatusActive), but it can
// only end with its payment now. It is never stored.
const tokenAccepted TokenStatus = "accepted"

// tokenLifecycle is the token lifecycle. An unaccepted active token is
// accepted, rejected or expires; an accepted one succeeds or closes with its
// payment.
var tokenLifecycle = lifecycle[TokenStatus]{
	next: map[TokenStatus][]TokenStatus{
		TokenStatusActive: {tokenAccepted, TokenStatusExpired, TokenStatusRejected},
		tokenAccepted:     {TokenStatusSucceeded, TokenStatusClosed},
	},
	cannot: "Payment token is %[2]s and cannot become %[3]s.",
}

// Open reports whether t may still be accepted or rejected: active, with no
// payment yet. Read it of a token as the Service returns it, which reports
// an expired token expired.
func (t *Token) Open() bool { return t.state() == TokenStatusActive }

// Accepted reports whether t was accepted and its payment has not ended:
// it reports active on the wire, and ends with its payment.
func (t *Token) Accepted() bool { return t.state() == tokenAccepted }

// state is where t is in tokenLifecycle: its status, or tokenAccepted.
func (t *Token) state() TokenStatus {
	if t.Status == TokenStatusActive && t.PaymentID != "" {
		return tokenAccepted
	}
	return t.Status
}

// moveToken changes t's status, writes it and fires its event (tokenEvents).
func (s *Service) moveToken(ctx context.Context, tx Tx, now time.Time, t *Token, to TokenStatus) error {
	if err := tokenLifecycle.check(t.ID, t.state(), to); err != nil {
		return err
	}
	typ, err := eventOf(tokenEvents, "token "+t.ID, to)
	if err != nil {
		return err
	}
	t.Status, t.UpdatedAt = to, now
	if to == TokenStatusExpired {
		t.UpdatedAt = t.ExpiresAt // it expired then, whenever the sweep ran (see asOf)
	}
	if err := tx.UpdateToken(ctx, t); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, t.TenantID, typ, t.ID, t)
}

// expiredAt reports whether t is past its expiry at now. A token expires at the
// instant ExpiresAt, not a tick later; an accepted token never expires.
func (t *Token) expiredAt(now time.Time) bool {
	return t.Status == TokenStatusActive && t.PaymentID == "" && !now.Before(t.ExpiresAt)
}

// asOf returns t as it stands at now: a read never reports a token as active
// after its expiry, even before the sweep has persisted it.
func (t *Token) asOf(now time.Time) *Token {
	if t.expiredAt(now) {
		c := *t
		c.Status, c.UpdatedAt = TokenStatusExpired, t.ExpiresAt
		return &c
	}
	return t
}

// WalletLink returns the GigPay wallet link that claims t:
// https://wallet.{env}.gigpay.com/payment/{token}, without the env segment in
// production; or, with WithWalletURL, <base>/<tenant>/payment/<token>, the
// host's own page (the token string is unique per tenant only).
func (s *Service) WalletLink(t *Token) string {
	if s.links.wallet != "" {
		return s.links.wallet + "/" + url.PathEscape(t.TenantID) + "/payment/" + t.Token
	}
	host := "wallet.gigpay.com"
	if s.walletEnv != "" {
		host = "wallet." + s.walletEnv + ".gigpay.com"
	}
	return "https://" + host + "/payment/" + t.Token
}

// CreateToken creates a payment token and reserves its amount in the source
// account, so the payee's claim can never bounce. Only USD is supported, as
// GigPay documents. Returns EINVALID, and ECONFLICT when the available balance is
// short.
func (s *Service) CreateToken(ctx context.Context, tenantID string, in TokenCreate) (*Token, error) {
	return write(ctx, s, tenantID, "token.create", in, func(tx Tx, now time.Time) (*Token, error) {
		return s.createToken(ctx, tx, now, tenantID, in, "")
	})
}

// CreateTokens creates up to MaxTokenBatch tokens, all or nothing: if any one is
// invalid or unfunded, none is created and the error names it by index
// ("[2].amount").
func (s *Service) CreateTokens(ctx context.Context, tenantID string, in []TokenCreate) ([]*Token, error) {
	if len(in) == 0 {
		return nil, invalid("tokens", "Give at least one token.")
	} else if len(in) > MaxTokenBatch {
		return nil, invalid("tokens", "A batch holds at most %d tokens.", MaxTokenBatch)
	}
	return write(ctx, s, tenantID, "token.create_batch", in, func(tx Tx, now time.Time) ([]*Token, error) {
		out := make([]*Token, 0, len(in))
		for i, tc := range in {
			t, err := s.createToken(ctx, tx, now, tenantID, tc, fmt.Sprintf("[%d].", i))
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	})
}

func (s *Service) createToken(ctx context.Context, tx Tx, now time.Time, tenantID string, in TokenCreate, field string) (*Token, error) {
	var v Validation
	if !strings.EqualFold(in.AssetType, "usd") {
		v.Add(field+"assetType", "Only usd is supported.")
	}
	amount, err := NewPositiveMoney("amount", in.Amount, "USD")
	if err != nil {
		v.Add(field+"amount", ErrorMessage(err))
	}
	expires := now.Add(DefaultTokenTTL)
	if in.ExpiresAt != nil {
		expires = in.ExpiresAt.UTC().Truncate(time.Microsecond)
		switch {
		case !expires.After(now):
			v.Add(field+"expiresAt", "Expiry must be in the future.")
		case expires.After(now.Add(MaxTokenTTL)):
			v.Add(field+"expiresAt", "Expiry must be at most 5 years from now.")
		}
	}
	if len(in.Memo) > maxMemo {
		v.Add(field+"memo", fmt.Sprintf("Memo is at most %d bytes.", maxMemo))
	}
	if in.SourceAccountID == "" {
		v.Add(field+"sourceAccountId", msgRequired)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	src, err := spendableAccount(ctx, tx, tenantID, field+"sourceAccountId", in.SourceAccountID)
	if err != nil {
		return nil, err
	}
	if src.Currency != "USD" {
		return nil, invalid(field+"sourceAccountId", "Account %s holds %s, not USD.", src.ID, src.Currency)
	}
	clearing, err := s.systemAccount(ctx, tx, now, tenantID, accountCodeClearing, "USD")
	if err != nil {
		return nil, err
	}
	t := &Token{ID: newID(), TenantID: tenantID, Token: randomString(32), SourceAccountID: src.ID,
		Amount: amount, Memo: in.Memo, Status: TokenStatusActive, ExpiresAt: expires, CreatedAt: now, UpdatedAt: now}
	hold := &Transfer{Amount: amount.Minor(), Currency: "USD", Status: TransferStatusPending, Kind: "token_reservation", Ref: t.ID}
	if err := s.transfer(ctx, tx, now, hold, src, clearing); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, Errorf(ECONFLICT, "Insufficient funds in account %s for %s.", src.ID, amount)
		}
		return nil, err
	}
	t.ReservationID = hold.ID
	if err := tx.CreateToken(ctx, t); err != nil {
		return nil, err
	}
	return t, s.appendEvent(ctx, tx, now, tenantID, EventTokenCreated, t.ID, t)
}

// FindTokenByToken returns the token with the given token string, as it stands
// now (see FindTokenByID). Returns ENOTFOUND.
func (s *Service) FindTokenByToken(ctx context.Context, tenantID, token string) (*Token, error) {
	t, err := s.store.FindTokenByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	return t.asOf(s.now()), nil
}

// FindTokenByID returns one of the tenant's tokens as it stands now: a token
// past its expiry reads expired even before the sweep persists it. Returns
// ENOTFOUND.
func (s *Service) FindTokenByID(ctx context.Context, tenantID, id string) (*Token, error) {
	t, err := s.store.FindTokenByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return t.asOf(s.now()), nil
}

// FindTokens lists the tenant's tokens in creation order, each as it stands now.
func (s *Service) FindTokens(ctx context.Context, tenantID string, f TokenFilter) ([]*Token, error) {
	f.Limit = clampLimit(f.Limit)
	ts, err := s.store.FindTokens(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	return allAsOf(ts, s.now()), nil
}

// activeToken loads a token that may still be accepted or rejected at now.
func activeToken(ctx context.Context, tx Tx, now time.Time, tenantID, token string) (*Token, error) {
	t, err := tx.FindTokenByToken(ctx, tenantID, token)
	if err != nil {
		return nil, err
	}
	switch {
	case t.expiredAt(now) || t.Status == TokenStatusExpired:
		return nil, Errorf(EEXPIRED, "Payment token expired at %s.", t.ExpiresAt.Format(time.RFC3339Nano))
	case t.PaymentID != "":
		return nil, Errorf(ECONFLICT, "Payment token was already accepted.")
	case t.Status != TokenStatusActive:
		return nil, Errorf(ECONFLICT, "Payment token is %s.", t.Status)
	}
	return t, nil
}

// AcceptToken claims a token into the payee's destination account: the
// reservation becomes a transfer payment, processing until the rail completes
// it. A token is accepted at most once. Returns ENOTFOUND, EEXPIRED, EINVALID
// (bad destination) and ECONFLICT (already accepted, rejected or closed).
func (s *Service) AcceptToken(ctx context.Context, tenantID, token, destinationAccountID string) (*TokenAcceptance, error) {
	in := struct{ Token, DestinationAccountID string }{token, destinationAccountID}
	return write(ctx, s, tenantID, "token.accept", in, func(tx Tx, now time.Time) (*TokenAcceptance, error) {
		if destinationAccountID == "" {
			return nil, invalid("destinationAccountId", msgRequired)
		}
		t, err := activeToken(ctx, tx, now, tenantID, token)
		if err != nil {
			return nil, err
		}
		if err := tokenLifecycle.check(t.ID, t.state(), tokenAccepted); err != nil {
			return nil, err
		}
		dest, err := spendableAccount(ctx, tx, tenantID, "destinationAccountId", destinationAccountID)
		if err != nil {
			return nil, err
		}
		if dest.Currency != t.Amount.Currency {
			return nil, invalid("destinationAccountId", "Account %s holds %s, not %s.", dest.ID, dest.Currency, t.Amount.Currency)
		} else if dest.ID == t.SourceAccountID {
			return nil, invalid("destinationAccountId", "The destination must differ from the source account.")
		}
		src, err := tx.FindAccountByID(ctx, tenantID, t.SourceAccountID)
		if err != nil {
			return nil, err
		}
		p := &Payment{ID: newID(), TenantID: tenantID, Type: PaymentTypeTransfer, Status: PaymentStatusProcessing,
			Amount: t.Amount, Source: partyOf(src), Destination: partyOf(dest), PaymentTokenID: t.ID,
			CreatedAt: now, UpdatedAt: now}
		// The reservation becomes the payment's own pending transfer, to the
		// payee: the funds are never free in between.
		xfer := &Transfer{Amount: t.Amount.Minor(), Currency: t.Amount.Currency, Status: TransferStatusPending, Kind: "payment", Ref: p.ID}
		if err := s.passReservation(ctx, tx, now, tenantID, t.ReservationID, xfer, dest); err != nil {
			return nil, err
		}
		p.TransferID = xfer.ID
		if err := tx.CreatePayment(ctx, p); err != nil {
			return nil, err
		}
		t.PaymentID, t.AcceptedAt, t.UpdatedAt = p.ID, &now, now
		if err := tx.UpdateToken(ctx, t); err != nil {
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, tenantID, EventTokenAccepted, t.ID, t); err != nil {
			return nil, err
		}
		return &TokenAcceptance{Token: t, Payment: p}, s.appendEvent(ctx, tx, now, tenantID, EventPaymentCreated, p.ID, p)
	})
}

// RejectToken records the payee's refusal and releases the reservation. Returns
// ENOTFOUND, EEXPIRED and ECONFLICT (accepted or already final).
func (s *Service) RejectToken(ctx context.Context, tenantID, token string) (*Token, error) {
	return write(ctx, s, tenantID, "token.reject", token, func(tx Tx, now time.Time) (*Token, error) {
		t, err := activeToken(ctx, tx, now, tenantID, token)
		if err != nil {
			return nil, err
		}
		return t, s.endToken(ctx, tx, now, t, TokenStatusRejected)
	})
}

// endToken rejects or expires an unaccepted token and releases its reservation.
func (s *Service) endToken(ctx context.Context, tx Tx, now time.Time, t *Token, to TokenStatus) error {
	if err := s.moveToken(ctx, tx, now, t, to); err != nil {
		return err
	}
	return s.settleTransfer(ctx, tx, now, t.TenantID, t.ReservationID, TransferStatusVoided)
}

// expireTokens persists the expiry of every token past its ExpiresAt and fires
// token.expired (see expire).
func (s *Service) expireTokens(ctx context.Context) (int, error) {
	return expire(ctx, s, Store.FindExpiredTokens, func(tx Tx, now time.Time, t *Token) error {
		if err := s.endToken(ctx, tx, now, t, TokenStatusExpired); err != nil {
			return fmt.Errorf("expire token %s: %w", t.ID, err)
		}
		return nil
	})
}

// TokenStore reads payment tokens.
type TokenStore interface {
	FindTokenByID(ctx context.Context, tenantID, id string) (*Token, error)
	FindTokenByToken(ctx context.Context, tenantID, token string) (*Token, error)
	FindTokens(ctx context.Context, tenantID string, f TokenFilter) ([]*Token, error)
	// FindExpiredTokens returns up to limit active, unaccepted tokens of every
	// tenant whose ExpiresAt is at or before now, oldest expiry first.
	FindExpiredTokens(ctx context.Context, now time.Time, limit int) ([]*Token, error)
}

// TokenTx writes payment tokens.
type TokenTx interface {
	CreateToken(ctx context.Context, t *Token) error
	// UpdateToken writes every mutable field of t: Status, PaymentID, AcceptedAt,
	// ReservationID and UpdatedAt.
	UpdateToken(ctx context.Context, t *Token) error
}
