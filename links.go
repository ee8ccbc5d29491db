package paykit

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
)

// Links are the URLs the APIs hand out for a person to open: the payee's
// wallet link of a token, the payer's link of a payment request, an employee's
// invitation (magic) link, the payer's widget of a web3 payment, beside the
// invoice app links (invoices.go) and gigstack's payment links. Each kind has a
// base URL a host sets where it serves the page (the pages package serves them
// all); a kind without a base gets no link ("" and the dialect leaves it out),
// except the wallet link, which is GigPay's own (WithWalletEnv) by default.
//
// A link is a capability: whoever holds it may act on what it names. Tokens,
// invoices and web3 payments have a secret of their own, stored with them;
// requests and employees have none, so their links carry a MAC of the tenant
// and the id under the link key (WithLinkKey), checked in constant time. The
// tenant is in every link that names a noun by an id unique per tenant only, so
// a page finds it with one lookup.

// linkConfig holds the links' base URLs and key.
type linkConfig struct {
	wallet    string // WithWalletURL; "": GigPay's wallet host
	requests  string // WithRequestURL
	employees string // WithEmployeeURL
	widgets   string // WithWidgetURL
	charges   string // WithPaymentLinkURL
	key       []byte // WithLinkKey
	sealed    []byte // derived from the sealing key (WithSealingKey), when no WithLinkKey
}

// WithWalletURL sets the base URL of the pages where payees claim tokens: a
// token's wallet link becomes <base>/<tenant>/payment/<token> instead of
// GigPay's wallet host (WithWalletEnv), which it takes precedence over.
func WithWalletURL(base string) Option {
	return func(s *Service) { s.links.wallet = strings.TrimRight(base, "/") }
}

// WithRequestURL sets the base URL of the pages where payers pay or decline
// payment requests: a request's link is <base>/<tenant>/<id>?token=<mac>.
// Without it requests have no link.
func WithRequestURL(base string) Option {
	return func(s *Service) { s.links.requests = strings.TrimRight(base, "/") }
}

// WithEmployeeURL sets the base URL of the app where employees claim their
// invitation: an employee's link is <base>/e/<tenant>/<uid>/?token=<mac>, named
// by the employee's surrogate key so that it survives a change of id. Without
// it employees have no link.
func WithEmployeeURL(base string) Option {
	return func(s *Service) { s.links.employees = strings.TrimRight(base, "/") }
}

// WithWidgetURL sets the base URL of the payer's widget page of web3
// payments: a payment's widget link is <base>/<id>?token=<access token>.
// Without it web3 payments have no widget link.
func WithWidgetURL(base string) Option {
	return func(s *Service) { s.links.widgets = strings.TrimRight(base, "/") }
}

// WithPaymentLinkURL sets the base URL of the hosted pages of charges'
// payment links (gigstack's shortURL): a charge's link is
// <base>/pay/<link token>. Without it the dialect makes the link from the
// URL its request came to.
func WithPaymentLinkURL(base string) Option {
	return func(s *Service) { s.links.charges = strings.TrimRight(base, "/") }
}

// PaymentLinkURL returns the base URL of payment links (WithPaymentLinkURL),
// or "" when the dialect makes them.
func (s *Service) PaymentLinkURL() string { return s.links.charges }

// WithLinkKey sets the key (at least 32 random bytes) that signs the links of
// requests and employees. It must stay the same for as long as the links
// handed out should open, and be the same in every process of one database.
// Without it the key is derived from the sealing key (WithSealingKey), and
// without either it is drawn at random when the Service is made, so links die
// with the process.
func WithLinkKey(key []byte) Option {
	return func(s *Service) { s.links.key = append([]byte(nil), key...) }
}

// initLinks settles the link key once every option is applied.
func (s *Service) initLinks() {
	switch {
	case len(s.links.key) > 0:
	case len(s.links.sealed) > 0:
		s.links.key = s.links.sealed
	default:
		s.links.key = make([]byte, 32)
		if _, err := rand.Read(s.links.key); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if s.links.requests != "" || s.links.employees != "" {
			s.log.Warn("paykit: no link key (WithLinkKey or WithSealingKey): request and employee links open only while this process runs")
		}
	}
	s.links.sealed = nil
}

// deriveKey returns a key for purpose derived from key, so that one secret
// serves two uses without one use's outputs telling anything of the other's.
func deriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// linkMAC is the capability of a link to a noun without a secret of its own:
// a MAC of its kind, tenant and id, 128 bits in base64url.
func (s *Service) linkMAC(kind, tenantID, id string) string {
	m := hmac.New(sha256.New, s.links.key)
	m.Write([]byte("paykit link v1\x00" + kind + "\x00" + tenantID + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// checkLinkMAC reports whether token is the capability of the link.
func (s *Service) checkLinkMAC(kind, tenantID, id, token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.linkMAC(kind, tenantID, id))) == 1
}

// RequestLink returns the payer's link of r (WithRequestURL), or "".
func (s *Service) RequestLink(r *Request) string {
	if s.links.requests == "" {
		return ""
	}
	return s.links.requests + "/" + url.PathEscape(r.TenantID) + "/" + url.PathEscape(r.ID) + "?token=" +
		s.linkMAC("request", r.TenantID, r.ID)
}

// FindRequestByLink returns the request of a link (RequestLink), as it stands
// now. Returns ENOTFOUND, for a wrong token as for a missing request, so that
// a link tells nothing of what it does not open.
func (s *Service) FindRequestByLink(ctx context.Context, tenantID, id, token string) (*Request, error) {
	if !s.checkLinkMAC("request", tenantID, id, token) {
		return nil, Errorf(ENOTFOUND, "Payment request not found.")
	}
	return s.FindRequestByID(ctx, tenantID, id)
}

// EmployeeLink returns the invitation link of e (WithEmployeeURL), or "".
func (s *Service) EmployeeLink(e *Employee) string {
	if s.links.employees == "" {
		return ""
	}
	return s.links.employees + "/e/" + url.PathEscape(e.TenantID) + "/" + url.PathEscape(e.UID) + "/?token=" +
		s.linkMAC("employee", e.TenantID, e.UID)
}

// FindEmployeeByLink returns the employee of an invitation link
// (EmployeeLink), by its surrogate key. Returns ENOTFOUND, for a wrong token
// as for a missing employee.
func (s *Service) FindEmployeeByLink(ctx context.Context, tenantID, uid, token string) (*Employee, error) {
	if !s.checkLinkMAC("employee", tenantID, uid, token) {
		return nil, Errorf(ENOTFOUND, "Employee not found.")
	}
	return s.store.FindEmployeeByUID(ctx, tenantID, uid)
}

// WidgetLink returns the widget link of p (WithWidgetURL), or "". p must carry
// its AccessToken, as a payment the Service returns does.
func (s *Service) WidgetLink(p *Web3Payment) string {
	if s.links.widgets == "" || p.AccessToken == "" {
		return ""
	}
	return s.links.widgets + "/" + url.PathEscape(p.ID) + "?token=" + url.QueryEscape(p.AccessToken)
}

// FindInvoiceByLink returns the invoice of an app link (<base>/i/<id>/?token=),
// in whichever integration has it: the link names the invoice by its client
// id, unique per integration only, so each integration is asked in turn (a
// host has a few). Returns ENOTFOUND, for a wrong token as for a missing
// invoice.
func (s *Service) FindInvoiceByLink(ctx context.Context, id, token string) (*Invoice, error) {
	notFound := Errorf(ENOTFOUND, "Invoice not found.")
	if token == "" {
		return nil, notFound
	}
	for offset := 0; ; offset += MaxLimit {
		integs, _, err := s.FindIntegrations(ctx, IntegrationFilter{ListPage: ListPage{Offset: offset, Limit: MaxLimit}})
		if err != nil {
			return nil, err
		}
		for _, integ := range integs {
			inv, err := s.store.FindInvoiceByID(ctx, integ.TenantID, id)
			if ErrorCode(err) == ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			if subtle.ConstantTimeCompare([]byte(inv.Token), []byte(token)) == 1 {
				return inv, nil
			}
		}
		if len(integs) < MaxLimit {
			return nil, notFound
		}
	}
}
