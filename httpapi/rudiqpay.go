package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/paykit/paykit"
)

// NewRudiqPay returns the RudiqPay dialect (web3 payments of a node, paid
// into a deal on a chain's escrow contract), with routes relative to the API
// base URL; the example server mounts it at /rudiqpay.
//
// Auth: "Authorization: Bearer <key>": an integration key, bound to a node
// (Service.CreateNodeAPIKey), acts on its node and the nodes under it; a
// tenant's key bound to no node acts on every node of the tenant. A payment
// of a node out of reach is 403, of another tenant 404. RudiqPayAuth plugs in
// a host's own authenticator (its JWTs, say). The widget route is
// authenticated by the payment's access token instead. Every POST honours
// Idempotency-Key. Bodies are JSON objects (unknown fields are 400); JSON is
// snake_case; amounts are JSON numbers decoded exactly; times are RFC 3339,
// written in UTC.
//
//	POST /api/v1/payments                     create (see below) → 201 payment, with access_token
//	GET  /api/v1/payments                     ?node_id (required)&wallet_id&network_id&page (1)&per_page (10, at most 100)
//	                                          → 200 {"items":[payment],"page","per_page","total"}, newest first
//	GET  /api/v1/payments/{id}                → 200 payment
//	POST /api/v1/payments/{id}/cancel         → 202 {"status":"accepted"}: cancelDeal is sent by background work
//	GET  /api/v1/payments/{id}/logs           ?page&per_page → 200 {"items":[log],"page","per_page","total"}, newest first
//	POST /api/v1/payments/{id}/retry-send     → 200 payment: a pending web3 payment whose deal's creation failed is
//	                                          queued again; 400 when it is not eligible
//	GET  /api/v1/widget/payments/{id}         Authorization: Bearer <access_token> → 200 widget; 401 for a token that
//	                                          is not this payment's, or expired (at the payment's expires_at)
//
// A create takes external_id (unique per node: 409), node_id, network_id and
// currency_id (UUIDs; 404 for an unknown one), chain_id, wallet_id and
// member_id (optional UUIDs), member (an object of strings: external_id,
// name, surname, email ...), price and paid_price (> 0, within the currency's
// decimals), payment_method (web3, credit_card or bank_transfer),
// payment_group (product or listing_or_subscription), payment_address (at
// least 10 characters; a 0x address, the payee, for web3), items
// ([{"name","price","external_id"?}]), metadata (a string), expires_at (RFC
// 3339, in the future), retry, retry_count and client_ip (IPv4). The deal's
// price, what the payer deposits, is paid_price.
//
// Shapes:
//
//	payment: {"id","external_id","node_id","chain_id","network_id","wallet_id","member_id","member","currency_id",
//	          "currency","price","paid_price","payment_method","payment_group","payment_address",
//	          "items":[{"name","price","external_id"}],"metadata","expires_at","retry","retry_count","client_ip",
//	          "status","deal_id","transaction_hash","failure_reason","access_token","created_at","updated_at",
//	          "widget_url"?}
//	log:     {"id","payment_id","event_type","message","actor_type","status","transaction_hash","created_at"}
//	widget:  {"payment_id","external_id","node_id","network_id" (the chain id, a number),"deal_id","price" (paid_price),
//	          "price_decimals","payment_address","diamond_address","currency","token_address",
//	          "contract":{"abi":[...],"function_name":"deposit","arguments":["<deal id>","<amount in base units>"]},
//	          "status","expires_at"}
//	error:   {"error":{"code","message","fields"?:{"field":"message"}}}
//
// widget_url, an extension, is the payer's widget page of the payment (the
// access token in its query) when the host serves it (paykit.WithWidgetURL
// and the pages package); without it the key is left out.
//
// A payment's status is pending, processing, completed, cancelling, cancelled,
// expired or failed (docs/decisions.md); a log's event_type is created,
// sent_to_consumer, deal_created, deal_failed, retry_sent, cancel_requested,
// cancelled, completed, expired or failed, and its actor_type integration,
// system or chain. The payer's wallet approves token_address for the amount
// (the second argument) to diamond_address, then calls deposit with the
// arguments as given. Error codes: bad_request 400, unauthorized 401,
// forbidden 403, not_found 404, method_not_allowed 405, conflict 409,
// payload_too_large 413, limit_exceeded 422, too_many_requests 429 and
// unavailable 503 (with Retry-After; no route answers them today),
// internal_error 500.
func NewRudiqPay(svc *paykit.Service, opts ...RudiqPayOption) http.Handler {
	q := newRudiqPay(svc, opts)
	rt := q.router()
	q.handle(rt, "POST /api/v1/payments", q.createPayment)
	q.handle(rt, "GET /api/v1/payments", q.listPayments)
	q.handle(rt, "GET /api/v1/payments/{id}", q.getPayment)
	q.handle(rt, "POST /api/v1/payments/{id}/cancel", q.cancelPayment)
	q.handle(rt, "GET /api/v1/payments/{id}/logs", q.listLogs)
	q.handle(rt, "POST /api/v1/payments/{id}/retry-send", q.retrySend)
	rt.handle("GET /api/v1/widget/payments/{id}", q.widget)
	return rt
}

// RudiqPayOption configures NewRudiqPay and NewRudiqPaySandbox.
type RudiqPayOption func(*rudiqPay)

// RudiqPayAuth replaces the integration key check: auth returns what the
// request may act on (a tenant, and a node or "" for all of them), or an
// EUNAUTHORIZED or EFORBIDDEN error.
func RudiqPayAuth(auth func(*http.Request) (paykit.NodeAccess, error)) RudiqPayOption {
	return func(q *rudiqPay) { q.auth = auth }
}

type rudiqPay struct {
	svc  *paykit.Service
	auth func(*http.Request) (paykit.NodeAccess, error)
}

// newRudiqPay returns the dialect's state: by default, integrations
// authenticate with their keys as Bearer tokens.
func newRudiqPay(svc *paykit.Service, opts []RudiqPayOption) *rudiqPay {
	q := &rudiqPay{svc: svc, auth: func(r *http.Request) (paykit.NodeAccess, error) {
		key, err := bearerToken(r)
		if err != nil {
			return paykit.NodeAccess{}, err
		}
		return svc.AuthenticateNode(r.Context(), key)
	}}
	for _, o := range opts {
		o(q)
	}
	return q
}

// router returns the dialect's router. Its routes authenticate themselves
// (the integration's key, or the widget's access token), so the router's own
// step lets every request through.
func (q *rudiqPay) router() *router {
	return newRouter(func(*http.Request) (*paykit.Tenant, error) { return nil, nil }, q.writeError)
}

// rudiqPayHandler answers an authenticated call with a status and a body, or
// an error.
type rudiqPayHandler func(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error)

// handle registers h for pattern behind the integration's authentication, and
// renames the fields of its errors into the wire's.
func (q *rudiqPay) handle(rt *router, pattern string, h rudiqPayHandler) {
	rt.handle(pattern, func(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
		a, err := q.auth(r)
		if err != nil {
			return err
		}
		status, body, err := h(w, r, a)
		if err != nil {
			return renameFields(err, rudiqPayField)
		}
		if body == nil {
			w.WriteHeader(status)
			return nil
		}
		writeJSON(w, status, body)
		return nil
	})
}

// rudiqPayCodes maps HTTP statuses to the error codes of the dialect's body,
// the one place it decides them.
var rudiqPayCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusGone:                  "expired",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusUnprocessableEntity:   "limit_exceeded",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal_error",
	http.StatusServiceUnavailable:    "unavailable",
}

type rudiqPayErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError is the dialect's one error writer: {"error":{"code","message",
// "fields"}} with the status of the error's code, and Retry-After on a 429 or
// 503.
func (q *rudiqPay) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	setRetryAfter(w, r, q.svc, status, err)
	code, ok := rudiqPayCodes[status]
	if !ok {
		status, code = http.StatusInternalServerError, rudiqPayCodes[http.StatusInternalServerError]
	}
	body := rudiqPayErrorBody{Code: code, Message: paykit.ErrorMessage(err)}
	if status == http.StatusInternalServerError {
		body.Message = "Internal error."
	} else if fs := paykit.ErrorFields(err); len(fs) > 0 {
		body.Fields = fs
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rudiqpay"`)
	}
	writeJSON(w, status, struct {
		Error rudiqPayErrorBody `json:"error"`
	}{body})
}

// rudiqPayCreate is the create body, as the seed lists it.
type rudiqPayCreate struct {
	ExternalID     string            `json:"external_id"`
	NodeID         string            `json:"node_id"`
	ChainID        string            `json:"chain_id"`
	NetworkID      string            `json:"network_id"`
	WalletID       string            `json:"wallet_id"`
	MemberID       string            `json:"member_id"`
	Member         map[string]string `json:"member"`
	CurrencyID     string            `json:"currency_id"`
	Price          *jsonNumber       `json:"price"`
	PaidPrice      *jsonNumber       `json:"paid_price"`
	PaymentMethod  string            `json:"payment_method"`
	PaymentGroup   string            `json:"payment_group"`
	PaymentAddress string            `json:"payment_address"`
	Items          []rudiqPayItem    `json:"items"`
	Metadata       string            `json:"metadata"`
	ExpiresAt      string            `json:"expires_at"`
	Retry          bool              `json:"retry"`
	RetryCount     int               `json:"retry_count"`
	ClientIP       string            `json:"client_ip"`
}

type rudiqPayItem struct {
	Name       string      `json:"name"`
	Price      *jsonNumber `json:"price"`
	ExternalID string      `json:"external_id"`
}

func (q *rudiqPay) createPayment(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	var in rudiqPayCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return 0, nil, err
	}
	out := paykit.Web3PaymentCreate{ExternalID: in.ExternalID, NodeID: in.NodeID, ChainID: in.ChainID,
		NetworkID: in.NetworkID, WalletID: in.WalletID, MemberID: in.MemberID, Member: in.Member,
		CurrencyID: in.CurrencyID, Price: decimalOf(in.Price), PaidPrice: decimalOf(in.PaidPrice),
		Method: in.PaymentMethod, Group: in.PaymentGroup, PaymentAddress: in.PaymentAddress, Metadata: in.Metadata,
		Retry: in.Retry, RetryCount: in.RetryCount, ClientIP: in.ClientIP}
	for _, it := range in.Items {
		out.Items = append(out.Items, paykit.Web3PaymentItemCreate{Name: it.Name, Price: decimalOf(it.Price), ExternalID: it.ExternalID})
	}
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.ExpiresAt)
		if err != nil {
			return 0, nil, invalidField("expires_at", "Must be an RFC 3339 date-time like 2030-01-09T18:00:00Z.")
		}
		out.ExpiresAt = t
	}
	p, err := q.svc.CreateWeb3Payment(ctx, a, out)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, q.paymentOf(p), nil
}

func (q *rudiqPay) listPayments(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	query := r.URL.Query()
	page, perPage, err := rudiqPayPage(query)
	if err != nil {
		return 0, nil, err
	}
	f := paykit.Web3PaymentFilter{NodeID: optional(query, "node_id"), WalletID: optional(query, "wallet_id"),
		NetworkID: optional(query, "network_id"), Offset: (page - 1) * perPage, Limit: perPage}
	ps, total, err := q.svc.FindWeb3Payments(ctx, a, f)
	if err != nil {
		return 0, nil, err
	}
	items := make([]rudiqPayPayment, len(ps))
	for i, p := range ps {
		items[i] = q.paymentOf(p)
	}
	return http.StatusOK, rudiqPayList[rudiqPayPayment]{Items: items, Page: page, PerPage: perPage, Total: total}, nil
}

func (q *rudiqPay) getPayment(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	p, err := q.svc.FindWeb3PaymentByID(ctx, a, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, q.paymentOf(p), nil
}

func (q *rudiqPay) cancelPayment(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	if _, err := q.svc.CancelWeb3Payment(ctx, a, r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"status": "accepted"}, nil
}

func (q *rudiqPay) retrySend(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	p, err := q.svc.RetryWeb3Payment(ctx, a, r.PathValue("id"))
	var pe *paykit.Error
	if paykit.ErrorCode(err) == paykit.ECONFLICT && errors.As(err, &pe) {
		// The document's status for a payment not eligible for retry.
		return 0, nil, &statusError{http.StatusBadRequest, pe}
	} else if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, q.paymentOf(p), nil
}

func (q *rudiqPay) listLogs(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	ctx := r.Context()
	page, perPage, err := rudiqPayPage(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	evs, total, err := q.svc.FindWeb3PaymentLogs(ctx, a, id, (page-1)*perPage, perPage)
	if err != nil {
		return 0, nil, err
	}
	items := make([]rudiqPayLog, 0, len(evs))
	for _, ev := range evs {
		l, err := rudiqPayLogOf(ev)
		if err != nil {
			return 0, nil, err
		}
		items = append(items, l)
	}
	return http.StatusOK, rudiqPayList[rudiqPayLog]{Items: items, Page: page, PerPage: perPage, Total: total}, nil
}

func (q *rudiqPay) widget(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	token, err := bearerToken(r)
	if err != nil {
		return err
	}
	wd, err := q.svc.AuthenticateWidget(r.Context(), r.PathValue("id"), token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rudiqPayWidgetOf(wd))
	return nil
}

// rudiqPayPage reads page (default 1) and per_page (default 10, at most 100).
func rudiqPayPage(query map[string][]string) (page, perPage int, err error) {
	page, perPage = 1, 10
	get := func(k string) string {
		if v := query[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if s := get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 || page > 1_000_000 {
			return 0, 0, invalidField("page", "Must be an integer from 1.")
		}
	}
	if s := get("per_page"); s != "" {
		if perPage, err = strconv.Atoi(s); err != nil || perPage < 1 || perPage > 100 {
			return 0, 0, invalidField("per_page", "Must be an integer from 1 to 100.")
		}
	}
	return page, perPage, nil
}

// optional returns the query parameter k, or nil when it is absent or empty.
func optional(query map[string][]string, k string) *string {
	if v := query[k]; len(v) > 0 && v[0] != "" {
		return &v[0]
	}
	return nil
}

type rudiqPayList[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

type rudiqPayPayment struct {
	ID              string            `json:"id"`
	ExternalID      string            `json:"external_id"`
	NodeID          string            `json:"node_id"`
	ChainID         *string           `json:"chain_id"`
	NetworkID       string            `json:"network_id"`
	WalletID        *string           `json:"wallet_id"`
	MemberID        *string           `json:"member_id"`
	Member          map[string]string `json:"member"`
	CurrencyID      string            `json:"currency_id"`
	Currency        string            `json:"currency"`
	Price           jsonNumber        `json:"price"`
	PaidPrice       jsonNumber        `json:"paid_price"`
	PaymentMethod   string            `json:"payment_method"`
	PaymentGroup    string            `json:"payment_group"`
	PaymentAddress  string            `json:"payment_address"`
	Items           []rudiqPayItemOut `json:"items"`
	Metadata        *string           `json:"metadata"`
	ExpiresAt       string            `json:"expires_at"`
	Retry           bool              `json:"retry"`
	RetryCount      int               `json:"retry_count"`
	ClientIP        *string           `json:"client_ip"`
	Status          string            `json:"status"`
	DealID          *paykit.DealID    `json:"deal_id"`
	TransactionHash *string           `json:"transaction_hash"`
	FailureReason   *string           `json:"failure_reason"`
	AccessToken     string            `json:"access_token"`
	CreatedAt       string            `json:"created_at"`
	UpdatedAt       string            `json:"updated_at"`
	WidgetURL       string            `json:"widget_url,omitempty"`
}

type rudiqPayItemOut struct {
	Name       string     `json:"name"`
	Price      jsonNumber `json:"price"`
	ExternalID *string    `json:"external_id"`
}

// rudiqPayTime writes t in UTC, RFC 3339 with the fraction it has.
func rudiqPayTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// paymentOf is the payment object of the routes: with widget_url when the
// host serves the widget page.
func (q *rudiqPay) paymentOf(p *paykit.Web3Payment) rudiqPayPayment {
	out := rudiqPayPaymentOf(p)
	out.WidgetURL = q.svc.WidgetLink(p)
	return out
}

func rudiqPayPaymentOf(p *paykit.Web3Payment) rudiqPayPayment {
	out := rudiqPayPayment{ID: p.ID, ExternalID: p.ExternalID, NodeID: p.NodeID, ChainID: nullable(p.ChainID),
		NetworkID: p.NetworkID, WalletID: nullable(p.WalletID), MemberID: nullable(p.MemberID), Member: p.Member,
		CurrencyID: p.CurrencyID, Currency: string(p.Price.Currency), Price: jsonNumber{p.Price.Amount},
		PaidPrice: jsonNumber{p.PaidPrice.Amount}, PaymentMethod: string(p.Method), PaymentGroup: string(p.Group),
		PaymentAddress: p.PaymentAddress, Items: make([]rudiqPayItemOut, len(p.Items)), Metadata: nullable(p.Metadata),
		ExpiresAt: rudiqPayTime(p.ExpiresAt), Retry: p.Retry, RetryCount: p.RetryCount, ClientIP: nullable(p.ClientIP),
		Status: string(p.Status), TransactionHash: nullable(p.TransactionHash), AccessToken: p.AccessToken,
		CreatedAt: rudiqPayTime(p.CreatedAt), UpdatedAt: rudiqPayTime(p.UpdatedAt)}
	for i, it := range p.Items {
		out.Items[i] = rudiqPayItemOut{Name: it.Name, Price: jsonNumber{it.Price.Amount}, ExternalID: nullable(it.ExternalID)}
	}
	if p.DealID > 0 {
		id := p.DealID
		out.DealID = &id
	}
	switch {
	case p.FailureReason != "":
		out.FailureReason = &p.FailureReason
	case p.DealError != "":
		out.FailureReason = &p.DealError
	}
	return out
}

type rudiqPayLog struct {
	ID              string  `json:"id"`
	PaymentID       string  `json:"payment_id"`
	EventType       string  `json:"event_type"`
	Message         string  `json:"message"`
	ActorType       string  `json:"actor_type"`
	Status          string  `json:"status"`
	TransactionHash *string `json:"transaction_hash"`
	CreatedAt       string  `json:"created_at"`
}

func rudiqPayLogOf(ev *paykit.Event) (rudiqPayLog, error) {
	var p paykit.Web3Payment
	if err := json.Unmarshal(ev.Data, &p); err != nil {
		return rudiqPayLog{}, err
	}
	row, ok := rudiqPayLogs[ev.Type]
	if !ok {
		row = rudiqPayLogRow{eventType: ev.Type, actor: "system", message: func(*paykit.Web3Payment) string { return ev.Type }}
	}
	l := rudiqPayLog{ID: ev.ID, PaymentID: ev.SubjectID, EventType: row.eventType, Message: row.message(&p),
		ActorType: row.actor, Status: string(p.Status), CreatedAt: rudiqPayTime(ev.CreatedAt)}
	if ev.Type == paykit.EventWeb3PaymentCancelled && p.CancelTxHash == "" {
		// Nothing was cancelled on a chain: the integration's call did it, or
		// background work found no deal to cancel.
		l.ActorType = "system"
		if p.DealTxHash == "" {
			l.ActorType = "integration"
		}
	}
	switch ev.Type {
	case paykit.EventWeb3PaymentCompleted:
		l.TransactionHash = nullable(p.TransactionHash)
	case paykit.EventWeb3PaymentProcessing, paykit.EventWeb3PaymentDealOpened:
		l.TransactionHash = nullable(p.DealTxHash)
	case paykit.EventWeb3PaymentCancelled:
		l.TransactionHash = nullable(p.CancelTxHash)
	}
	return l, nil
}

type rudiqPayWidget struct {
	PaymentID      string            `json:"payment_id"`
	ExternalID     string            `json:"external_id"`
	NodeID         string            `json:"node_id"`
	NetworkID      uint64            `json:"network_id"`
	DealID         *paykit.DealID    `json:"deal_id"`
	Price          jsonNumber        `json:"price"`
	PriceDecimals  int32             `json:"price_decimals"`
	PaymentAddress string            `json:"payment_address"`
	DiamondAddress *string           `json:"diamond_address"`
	Currency       string            `json:"currency"`
	TokenAddress   string            `json:"token_address"`
	Contract       *rudiqPayContract `json:"contract"`
	Status         string            `json:"status"`
	ExpiresAt      string            `json:"expires_at"`
}

type rudiqPayContract struct {
	ABI          json.RawMessage `json:"abi"`
	FunctionName string          `json:"function_name"`
	Arguments    []string        `json:"arguments"`
}

func rudiqPayWidgetOf(wd *paykit.Web3Widget) rudiqPayWidget {
	p := wd.Payment
	out := rudiqPayWidget{PaymentID: p.ID, ExternalID: p.ExternalID, NodeID: p.NodeID, NetworkID: wd.Network.ChainID,
		Price: jsonNumber{p.PaidPrice.Amount}, PriceDecimals: wd.Currency.Decimals, PaymentAddress: p.PaymentAddress,
		Currency: string(wd.Currency.Symbol), TokenAddress: wd.Currency.TokenAddress, Status: string(p.Status),
		ExpiresAt: rudiqPayTime(p.ExpiresAt)}
	if wd.Call != nil {
		id := p.DealID
		out.DealID, out.DiamondAddress = &id, &wd.Contract
		out.Contract = &rudiqPayContract{ABI: json.RawMessage(wd.ABI), FunctionName: wd.Call.Function, Arguments: wd.Call.Values()}
	}
	return out
}
