package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/paykit/paykit"
)

// NewGigPay returns the GigPay dialect: payment tokens, payments, accounts,
// deposits and withdrawals, with routes relative to the API base URL (see the
// package doc for the route reference).
func NewGigPay(svc *paykit.Service) http.Handler {
	g := &gigPay{svc: svc}
	rt := newRouter(bearerAuth(svc), gigPayErrorWriter(svc))
	rt.handle("POST /api/v1/payment-tokens", g.createToken)
	rt.handle("POST /api/v1/payment-tokens/batch", g.createTokens)
	rt.handle("GET /api/v1/payment-tokens/{token}", g.findToken)
	rt.handle("POST /api/v1/payment-tokens/{token}/accept", g.acceptToken)
	rt.handle("POST /api/v1/payment-tokens/{token}/reject", g.rejectToken)
	rt.handle("GET /api/v1/payments", g.findPayments)
	rt.handle("GET /api/v1/payments/{paymentId}", g.findPayment)
	rt.handle("POST /api/v1/accounts", g.createAccount)
	rt.handle("GET /api/v1/accounts/{id}", g.findAccount)
	rt.handle("POST /api/v1/deposits", g.createDeposit)
	rt.handle("POST /api/v1/withdrawals", g.createWithdrawal)
	return rt
}

type gigPay struct {
	svc *paykit.Service
}

// gigPayTypes are the payments GigPay shows: a tenant's charges (another
// dialect's payments) are not among them.
var gigPayTypes = []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}

// gigPayErrorWriter returns the GigPay dialect's one error writer: err as
// {"error":{"code","message","fields"}}, with Retry-After on a 429 or 503 (by
// svc's Clock). Internal errors say only "Internal error.".
func gigPayErrorWriter(svc *paykit.Service) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		status := errorStatus(err)
		setRetryAfter(w, r, svc, status, err)
		writeGigPayError(w, status, err)
	}
}

func writeGigPayError(w http.ResponseWriter, status int, err error) {
	body := gigPayErrorBody{Code: paykit.ErrorCode(err), Message: gigPayMessage(paykit.ErrorMessage(err))}
	if fs := paykit.ErrorFields(err); len(fs) > 0 {
		body.Fields = make(map[string]string, len(fs))
		for k, m := range fs {
			body.Fields[k] = gigPayMessage(m)
		}
	}
	if status == http.StatusInternalServerError {
		body = gigPayErrorBody{Code: paykit.EINTERNAL, Message: "Internal error."}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gigpay"`)
	}
	writeJSON(w, status, struct {
		Error gigPayErrorBody `json:"error"`
	}{body})
}

// GigPay's small table of words: where the root's field names and sentences
// differ from what GigPay's wire has always said, GigPay's.

// gigPayFields renames the root's field names, segment by segment of a dotted
// path ("[2].expiresAt" is "[2].expiresAtUtc"). Names not in it are the same
// on the wire. Only the Service's errors pass through it (gigPayErr): a
// decoding error already names the wire's field.
var gigPayFields = map[string]string{
	"expiresAt": "expiresAtUtc", // a token's
	"currency":  "assetType",    // an account's
}

// gigPayMessages rewrites the root's messages.
var gigPayMessages = map[string]string{
	"A value is required.": "This field is required.",
}

// gigPayErr returns err, an error of the Service, with its field names in
// GigPay's words.
func gigPayErr(err error) error {
	return renameFields(err, func(f string) string {
		parts := strings.Split(f, ".")
		for i, p := range parts {
			if w, ok := gigPayFields[p]; ok {
				parts[i] = w
			}
		}
		return strings.Join(parts, ".")
	})
}

func gigPayMessage(msg string) string {
	if w, ok := gigPayMessages[msg]; ok {
		return w
	}
	return msg
}

type gigPayErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// Requests.

type gigPayTokenCreate struct {
	AssetType       string      `json:"assetType"`
	SourceAccountID string      `json:"sourceAccountId"`
	Amount          jsonNumber  `json:"amount"`
	ExpiresAtUTC    *millisTime `json:"expiresAtUtc"`
	Memo            string      `json:"memo"`
}

func (c gigPayTokenCreate) domain() paykit.TokenCreate {
	return paykit.TokenCreate{AssetType: c.AssetType, SourceAccountID: c.SourceAccountID,
		Amount: c.Amount.Decimal, ExpiresAt: c.ExpiresAtUTC.ptr(), Memo: c.Memo}
}

type gigPayAccountCreate struct {
	ID                string `json:"id"`
	AssetType         string `json:"assetType"`
	Name              string `json:"name"`
	BusinessAccountID string `json:"businessAccountId"`
	UserIdentityID    string `json:"userIdentityId"`
}

type gigPayDepositCreate struct {
	DestinationAccountID string     `json:"destinationAccountId"`
	Amount               jsonNumber `json:"amount"`
	AssetType            string     `json:"assetType"`
	ExternalStorage      string     `json:"externalStorage"`
}

func (c gigPayDepositCreate) domain() paykit.DepositCreate {
	return paykit.DepositCreate{DestinationAccountID: c.DestinationAccountID, Amount: c.Amount.Decimal,
		AssetType: c.AssetType, ExternalStorage: c.ExternalStorage}
}

type gigPayWithdrawalCreate struct {
	SourceAccountID string     `json:"sourceAccountId"`
	Amount          jsonNumber `json:"amount"`
	AssetType       string     `json:"assetType"`
	ExternalStorage string     `json:"externalStorage"`
}

// Responses.

type gigPayToken struct {
	PaymentTokenID  string             `json:"paymentTokenId"`
	Token           string             `json:"token"`
	Link            string             `json:"link"`
	AssetType       string             `json:"assetType"`
	Amount          jsonNumber         `json:"amount"`
	SourceAccountID string             `json:"sourceAccountId"`
	Memo            *string            `json:"memo"`
	Status          paykit.TokenStatus `json:"status"`
	ExpiresAtUTC    millisTime         `json:"expiresAtUtc"`
	CreatedAtUTC    millisTime         `json:"createdAtUtc"`
	ModifiedAtUTC   millisTime         `json:"modifiedAtUtc"`
	PaymentID       *string            `json:"paymentId"`
	AcceptedAtUTC   *millisTime        `json:"acceptedAtUtc"`
}

func (g *gigPay) token(t *paykit.Token) gigPayToken {
	return gigPayToken{
		PaymentTokenID: t.ID, Token: t.Token, Link: g.svc.WalletLink(t), AssetType: assetType(t.Amount.Currency),
		Amount: jsonNumber{t.Amount.Amount}, SourceAccountID: t.SourceAccountID, Memo: nullable(t.Memo), Status: t.Status,
		ExpiresAtUTC: millisTime{t.ExpiresAt}, CreatedAtUTC: millisTime{t.CreatedAt}, ModifiedAtUTC: millisTime{t.UpdatedAt},
		PaymentID: nullable(t.PaymentID), AcceptedAtUTC: millisTimePtr(t.AcceptedAt),
	}
}

// gigPayPayment has exactly the keys of GigPay's documented payment, in its
// order, plus failureReason.
type gigPayPayment struct {
	PaymentID      string               `json:"paymentId"`
	Amount         jsonNumber           `json:"amount"`
	AssetType      string               `json:"assetType"`
	Status         paykit.PaymentStatus `json:"status"`
	Type           paykit.PaymentType   `json:"type"`
	CreatedAtUTC   millisTime           `json:"createdAtUtc"`
	ModifiedAtUTC  millisTime           `json:"modifiedAtUtc"`
	Source         gigPayParty          `json:"source"`
	Destination    gigPayParty          `json:"destination"`
	PaymentTokenID *string              `json:"paymentTokenId"`
	FailureReason  *string              `json:"failureReason"`
}

type gigPayParty struct {
	ID                *string `json:"id"`
	BusinessAccountID *string `json:"businessAccountId"`
	UserIdentityID    *string `json:"userIdentityId"`
	ExternalStorage   *string `json:"externalStorage"`
}

func gigPayPaymentOf(p *paykit.Payment) gigPayPayment {
	return gigPayPayment{
		PaymentID: p.ID, Amount: jsonNumber{p.Amount.Amount}, AssetType: assetType(p.Amount.Currency),
		Status: p.Status, Type: p.Type, CreatedAtUTC: millisTime{p.CreatedAt}, ModifiedAtUTC: millisTime{p.UpdatedAt},
		Source: gigPayPartyOf(p.Source), Destination: gigPayPartyOf(p.Destination),
		PaymentTokenID: nullable(p.PaymentTokenID), FailureReason: nullable(p.FailureReason),
	}
}

func gigPayPartyOf(p paykit.Party) gigPayParty {
	return gigPayParty{ID: nullable(p.AccountID), BusinessAccountID: nullable(p.BusinessAccountID),
		UserIdentityID: nullable(p.UserIdentityID), ExternalStorage: nullable(p.ExternalStorage)}
}

type gigPayAccount struct {
	ID                string     `json:"id"`
	AssetType         string     `json:"assetType"`
	Name              *string    `json:"name"`
	BusinessAccountID *string    `json:"businessAccountId"`
	UserIdentityID    *string    `json:"userIdentityId"`
	ExternalStorage   *string    `json:"externalStorage"`
	Balance           jsonNumber `json:"balance"`
	Available         jsonNumber `json:"available"`
	Reserved          jsonNumber `json:"reserved"`
	Incoming          jsonNumber `json:"incoming"`
	CreatedAtUTC      millisTime `json:"createdAtUtc"`
	ModifiedAtUTC     millisTime `json:"modifiedAtUtc"`
}

func gigPayAccountOf(a *paykit.Account) gigPayAccount {
	return gigPayAccount{
		ID: a.ID, AssetType: assetType(a.Currency), Name: nullable(a.Name),
		BusinessAccountID: nullable(a.BusinessAccountID), UserIdentityID: nullable(a.UserIdentityID),
		ExternalStorage: nullable(a.ExternalStorage),
		Balance:         jsonNumber{a.Balance().Amount}, Available: jsonNumber{a.Available().Amount},
		Reserved: jsonNumber{a.Reserved().Amount}, Incoming: jsonNumber{a.Incoming().Amount},
		CreatedAtUTC: millisTime{a.CreatedAt}, ModifiedAtUTC: millisTime{a.UpdatedAt},
	}
}

// assetType renders a currency the way GigPay writes it: "usd".
func assetType(c paykit.Currency) string { return strings.ToLower(string(c)) }

// Handlers.

func (g *gigPay) createToken(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in gigPayTokenCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	tok, err := g.svc.CreateToken(r.Context(), t.ID, in.domain())
	if err != nil {
		return gigPayErr(err)
	}
	writeJSON(w, http.StatusCreated, g.token(tok))
	return nil
}

func (g *gigPay) createTokens(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in struct {
		Tokens []gigPayTokenCreate `json:"tokens"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	tcs := make([]paykit.TokenCreate, len(in.Tokens))
	for i, tc := range in.Tokens {
		tcs[i] = tc.domain()
	}
	toks, err := g.svc.CreateTokens(r.Context(), t.ID, tcs)
	if err != nil {
		// The root names a batch item's fields "[2].amount".
		return renameFields(gigPayErr(err), func(f string) string {
			if strings.HasPrefix(f, "[") {
				return "tokens" + f
			}
			return f
		})
	}
	out := make([]gigPayToken, len(toks))
	for i, tok := range toks {
		out[i] = g.token(tok)
	}
	writeJSON(w, http.StatusCreated, gigPayList[gigPayToken]{Data: out})
	return nil
}

type gigPayList[T any] struct {
	Data []T `json:"data"`
}

func (g *gigPay) findToken(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	tok, err := g.svc.FindTokenByToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.token(tok))
	return nil
}

func (g *gigPay) acceptToken(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in struct {
		DestinationAccountID string `json:"destinationAccountId"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	acc, err := g.svc.AcceptToken(r.Context(), t.ID, r.PathValue("token"), in.DestinationAccountID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		PaymentToken gigPayToken   `json:"paymentToken"`
		Payment      gigPayPayment `json:"payment"`
	}{g.token(acc.Token), gigPayPaymentOf(acc.Payment)})
	return nil
}

func (g *gigPay) rejectToken(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	tok, err := g.svc.RejectToken(r.Context(), t.ID, r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.token(tok))
	return nil
}

// findPayments lists payments with GigPay's {"data":[...]}, plus hasMore and
// nextCursor for keyset pagination: all of them, streamed, unless the client
// asks for a page with limit.
func (g *gigPay) findPayments(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	q := r.URL.Query()
	var v paykit.Validation
	f := paykit.PaymentFilter{Sort: paykit.PaymentSort(q.Get("sort")), After: q.Get("startingAfter"), Types: gigPayTypes}
	if s := q.Get("type"); s != "" {
		typ, err := paykit.ParsePaymentType("type", s)
		if err != nil {
			v.Add("type", paykit.ErrorMessage(err))
		}
		f.Type = &typ
	}
	if s := q.Get("status"); s != "" {
		st, err := paykit.ParsePaymentStatus("status", s)
		if err != nil {
			v.Add("status", paykit.ErrorMessage(err))
		}
		f.Status = &st
	}
	if s := q.Get("paymentTokenId"); s != "" {
		f.PaymentTokenID = &s
	}
	if s := q.Get("accountId"); s != "" {
		f.AccountID = &s
	}
	var err error
	if f.CreatedFrom, err = queryTime(q.Get("createdFrom")); err != nil {
		v.Add("createdFrom", err.Error())
	}
	if f.CreatedUntil, err = queryTime(q.Get("createdUntil")); err != nil {
		v.Add("createdUntil", err.Error())
	}
	// Without a limit, every payment, as GigPay's document says ("this will
	// return all payments"), streamed; with one, a page.
	paged, limit := q.Has("limit"), 0
	if paged { // present and empty is invalid here
		if limit, err = paykit.ParseLimit("limit", q.Get("limit")); err != nil {
			v.Add("limit", paykit.ErrorMessage(err))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if !paged {
		return writeListStream(w, r, g.svc.FindAllPayments(r.Context(), t.ID, f), gigPayPaymentOf)
	}
	out, err := hookPage(limit, func(n int, after **paykit.Payment) ([]*paykit.Payment, error) {
		f := f
		if f.Limit = n; after != nil {
			f.After = (*after).ID
		}
		return g.svc.FindPayments(r.Context(), t.ID, f)
	}, gigPayPaymentOf, func(p *paykit.Payment) string { return p.ID })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (g *gigPay) findPayment(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	p, err := g.svc.FindPaymentByID(r.Context(), t.ID, r.PathValue("paymentId"))
	if err == nil && !slices.Contains(gigPayTypes, p.Type) {
		err = paykit.Errorf(paykit.ENOTFOUND, "Payment not found.")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gigPayPaymentOf(p))
	return nil
}

func (g *gigPay) createAccount(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in gigPayAccountCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	a, err := g.svc.CreateAccount(r.Context(), t.ID, paykit.AccountCreate{ID: in.ID, Currency: in.AssetType,
		Name: in.Name, BusinessAccountID: in.BusinessAccountID, UserIdentityID: in.UserIdentityID})
	if err != nil {
		return gigPayErr(err)
	}
	writeJSON(w, http.StatusCreated, gigPayAccountOf(a))
	return nil
}

func (g *gigPay) findAccount(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	a, err := g.svc.FindAccountByID(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gigPayAccountOf(a))
	return nil
}

func (g *gigPay) createDeposit(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in gigPayDepositCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	p, err := g.svc.CreateDeposit(r.Context(), t.ID, in.domain())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, gigPayPaymentOf(p))
	return nil
}

func (g *gigPay) createWithdrawal(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in gigPayWithdrawalCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	p, err := g.svc.CreateWithdrawal(r.Context(), t.ID, paykit.WithdrawalCreate{SourceAccountID: in.SourceAccountID,
		Amount: in.Amount.Decimal, AssetType: in.AssetType, ExternalStorage: in.ExternalStorage})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, gigPayPaymentOf(p))
	return nil
}
