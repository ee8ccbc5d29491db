package httpapi

import (
	"net/http"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// NewMementoSandbox returns the sandbox controls of the Memento dialect, which
// play the payers' part, with Memento's auth, shapes and errors (always HTTP
// 200). Mount it only where such control is wanted: it pays requests at the
// caller's word.
//
//	POST /users                   {"username"?,"phone"?,"currency"?,"balance"?,"merchant"?}: register a payer of the
//	                              merchant, with an account in currency funded with balance
//	                              → {"success":true,"id","username","phone","merchant","currency"?,"balance"?}
//	POST /requests/{id}/pay       the recipient pays → {"success":true, ...request}
//	POST /requests/{id}/decline   the recipient declines → {"success":true, ...request}
//	POST /merchant                {"signing_key"?,"default_country_code"?,"request_limits"?:{"USD":500}}: replace the
//	                              merchant's settings (without signing_key, the key stays the newest API key)
//	                              → {"success":true,"default_country_code","request_limits"}
//	POST /run-due                 perform all work due by the clock now (expiries, callbacks) → {"success":true}
//
// A payer whose balance is too low gets 301 payment_exceeds_limits, and the
// request stays pending.
func NewMementoSandbox(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(mementoScheme) // its payments and declines send callbacks
	s := &mementoSandbox{svc: svc}
	rt := newRouter(basicAuth(svc), writeMementoError)
	rt.handle("POST /users", s.registerPayer)
	rt.handle("POST /requests/{id}/pay", s.payRequest)
	rt.handle("POST /requests/{id}/decline", s.declineRequest)
	rt.handle("POST /merchant", s.configureMerchant)
	rt.handle("POST /run-due", s.runDue)
	return rt
}

type mementoSandbox struct {
	svc *paykit.Service
}

type mementoPayerCreate struct {
	Username string     `json:"username"`
	Phone    string     `json:"phone"`
	Currency string     `json:"currency"`
	Balance  jsonNumber `json:"balance"`
	Merchant bool       `json:"merchant"`
}

type mementoPayer struct {
	Success  bool        `json:"success"`
	ID       string      `json:"id"`
	Username string      `json:"username"`
	Phone    string      `json:"phone"`
	Merchant bool        `json:"merchant"`
	Currency string      `json:"currency,omitempty"`
	Balance  *jsonNumber `json:"balance,omitempty"`
}

func (s *mementoSandbox) registerPayer(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in mementoPayerCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	p, err := s.svc.RegisterPayer(r.Context(), t.ID, paykit.PayerCreate{Username: in.Username, Phone: in.Phone,
		Merchant: in.Merchant, Currency: in.Currency, Balance: in.Balance.Decimal})
	if err != nil {
		return err
	}
	out := mementoPayer{Success: true, ID: p.ID, Username: p.Username, Phone: p.Phone, Merchant: p.Merchant}
	if in.Currency != "" {
		c, _ := paykit.ParseCurrency("currency", in.Currency)
		a, err := s.svc.FindPayerAccount(r.Context(), t.ID, p.ID, c)
		if err != nil {
			return err
		}
		out.Currency, out.Balance = string(a.Currency), &jsonNumber{a.Available().Amount}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// mementoRequestResult is a request as a sandbox action left it.
type mementoRequestResult struct {
	Success bool `json:"success"`
	mementoRequest
}

func (s *mementoSandbox) payRequest(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	req, err := s.svc.PayRequest(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mementoRequestResult{true, mementoRequestOf(req)})
	return nil
}

func (s *mementoSandbox) declineRequest(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	req, err := s.svc.DeclineRequest(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mementoRequestResult{true, mementoRequestOf(req)})
	return nil
}

type mementoMerchantSettings struct {
	SigningKey         string                         `json:"signing_key"`
	DefaultCountryCode string                         `json:"default_country_code"`
	RequestLimits      map[paykit.Currency]jsonNumber `json:"request_limits"`
}

func (s *mementoSandbox) configureMerchant(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in mementoMerchantSettings
	if err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	limits := make(map[paykit.Currency]decimal.Decimal, len(in.RequestLimits))
	for c, l := range in.RequestLimits {
		limits[c] = l.Decimal
	}
	m, err := s.svc.ConfigureMerchant(r.Context(), t.ID, paykit.MerchantSettings{SigningKey: in.SigningKey,
		DefaultCountryCode: in.DefaultCountryCode, RequestLimits: limits})
	if err != nil {
		return err // writeMementoError names the fields as the wire does
	}
	out := struct {
		Success            bool                           `json:"success"`
		DefaultCountryCode string                         `json:"default_country_code"`
		RequestLimits      map[paykit.Currency]jsonNumber `json:"request_limits"`
	}{true, m.DefaultCountryCode, map[paykit.Currency]jsonNumber{}}
	for c, l := range m.RequestLimits {
		out.RequestLimits[c] = jsonNumber{l.Amount}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *mementoSandbox) runDue(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	if err := s.svc.RunDue(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
	}{true})
	return nil
}
