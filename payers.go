package paykit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Events of payers and merchants.
const (
	EventPayerRegistered    = "payer.registered"
	EventMerchantConfigured = "merchant.configured" // its subject is the tenant
)

// Payer is someone a payment request can be sent to: a user of the merchant
// tenant, found by username or phone number, who pays from a user account in
// the request's currency. Payers belong to one tenant, like every resource, so
// the same person asked by two merchants is two payers.
type Payer struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	Username string `json:"username,omitempty"` // lower case; unique per tenant
	Phone    string `json:"phone,omitempty"`    // E.164, like +14155551212; unique per tenant
	// Merchant marks a merchant's own identity, which cannot be a recipient
	// (Memento code 201).
	Merchant  bool      `json:"merchant"`
	CreatedAt time.Time `json:"createdAt"`
}

// PayerCreate is the input of RegisterPayer.
type PayerCreate struct {
	Username string          `json:"username"` // a letter, then letters, digits, '.', '_' or '-'; 2 to 32 in all
	Phone    string          `json:"phone"`    // a phone number; without a country code, the merchant's default applies
	Merchant bool            `json:"merchant"`
	Currency string          `json:"currency"` // opens the payer's account in this currency
	Balance  decimal.Decimal `json:"balance"`  // a starting balance in Currency, deposited from outside
}

// Merchant is a tenant's settings as a Memento merchant.
type Merchant struct {
	TenantID string `json:"tenantId"`
	// SigningKey keys the HMAC of notify_url callbacks. Memento signs with the
	// merchant's access token, so it is the tenant's newest API key:
	// CreateAPIKey makes each new key the signing key in the transaction that
	// creates it (ConfigureMerchant may set another). API keys are stored only
	// hashed, so this one copy is kept sealed (see WithSealingKey); the
	// Service's methods give it opened. It is never written to JSON.
	SigningKey string `json:"-"`
	// DefaultCountryCode is put before a recipient's phone number that has no
	// country code of its own, like "+354" (see payerPhone for digits that
	// already start with it).
	DefaultCountryCode string `json:"defaultCountryCode"`
	// RequestLimits caps the amount of one request, per currency; a currency
	// without an entry has no cap.
	RequestLimits map[Currency]Money `json:"requestLimits"`
	CreatedAt     time.Time          `json:"createdAt"`
	UpdatedAt     time.Time          `json:"updatedAt"`
}

// MerchantSettings is the input of ConfigureMerchant.
type MerchantSettings struct {
	SigningKey         string                       `json:"signingKey"`         // empty: keep the current one (the newest API key)
	DefaultCountryCode string                       `json:"defaultCountryCode"` // empty: DefaultCountryCode
	RequestLimits      map[Currency]decimal.Decimal `json:"requestLimits"`
}

// DefaultCountryCode is the calling code put before phone numbers without one
// when the merchant has not configured its own: Iceland's, Memento's home.
const DefaultCountryCode = "+354"

// ConfigureMerchant replaces the tenant's merchant settings; an empty
// SigningKey keeps the current one. Returns EINVALID for a malformed country
// code or limit, and ENOTFOUND for an unknown tenant.
func (s *Service) ConfigureMerchant(ctx context.Context, tenantID string, in MerchantSettings) (*Merchant, error) {
	var v Validation
	cc := orDefault(in.DefaultCountryCode, DefaultCountryCode)
	if !validCountryCode(cc) {
		v.Add("defaultCountryCode", "Must be + and a calling code of 1 to 3 digits, like +354.")
	}
	limits := make(map[Currency]Money, len(in.RequestLimits))
	for _, code := range sortedCurrencies(in.RequestLimits) {
		field := "requestLimits." + string(code)
		c, err := parseISOCurrency(field, string(code))
		if err != nil {
			v.Add(field, ErrorMessage(err))
			continue
		}
		m, err := NewPositiveMoney(field, in.RequestLimits[code], c)
		if err != nil {
			v.Add(field, ErrorMessage(err))
			continue
		}
		if _, dup := limits[c]; dup {
			v.Add(field, fmt.Sprintf("%s has more than one limit.", c))
		}
		limits[c] = m
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "merchant.configure", in, func(tx Tx, now time.Time) (*Merchant, error) {
		if _, err := tx.FindTenantByID(ctx, tenantID); err != nil {
			return nil, err
		}
		m := &Merchant{TenantID: tenantID, SigningKey: s.seal(signingKeyPurpose(tenantID), in.SigningKey),
			DefaultCountryCode: cc, RequestLimits: limits, CreatedAt: now, UpdatedAt: now}
		if old, err := tx.FindMerchant(ctx, tenantID); err == nil {
			m.CreatedAt = old.CreatedAt
			if in.SigningKey == "" {
				m.SigningKey = old.SigningKey
			}
		} else if ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
		if err := tx.PutMerchant(ctx, m); err != nil {
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, tenantID, EventMerchantConfigured, tenantID, m); err != nil {
			return nil, err
		}
		return s.openMerchant(m)
	})
}

// FindMerchant returns the tenant's merchant settings, its signing key opened,
// or the defaults (no signing key, no limits, DefaultCountryCode) when they
// were never configured and the tenant has no API key.
func (s *Service) FindMerchant(ctx context.Context, tenantID string) (*Merchant, error) {
	m, err := merchantOf(ctx, s.store, tenantID)
	if err != nil {
		return nil, err
	}
	return s.openMerchant(m)
}

// signingKeyPurpose names a merchant's signing key where it is sealed, so that
// it opens only as that tenant's.
func signingKeyPurpose(tenantID string) string { return "merchant signing key of tenant " + tenantID }

// openMerchant returns a copy of m, as stored, with its signing key opened.
func (s *Service) openMerchant(m *Merchant) (*Merchant, error) {
	key, err := s.open(signingKeyPurpose(m.TenantID), m.SigningKey)
	if err != nil {
		return nil, err
	}
	c := *m
	c.SigningKey = key
	return &c, nil
}

// adoptSigningKey makes secret, an API key the tenant was just given, its
// merchant's signing key, in tx: Memento signs callbacks with the access
// token, and a rotated key signs from then on.
func (s *Service) adoptSigningKey(ctx context.Context, tx Tx, now time.Time, tenantID, secret string) error {
	m, err := merchantOf(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.SigningKey, m.UpdatedAt = s.seal(signingKeyPurpose(tenantID), secret), now
	// No event: the key is in no snapshot, and the creation of an API key
	// records none either.
	return tx.PutMerchant(ctx, m)
}

func merchantOf(ctx context.Context, tx Store, tenantID string) (*Merchant, error) {
	m, err := tx.FindMerchant(ctx, tenantID)
	if ErrorCode(err) == ENOTFOUND {
		return &Merchant{TenantID: tenantID, DefaultCountryCode: DefaultCountryCode, RequestLimits: map[Currency]Money{}}, nil
	}
	return m, err
}

func sortedCurrencies[V any](m map[Currency]V) []Currency {
	cs := make([]Currency, 0, len(m))
	for c := range m {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	return cs
}

// RegisterPayer registers a payer of the tenant, with a username, a phone number
// or both, and, when in.Currency is given, a user account in it holding
// in.Balance (a completed deposit from outside). Returns EINVALID, and
// ECONFLICT when the username or phone number is taken.
func (s *Service) RegisterPayer(ctx context.Context, tenantID string, in PayerCreate) (*Payer, error) {
	return write(ctx, s, tenantID, "payer.register", in, func(tx Tx, now time.Time) (*Payer, error) {
		m, err := merchantOf(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		p := &Payer{ID: newID(), TenantID: tenantID, Merchant: in.Merchant, CreatedAt: now}
		var v Validation
		if in.Username != "" {
			if p.Username = payerUsername(in.Username); p.Username == "" {
				v.Add("username", "Must start with a letter and hold 2 to 32 letters, digits, '.', '_' or '-'.")
			}
		}
		if in.Phone != "" {
			if p.Phone = payerPhone(in.Phone, m.DefaultCountryCode); p.Phone == "" {
				v.Add("phone", "Must be a phone number of 7 to 15 digits, with or without + and its country code.")
			}
		}
		if in.Username == "" && in.Phone == "" {
			v.Add("username", "Give a username, a phone number or both.")
		}
		var c Currency
		if in.Currency != "" {
			if c, err = parseISOCurrency("currency", in.Currency); err != nil {
				v.Add("currency", ErrorMessage(err))
			}
		}
		var balance Money
		switch {
		case in.Balance.IsNegative():
			v.Add("balance", "Must not be negative.")
		case in.Balance.IsZero():
		case in.Currency == "":
			v.Add("currency", "A balance needs a currency.")
		case c != "":
			if balance, err = NewPositiveMoney("balance", in.Balance, c); err != nil {
				v.Add("balance", ErrorMessage(err))
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if err := checkPayerFree(ctx, tx, p); err != nil {
			return nil, err
		}
		if err := tx.CreatePayer(ctx, p); err != nil {
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, tenantID, EventPayerRegistered, p.ID, p); err != nil {
			return nil, err
		}
		if c == "" {
			return p, nil
		}
		a, err := s.openPayerAccount(ctx, tx, now, p, c)
		if err != nil || balance.Amount.IsZero() {
			return p, err
		}
		pay, err := s.createPayment(ctx, tx, now, tenantID, &Payment{Type: PaymentTypeDeposit, Status: PaymentStatusProcessing,
			Amount: balance, Source: Party{ExternalStorage: "sandbox"}, Destination: partyOf(a), SubmittedAt: &now}, a, true)
		if err != nil {
			return nil, err
		}
		return p, s.settlePayment(ctx, tx, now, pay, PaymentStatusCompleted, "")
	})
}

// checkPayerFree returns ECONFLICT naming the field when p's username or phone
// number belongs to another payer of the tenant.
func checkPayerFree(ctx context.Context, tx Tx, p *Payer) error {
	for _, f := range []struct {
		field, value, msg string
		find              func(context.Context, string, string) (*Payer, error)
	}{
		{"username", p.Username, "This username is taken.", tx.FindPayerByUsername},
		{"phone", p.Phone, "This phone number is taken.", tx.FindPayerByPhone},
	} {
		if f.value == "" {
			continue
		}
		_, err := f.find(ctx, p.TenantID, f.value)
		if err == nil {
			return &Error{Code: ECONFLICT, Message: f.msg, Fields: map[string]string{f.field: f.msg}}
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
	}
	return nil
}

// openPayerAccount opens p's user account in currency c.
func (s *Service) openPayerAccount(ctx context.Context, tx Tx, now time.Time, p *Payer, c Currency) (*Account, error) {
	a := &Account{ID: newID(), TenantID: p.TenantID, Kind: AccountKindUser, Currency: c, Name: "Payer " + orDefault(p.Username, p.Phone),
		UserIdentityID: p.ID, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, s.appendEvent(ctx, tx, now, p.TenantID, EventAccountCreated, a.ID, a)
}

// payerAccount returns the payer's user account in currency c. Returns
// ENOTFOUND when the payer has none.
func payerAccount(ctx context.Context, tx Store, tenantID, payerID string, c Currency) (*Account, error) {
	kind := AccountKindUser
	as, err := tx.FindAccounts(ctx, tenantID, AccountFilter{UserIdentityID: &payerID, Currency: &c, Kind: &kind, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, Errorf(ENOTFOUND, "The payer has no %s account.", c)
	}
	return as[0], nil
}

// FindPayerByID returns one of the tenant's payers. Returns ENOTFOUND.
func (s *Service) FindPayerByID(ctx context.Context, tenantID, id string) (*Payer, error) {
	return s.store.FindPayerByID(ctx, tenantID, id)
}

// FindPayerAccount returns the payer's account in currency c, whose balance
// pays the payer's requests. Returns ENOTFOUND.
func (s *Service) FindPayerAccount(ctx context.Context, tenantID, payerID string, c Currency) (*Account, error) {
	return payerAccount(ctx, s.store, tenantID, payerID, c)
}

// findRecipient returns the payer a request's recipient names, and the
// recipient as normalized: a username when it starts with a letter (after an
// optional "@"), matched case-insensitively; otherwise a phone number, in
// E.164 with defaultCC put before a number without a country code.
// Returns ENOTFOUND when no payer matches, and EFORBIDDEN when the payer is a
// merchant, both on the field "recipient" so that a dialect can tell them
// from other errors of those codes (Memento gives them codes of their own);
// being in the error's code and fields, that survives an idempotent replay.
func findRecipient(ctx context.Context, tx Store, tenantID, recipient, defaultCC string) (*Payer, string, error) {
	recipient = strings.TrimSpace(recipient)
	var (
		key string
		p   *Payer
		err error
	)
	if name := strings.TrimPrefix(recipient, "@"); name != "" && isASCIILetter(name[0]) {
		if key = payerUsername(name); key != "" {
			p, err = tx.FindPayerByUsername(ctx, tenantID, key)
		}
	} else if key = payerPhone(recipient, defaultCC); key != "" {
		p, err = tx.FindPayerByPhone(ctx, tenantID, key)
	}
	switch {
	case key == "" || ErrorCode(err) == ENOTFOUND:
		msg := "Recipient not found."
		return nil, "", &Error{Code: ENOTFOUND, Message: msg, Fields: map[string]string{"recipient": msg}}
	case err != nil:
		return nil, "", err
	case p.Merchant:
		msg := "A merchant cannot be the recipient."
		return nil, "", &Error{Code: EFORBIDDEN, Message: msg, Fields: map[string]string{"recipient": msg}}
	}
	return p, key, nil
}

// payerUsername returns s in lower case when it is a valid username (a
// letter, then letters, digits, '.', '_' or '-', 2 to 32 in all), else "".
// Starting with a letter, a username can never be mistaken for a phone number.
func payerUsername(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 2 || len(s) > 32 || !isASCIILetter(s[0]) {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return ""
		}
	}
	return s
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// nationalLengths are the calling codes whose every national number has the
// same length (the digits after the country code), by that length: the North
// American Numbering Plan's 10 (415 555 1212), Iceland's 7, and a few more.
// Only for these can digits without "+" be told apart as national or as
// already carrying the country code (see payerPhone); the lengths of other
// countries vary, so their digits are always national.
var nationalLengths = map[string]int{
	"1":   10, // NANP: the United States, Canada and the Caribbean
	"354": 7,  // Iceland, Memento's home
	"45":  8,  // Denmark
	"47":  8,  // Norway
	"65":  8,  // Singapore
	"852": 8,  // Hong Kong
}

// payerPhone returns s as an E.164 number ("+" and 7 to 15 digits, the
// first not 0), or "" when it cannot be one. Spaces, dashes, dots and
// parentheses are dropped. A number starting with "+" or the international
// prefix "00" carries its own country code. Other digits are a national number
// and get defaultCC, after dropping one leading trunk "0" (070-123 45 67 in
// Sweden is +46701234567), except when they already start with defaultCC's
// digits and have the length of defaultCC and a full national number of a
// country of nationalLengths: with +1, both 4155551212 and 14155551212 (as
// North Americans dial it, the 1 being also their trunk prefix) are
// +14155551212. For those countries one length is national and the other
// international, so the two readings never compete.
func payerPhone(s, defaultCC string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(strings.TrimSpace(s), "+"):
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	default:
		cc := strings.TrimPrefix(defaultCC, "+")
		if n, ok := nationalLengths[cc]; ok && len(d) == len(cc)+n && strings.HasPrefix(d, cc) {
			break // the country code is there already
		}
		d = cc + strings.TrimPrefix(d, "0")
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return ""
	}
	return "+" + d
}

// validCountryCode reports whether cc is "+" and 1 to 3 digits, the first not 0.
func validCountryCode(cc string) bool {
	if len(cc) < 2 || len(cc) > 4 || cc[0] != '+' || cc[1] == '0' {
		return false
	}
	for _, r := range cc[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
