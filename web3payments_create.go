package paykit

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The creation of web3 payments: its input, its checks and CreateWeb3Payment.

// Web3PaymentCreate is the input of CreateWeb3Payment. Its JSON names name
// its validation errors ("paidPrice", "items[2].price", "member.email"); the
// RudiqPay dialect renames them.
type Web3PaymentCreate struct {
	ExternalID     string                  `json:"externalId"`
	NodeID         string                  `json:"nodeId"`
	ChainID        string                  `json:"chainId"` // optional UUID, recorded as given
	NetworkID      string                  `json:"networkId"`
	WalletID       string                  `json:"walletId"` // optional UUID
	MemberID       string                  `json:"memberId"` // optional UUID
	Member         map[string]string       `json:"member"`
	CurrencyID     string                  `json:"currencyId"`
	Price          *decimal.Decimal        `json:"price"`
	PaidPrice      *decimal.Decimal        `json:"paidPrice"`
	Method         string                  `json:"method"` // a Web3PaymentMethod, in any case
	Group          string                  `json:"group"`  // a Web3PaymentGroup, in any case
	PaymentAddress string                  `json:"paymentAddress"`
	Items          []Web3PaymentItemCreate `json:"items"`
	Metadata       string                  `json:"metadata"`
	ExpiresAt      time.Time               `json:"expiresAt"`
	Retry          bool                    `json:"retry"`
	RetryCount     int                     `json:"retryCount"`
	ClientIP       string                  `json:"clientIp"` // optional IPv4
}

// Web3PaymentItemCreate is one item of Web3PaymentCreate.
type Web3PaymentItemCreate struct {
	Name       string           `json:"name"`
	Price      *decimal.Decimal `json:"price"`
	ExternalID string           `json:"externalId"`
}

// Bounds of a web3 payment's input.
const (
	minPaymentAddress  = 10
	maxWeb3Text        = 255 // external ids, names, addresses
	maxWeb3Items       = 100
	maxWeb3MemberKeys  = 32
	maxWeb3Metadata    = 16 << 10
	maxWeb3RetryCount  = 1000
	web3AccessTokenLen = 43 // characters after "at_": 256 bits
)

// parseWeb3Enum returns the value of values s names, in any case.
func parseWeb3Enum[E ~string](s string, values []E) (E, bool) {
	for _, v := range values {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

func enumNames[E ~string](values []E) string {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// checkWeb3PaymentInput validates what needs no lookup: required fields,
// enums, identifiers, the address, the expiry (at now), the IP and the shape
// of member, items and metadata.
func checkWeb3PaymentInput(in *Web3PaymentCreate, now time.Time) (Web3PaymentMethod, Web3PaymentGroup, error) {
	var v Validation
	required := func(field, s string) bool {
		if strings.TrimSpace(s) == "" {
			v.Add(field, msgRequired)
			return false
		}
		return true
	}
	if required("externalId", in.ExternalID) && utf8.RuneCountInString(in.ExternalID) > maxWeb3Text {
		v.Add("externalId", fmt.Sprintf("At most %d characters.", maxWeb3Text))
	}
	for _, f := range []struct {
		field, value string
		required     bool
	}{
		{"nodeId", in.NodeID, true}, {"networkId", in.NetworkID, true}, {"currencyId", in.CurrencyID, true},
		{"chainId", in.ChainID, false}, {"walletId", in.WalletID, false}, {"memberId", in.MemberID, false},
	} {
		if f.value == "" {
			if f.required {
				v.Add(f.field, msgRequired)
			}
		} else if !isUUID(f.value) {
			v.Add(f.field, msgUUID)
		}
	}
	for _, p := range []struct {
		field string
		value *decimal.Decimal
	}{{"price", in.Price}, {"paidPrice", in.PaidPrice}} {
		if p.value == nil {
			v.Add(p.field, msgRequired)
		} else if !p.value.IsPositive() {
			v.Add(p.field, "Must be greater than zero.")
		}
	}
	method, ok := parseWeb3Enum(in.Method, web3PaymentMethods)
	if in.Method == "" {
		v.Add("method", msgRequired)
	} else if !ok {
		v.Add("method", "Must be one of "+enumNames(web3PaymentMethods)+".")
	}
	group, ok := parseWeb3Enum(in.Group, web3PaymentGroups)
	if in.Group == "" {
		v.Add("group", msgRequired)
	} else if !ok {
		v.Add("group", "Must be one of "+enumNames(web3PaymentGroups)+".")
	}
	switch n := utf8.RuneCountInString(in.PaymentAddress); {
	case strings.TrimSpace(in.PaymentAddress) == "":
		v.Add("paymentAddress", msgRequired)
	case n < minPaymentAddress:
		v.Add("paymentAddress", fmt.Sprintf("At least %d characters.", minPaymentAddress))
	case n > maxWeb3Text:
		v.Add("paymentAddress", fmt.Sprintf("At most %d characters.", maxWeb3Text))
	case method == Web3PaymentMethodWeb3 && (!IsChainAddress(in.PaymentAddress) || isZeroAddress(in.PaymentAddress)):
		v.Add("paymentAddress", "A web3 payment is paid to a chain address: "+msgChainAddress)
	}
	switch {
	case in.ExpiresAt.IsZero():
		v.Add("expiresAt", msgRequired)
	case !in.ExpiresAt.After(now):
		v.Add("expiresAt", "Must be in the future.")
	case in.ExpiresAt.Year() > 9999:
		v.Add("expiresAt", "Must be before the year 10000.")
	}
	if in.ClientIP != "" {
		if ip, err := netip.ParseAddr(in.ClientIP); err != nil || !ip.Is4() {
			v.Add("clientIp", "Must be an IPv4 address like 203.0.113.7.")
		}
	}
	if in.RetryCount < 0 || in.RetryCount > maxWeb3RetryCount {
		v.Add("retryCount", fmt.Sprintf("Must be from 0 to %d.", maxWeb3RetryCount))
	}
	if len(in.Metadata) > maxWeb3Metadata {
		v.Add("metadata", "Metadata is at most 16 KiB.")
	}
	if len(in.Member) > maxWeb3MemberKeys {
		v.Add("member", fmt.Sprintf("At most %d fields.", maxWeb3MemberKeys))
	}
	for k, val := range in.Member {
		field := "member." + k
		switch {
		case k == "" || utf8.RuneCountInString(k) > 64:
			v.Add("member", "Field names have 1 to 64 characters.")
		case utf8.RuneCountInString(val) > maxWeb3Text:
			v.Add(field, fmt.Sprintf("At most %d characters.", maxWeb3Text))
		case k == "email" && val != "" && !looksLikeEmail(val):
			v.Add(field, "Must be an email address.")
		}
	}
	if len(in.Items) > maxWeb3Items {
		v.Add("items", fmt.Sprintf("At most %d items.", maxWeb3Items))
	}
	for i, it := range in.Items {
		at := fmt.Sprintf("items[%d].", i)
		if required(at+"name", it.Name) && utf8.RuneCountInString(it.Name) > maxWeb3Text {
			v.Add(at+"name", fmt.Sprintf("At most %d characters.", maxWeb3Text))
		}
		if it.Price == nil {
			v.Add(at+"price", msgRequired)
		} else if it.Price.IsNegative() {
			v.Add(at+"price", "Must not be negative.")
		}
		if utf8.RuneCountInString(it.ExternalID) > maxWeb3Text {
			v.Add(at+"externalId", fmt.Sprintf("At most %d characters.", maxWeb3Text))
		}
	}
	return method, group, v.Err()
}

// looksLikeEmail is the loose check of an address: something, @, a domain
// with a dot.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t\r\n") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// CreateWeb3Payment creates a pending payment of the node in.NodeID, which a
// must reach. A web3 payment gets its deal id now, and background work (RunDue)
// opens the deal on the network's contract. The payment comes back with its
// AccessToken for the widget. Returns EINVALID naming the fields, ENOTFOUND
// naming "nodeId", "networkId" or "currencyId" for an unknown node, network or
// currency, EFORBIDDEN when a cannot reach the node, and ECONFLICT naming
// "externalId" when the node has a payment with that external id.
func (s *Service) CreateWeb3Payment(ctx context.Context, a NodeAccess, in Web3PaymentCreate) (*Web3Payment, error) {
	p, err := write(ctx, s, a.TenantID, "web3payment.create", in, func(tx Tx, now time.Time) (*Web3Payment, error) {
		method, group, err := checkWeb3PaymentInput(&in, now)
		if err != nil {
			return nil, err
		}
		if err := reach(ctx, tx, a, "nodeId", in.NodeID); err != nil {
			return nil, err
		}
		network, err := tx.FindNetworkByID(ctx, in.NetworkID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, &Error{Code: ENOTFOUND, Message: "Network not found.", Fields: map[string]string{"networkId": "Network not found."}}
		} else if err != nil {
			return nil, err
		}
		cur, err := tx.FindChainCurrencyByID(ctx, in.CurrencyID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, &Error{Code: ENOTFOUND, Message: "Currency not found.", Fields: map[string]string{"currencyId": "Currency not found."}}
		} else if err != nil {
			return nil, err
		}
		p, err := newWeb3Payment(in, method, group, cur)
		if err != nil {
			return nil, err
		}
		p.ID, p.TenantID, p.CreatedAt, p.UpdatedAt = newID(), a.TenantID, now, now
		if method == Web3PaymentMethodWeb3 {
			c, _, err := s.chainOf(ctx, tx, network)
			if err != nil {
				return nil, err
			}
			if p.DealID, err = tx.TakeDealID(ctx, c.ID); err != nil {
				return nil, err
			}
			if p.DealID > MaxSafeDealID {
				return nil, fmt.Errorf("contract %s: deal ids are used up to %d", c.ID, MaxSafeDealID)
			}
			p.ContractID = c.ID
		}
		token := "at_" + randomString(web3AccessTokenLen)
		h := sha256.Sum256([]byte(token))
		p.AccessTokenHash, p.AccessTokenSealed = h[:], s.seal(accessTokenPurpose(p), token)
		if err := tx.CreateWeb3Payment(ctx, p); err != nil {
			return nil, err
		}
		return p, s.appendEvent(ctx, tx, now, a.TenantID, EventWeb3PaymentCreated, p.ID, p)
	})
	if err != nil {
		return nil, err
	}
	// A replayed result (an Idempotency-Key) has no token: it is never in
	// JSON. Read it back as stored.
	return s.withAccessToken(ctx, p)
}

// newWeb3Payment returns the pending payment in describes, its amounts checked
// against the currency cur.
func newWeb3Payment(in Web3PaymentCreate, method Web3PaymentMethod, group Web3PaymentGroup, cur *ChainCurrency) (*Web3Payment, error) {
	var v Validation
	if cur.NetworkID != in.NetworkID {
		v.Add("currencyId", fmt.Sprintf("Currency %s is not on network %s.", cur.ID, in.NetworkID))
	}
	money := func(field string, d decimal.Decimal) Money {
		m, err := NewMoney(field, d, cur.Symbol)
		if err != nil {
			v.Add(field, fmt.Sprintf("%s has %d decimals: %s", cur.Symbol, cur.Decimals, ErrorMessage(err)))
		}
		return m
	}
	p := &Web3Payment{NodeID: in.NodeID, ExternalID: in.ExternalID, ChainID: in.ChainID, NetworkID: in.NetworkID,
		WalletID: in.WalletID, MemberID: in.MemberID, Member: in.Member, CurrencyID: in.CurrencyID,
		Price: money("price", *in.Price), PaidPrice: money("paidPrice", *in.PaidPrice), Method: method, Group: group,
		PaymentAddress: in.PaymentAddress, Items: make([]Web3PaymentItem, len(in.Items)), Metadata: in.Metadata,
		ExpiresAt: in.ExpiresAt.UTC().Truncate(time.Microsecond), Retry: in.Retry, RetryCount: in.RetryCount,
		ClientIP: in.ClientIP, Status: Web3PaymentStatusPending}
	for i, it := range in.Items {
		p.Items[i] = Web3PaymentItem{Name: it.Name, Price: money(fmt.Sprintf("items[%d].price", i), *it.Price), ExternalID: it.ExternalID}
	}
	return p, v.Err()
}
