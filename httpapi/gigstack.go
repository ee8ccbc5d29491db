package httpapi

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/paykit/paykit"
)

// NewGigstack returns the gigstack v2 dialect (payments with items and taxes,
// invoices (CFDI 4.0) and receipts, clients, services, catalogs, teams and
// webhooks of a Mexican team), with
// routes relative to the API base URL (https://api.gigstack.io in
// production: the routes carry their /v2); the example server mounts it at
// /gigstack. It registers the gigstack webhook scheme with svc.
//
// Auth: "Authorization: Bearer <key>"; the key's tenant is a team. Every route
// takes an optional team parameter (the query's, or a payment's body's): a
// master team acts for another team of its billing account with it, and any
// other use is 403 FORBIDDEN. Every POST honours Idempotency-Key. Bodies are
// JSON objects (unknown fields are a VALIDATION_ERROR naming them); amounts in
// requests are JSON numbers in currency units, decoded exactly; a payment's
// amount in responses is an integer of cents (1500 in → 150000 out); times are
// epoch milliseconds (timestamp, created, succeededTimestamp, created_at).
//
//	GET|POST|PUT|DELETE /v2/ping                 → {"data":{"pong":true,"method","team","livemode","timestamp"},"message":"pong","next":null}
//	POST   /v2/payments                          payment create (see below) → 200 {"data":payment,"message":"Pago registrado correctamente","next":null}
//	GET    /v2/payments                          → 200 {"data":[payment summary],"message","totalResults","hasMore","next"}
//	GET    /v2/payments/{paymentId}              → 200 {"data":payment,...}
//	POST   /v2/clients                           {"name","email"?,"rfc"?,"legal_name"?,"tax_system"?,"address"?,"use"?,"phone"?,"metadata"?} → 200 client
//	GET    /v2/clients                           ?limit&starting_after&email&rfc&q → list of clients
//	GET    /v2/clients/{clientId}                → client
//	PUT    /v2/clients/{clientId}                the fields to change → client
//	DELETE /v2/clients/{clientId}                → {"data":{"id","deleted":true}}
//	POST   /v2/services                          {"name","description"?,"total","currency"?,"product_key"?,"unit_key"?,"unit_name"?,"sku"?,"taxes"?,"metadata"?} → service
//	GET    /v2/services                          ?limit&starting_after → list of services
//	GET    /v2/services/{serviceId}              → service
//	GET    /v2/catalogs                          → the SAT catalogs validated against: [{"id","name","description","complete","count"}]
//	GET    /v2/catalogs/{catalogId}              → {"id","name","description","complete","entries":[{"code","description",...}]}
//	GET    /v2/teams                             → the teams of the billing account (a master team's), or the team itself
//	GET    /v2/teams/{teamId}                    → a team of the billing account
//	POST   /v2/webhooks                          {"url","events":[names],"description"?,"status"?:"active"|"inactive"} → webhook (with its secret)
//	GET    /v2/webhooks                          ?limit&starting_after&status → list of webhooks
//	GET    /v2/webhooks/{webhookId}              → webhook
//	PUT    /v2/webhooks/{webhookId}              {"url"?,"events"?,"description"?,"status"?} → webhook
//	DELETE /v2/webhooks/{webhookId}              → {"data":{"id","deleted":true}}
//	POST   /v2/invoices/income                   {"client":{"id"}|client,"items":[{"description","quantity"?,"unit_price","product_key"?,"unit_key"?,"unit_name"?,"taxes"?}],
//	                                             "currency"?,"exchange_rate"?,"series"?,"use"?,"payment_form"?,"payment_method"?:"PUE"|"PPD","metadata"?} → invoice
//	GET    /v2/invoices/income                   ?limit&next&status(valid|cancelled)&client_id&series&payment_id → {"data","message","has_more","total_results","next"}
//	GET    /v2/invoices/income/{uuid}            → invoice; ?file_type=xml → its CFDI 4.0 XML, UNSTAMPED (application/xml)
//	DELETE /v2/invoices/income/{uuid}            {"motive":"01"…"04","substitution_uuid"?} (body or query) → the canceled invoice
//	GET    /v2/invoices/payment[/{uuid}]         the payment complements (type P), as the income invoices
//	DELETE /v2/invoices/payment/{uuid}           cancel a complement; DELETE /v2/invoices/{uuid} cancels either
//	POST   /v2/receipts                          {"clientId"?|"client"?,"items" (as a payment's),"currency"?,"exchange"?,"paymentMethod"?,"validUntil"?,"metadata"?} → receipt
//	GET    /v2/receipts                          ?limit&next&status&client_id&payment_id → list of receipts, as invoices
//	GET    /v2/receipts/{receiptId}              → receipt
//	PUT    /v2/receipts/{receiptId}              {"clientId"?,"validUntil"?,"paymentMethod"?,"metadata"?,"status"?:"completed"} → receipt
//	DELETE /v2/receipts/{receiptId}              → the receipt, cancelled
//	POST   /v2/receipts/{receiptId}/stamp        {"clientId"?|"client"?,"paymentMethod"?,"use"?,"series"?} → the invoice it became
//
// A payment create takes clientId, or client (a new client, or {"id"} of one),
// or email alone (the team's client with that email, created if none);
// items[] (at least one) of {"id"? (a service whose fields fill the ones left
// out), "name", "description"?, "quantity"? (default 1), "total" (the unit
// price in currency units, taxes included unless a tax says
// "inclusive":false), "product_key"?, "unit_key"?, "unit_name"?,
// "taxes"?:[{"type":"IVA"|"ISR"|"IEPS","rate","factor"?:"Tasa"|"Cuota"|"Exento",
// "inclusive"?,"withholding"?}]}; currency MXN (default), USD or EUR, with
// exchange, or the Service's exchange rate source's; paid with paymentMethod
// (c_FormaPago, required when paid); date, livemode, avoidEmail, from,
// metadata (metadata.internalId is unique per team: 409 CONFLICT); the
// automations automaticInvoice, automateInvoiceOnComplete,
// automateIncomeInvoiceAndComplement (not with paid or paymentMethod) and
// forceReceipt, at most one invoice automation, and invoiceConfig; and team.
// A team with split billing splits a payment whose metadata has one of its
// keys: the payment shows transfer_data {"destination","split" (the connected
// team's percentage),"splitType":{"master","connect"}}.
//
// Invoices (CFDI 4.0, paykit's tax invoices) are issued by the acting team,
// which needs a fiscal identity (the sandbox's teams/{id}/sat), with the next
// folio of their series (A by default; P for payment complements): folios are
// gapless and unique per series. Their amounts are decimal units; their id is
// their uuid (paykit's ID: nothing is stamped, no PAC); a PUE invoice needs
// its payment_form, a PPD one's is 99. Cancel motive 01 needs the
// substitution_uuid of a valid invoice that replaces it; a PPD invoice with
// valid complements cannot be canceled. A payment's automations issue
// invoices too: automaticInvoice and automateInvoiceOnComplete a PUE invoice
// once it is paid, automateIncomeInvoiceAndComplement a PPD invoice at
// creation and its complement once paid, forceReceipt a receipt (pending
// until paid); the payment's invoices lists their uuids. Receipts are
// pending, open, invoiced, completed, expired (at validUntil, by default the
// end of the month in Mexico City) or cancelled.
//
// Lists take limit (1 to 100, default 10) and starting_after (the id of the
// last item of the previous page, which next gives). GET /v2/payments also
// takes order_by (timestamp, the default, or amount), order_direction (desc,
// the default, or asc), amount (in cents), status, clientId and rfc.
//
// Shapes:
//
//	payment: {"id","fid","team","owner","billingAccount","amount","currency","status","internalStatus","client",
//	          "clientId","items":[{"id","name","description","quantity","total","product_key","unit_key","unit_name",
//	          "taxes","discount","currency","paymentType"}],"discount","exchange","payment_form","processor",
//	          "custom_method_types","automations","invoices","metadata","from","timestamp","created",
//	          "succeededTimestamp","livemode","shortURL","shortUrl","token","hasStripe","paymentIntent",
//	          "client_secret","stripeGenerated","payment_method_options","transfer_data"?}
//	summary: {"id","amount","status","clientId","currency","timestamp","client":{"name","rfc"},"shortURL"}
//	client:  {"id","billingAccount","metadata","owner","email","from","team","name","rfc","legal_name","timestamp",
//	          "livemode","tax_system","address","phone","use","zip"}
//	invoice: {"id","uuid","invoice_type":"I"|"P","status":"valid"|"cancelled","series","folio_number","client":{"id","name",
//	          "legal_name","tax_id","tax_system","zip","use"},"issuer":{"tax_id","legal_name","tax_system","zip"},
//	          "currency","exchange_rate","payment_form",
//	          "payment_method","use","items":[{"id","description","quantity","unit_price","product_key","unit_key",
//	          "unit_name","subtotal","taxes","total"}],"subtotal","taxes","total","last_balance","complement"?,"payment",
//	          "receipt","automation","cancellation","stamped":false,"stamp":null,"metadata","team","created_at"}
//	receipt: {"id","status","client","clientId","items","currency","exchange","subtotal","taxes","total","payment_form",
//	          "payment","invoice","validUntil","metadata","team","timestamp"}
//	error:   {"error":{"code","message","details"?:{"field":"message"}},"message"}
//
// A payment's status is requires_payment_method, requires_confirmation,
// requires_action, processing, requires_capture, canceled or succeeded; the
// processor moves it (the sandbox controls of NewGigstackSandbox, and the
// hosted page's pay). The hosted page of shortURL (<this API's base>/pay/<token>)
// is pages.NewGigstack: a host mounts it at <base>/pay/ beside this handler. Error codes: VALIDATION_ERROR 400 (413 for a body over
// 1 MiB), UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, METHOD_NOT_ALLOWED
// 405, CONFLICT 409, EXPIRED 410, LIMIT_EXCEEDED 422, INTERNAL_ERROR 500.
//
// Webhooks subscribe to gigstack's 26 event names (gigstack_names.go) and are
// delivered by the Service's engine as {"id":"evt_…","event","timestamp","data"}
// signed with X-Gigstack-Signature (the hex HMAC-SHA256 of the body with the
// webhook's secret); a payment's data is its summary, an invoice's (invoice.*)
// the invoice, a receipt's the receipt, and invoice.failed's {"payment",
// "automation","code","message","details"}.
func NewGigstack(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(gigstackScheme)
	g := &gigstack{svc: svc}
	rt := newRouter(bearerAuth(svc), g.writeError)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		g.handle(rt, m+" /v2/ping", g.ping)
	}
	g.handle(rt, "POST /v2/payments", g.createPayment)
	g.handle(rt, "GET /v2/payments", g.listPayments)
	g.handle(rt, "GET /v2/payments/{id}", g.getPayment)
	g.handle(rt, "POST /v2/clients", g.createClient)
	g.handle(rt, "GET /v2/clients", g.listClients)
	g.handle(rt, "GET /v2/clients/{id}", g.getClient)
	g.handle(rt, "PUT /v2/clients/{id}", g.updateClient)
	g.handle(rt, "DELETE /v2/clients/{id}", g.deleteClient)
	g.handle(rt, "POST /v2/services", g.createService)
	g.handle(rt, "GET /v2/services", g.listServices)
	g.handle(rt, "GET /v2/services/{id}", g.getService)
	g.handle(rt, "GET /v2/catalogs", g.listCatalogs)
	g.handle(rt, "GET /v2/catalogs/{id}", g.getCatalog)
	g.handle(rt, "GET /v2/teams", g.listTeams)
	g.handle(rt, "GET /v2/teams/{id}", g.getTeam)
	g.handle(rt, "POST /v2/webhooks", g.createWebhook)
	g.handle(rt, "GET /v2/webhooks", g.listWebhooks)
	g.handle(rt, "GET /v2/webhooks/{id}", g.getWebhook)
	g.handle(rt, "PUT /v2/webhooks/{id}", g.updateWebhook)
	g.handle(rt, "DELETE /v2/webhooks/{id}", g.deleteWebhook)
	g.handle(rt, "POST /v2/invoices/income", g.createInvoice)
	g.handle(rt, "GET /v2/invoices/income", g.listInvoices(paykit.CFDITypeIncome))
	g.handle(rt, "GET /v2/invoices/income/{id}", g.getInvoice(paykit.CFDITypeIncome))
	g.handle(rt, "DELETE /v2/invoices/income/{id}", g.cancelInvoice(paykit.CFDITypeIncome))
	g.handle(rt, "GET /v2/invoices/payment", g.listInvoices(paykit.CFDITypePayment))
	g.handle(rt, "GET /v2/invoices/payment/{id}", g.getInvoice(paykit.CFDITypePayment))
	g.handle(rt, "DELETE /v2/invoices/payment/{id}", g.cancelInvoice(paykit.CFDITypePayment))
	g.handle(rt, "DELETE /v2/invoices/{id}", g.cancelInvoice(""))
	g.handle(rt, "POST /v2/receipts", g.createReceipt)
	g.handle(rt, "GET /v2/receipts", g.listReceipts)
	g.handle(rt, "GET /v2/receipts/{id}", g.getReceipt)
	g.handle(rt, "PUT /v2/receipts/{id}", g.updateReceipt)
	g.handle(rt, "DELETE /v2/receipts/{id}", g.deleteReceipt)
	g.handle(rt, "POST /v2/receipts/{id}/stamp", g.stampReceipt)
	return rt
}

type gigstack struct {
	svc *paykit.Service
}

// gigstackCall is one authenticated request: the key's team, and the team it
// acts for (its own, or the team parameter's).
type gigstackCall struct {
	ctx  context.Context
	w    http.ResponseWriter
	r    *http.Request
	auth *paykit.Tenant
	team *paykit.Team
}

// tenant is the tenant the call acts for.
func (c *gigstackCall) tenant() string { return c.team.TenantID }

// gigstackHandler answers a call with a status and a body, or an error.
type gigstackHandler func(c *gigstackCall) (int, any, error)

// handle registers h for pattern: the team parameter of the query is resolved
// (Service.ActingTeam) before h runs, and its errors are renamed into the
// dialect's fields.
func (g *gigstack) handle(rt *router, pattern string, h gigstackHandler) {
	rt.handle(pattern, func(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
		team, err := g.svc.ActingTeam(r.Context(), t.ID, r.URL.Query().Get("team"))
		if err != nil {
			return gigstackErr(err)
		}
		status, body, err := h(&gigstackCall{ctx: r.Context(), w: w, r: r, auth: t, team: team})
		if err != nil {
			return gigstackErr(err)
		}
		if raw, ok := body.(rawBody); ok {
			w.Header().Set("Content-Type", raw.contentType)
			w.WriteHeader(status)
			_, err := w.Write(raw.body)
			return err
		}
		writeJSON(w, status, body)
		return nil
	})
}

// rawBody is an answer that is not JSON: an invoice's XML.
type rawBody struct {
	contentType string
	body        []byte
}

// gigstackEnvelope is the envelope of one object.
type gigstackEnvelope struct {
	Data    any     `json:"data"`
	Message string  `json:"message"`
	Next    *string `json:"next"`
}

// gigstackList is the envelope of a list.
type gigstackList struct {
	Data         any     `json:"data"`
	Message      string  `json:"message"`
	TotalResults int     `json:"totalResults"`
	HasMore      bool    `json:"hasMore"`
	Next         *string `json:"next"`
}

// gsOK wraps data in the envelope of one object, with status 200.
func gsOK(data any, message string) (int, any, error) {
	return http.StatusOK, gigstackEnvelope{Data: data, Message: message}, nil
}

func (g *gigstack) ping(c *gigstackCall) (int, any, error) {
	return gsOK(struct {
		Pong      bool   `json:"pong"`
		Method    string `json:"method"`
		Team      string `json:"team"`
		Livemode  bool   `json:"livemode"`
		Timestamp int64  `json:"timestamp"`
	}{true, c.r.Method, c.tenant(), false, g.svc.Clock().Now().UnixMilli()}, "pong")
}

// gigstackCode is a row of the dialect's error table: the code, the
// error's message (empty: the Service's own), and the envelope's message.
type gigstackCode struct{ code, message, top string }

// gigstackCodes maps the root's error codes to gigstack's, the one place the
// dialect decides them.
var gigstackCodes = map[string]gigstackCode{
	paykit.EINVALID:      {"VALIDATION_ERROR", "Invalid request parameters", "Request validation failed"},
	paykit.EUNAUTHORIZED: {"UNAUTHORIZED", "", "Authentication failed"},
	paykit.EFORBIDDEN:    {"FORBIDDEN", "", "Access denied"},
	paykit.ENOTFOUND:     {"NOT_FOUND", "", ""},
	codeMethodNotAllowed: {"METHOD_NOT_ALLOWED", "", "Method not allowed"},
	paykit.ECONFLICT:     {"CONFLICT", "", "The request conflicts with the current state"},
	paykit.EEXPIRED:      {"EXPIRED", "", "The resource has expired"},
	paykit.ELIMIT:        {"LIMIT_EXCEEDED", "", "A limit was exceeded"},
	paykit.EUNAVAILABLE:  {"SERVICE_UNAVAILABLE", "The service is busy; retry after the Retry-After seconds", "Service unavailable"},
	paykit.EINTERNAL:     {"INTERNAL_ERROR", "Internal error", "Something went wrong"},
}

// notFoundNoun reads the noun of the Service's "<Noun> not found." messages.
var notFoundNoun = regexp.MustCompile(`^([A-Za-z][A-Za-z ]*) not found\.?$`)

type gigstackErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

// writeError is the dialect's one error writer: err in gigstack's shape
// (writeGigstackError), with Retry-After on a 429 or 503 by the Service's
// Clock.
func (g *gigstack) writeError(w http.ResponseWriter, r *http.Request, err error) {
	setRetryAfter(w, r, g.svc, errorStatus(err), err)
	writeGigstackError(w, r, err)
}

// writeGigstackError writes err as {"error":{"code","message","details"},"message"}.
func writeGigstackError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	code := paykit.ErrorCode(err)
	row, known := gigstackCodes[code]
	if !known || status == http.StatusInternalServerError {
		row, code = gigstackCodes[paykit.EINTERNAL], paykit.EINTERNAL
	}
	msg := row.message
	if msg == "" {
		msg = strings.TrimSuffix(gigstackMessage(paykit.ErrorMessage(err)), ".")
	}
	top := row.top
	if code == paykit.ENOTFOUND {
		top = "The requested resource does not exist"
		if m := notFoundNoun.FindStringSubmatch(paykit.ErrorMessage(err)); m != nil {
			top = "The requested " + strings.ToLower(m[1]) + " does not exist"
		}
	}
	body := gigstackErrorBody{Code: row.code, Message: msg}
	if fs := paykit.ErrorFields(err); len(fs) > 0 && code != paykit.EINTERNAL {
		body.Details = make(map[string]string, len(fs))
		for k, m := range fs {
			body.Details[k] = gigstackMessage(m)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gigstack"`)
	}
	writeJSON(w, status, struct {
		Error   gigstackErrorBody `json:"error"`
		Message string            `json:"message"`
	}{body, top})
}
