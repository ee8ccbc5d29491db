package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/paykit/paykit"
)

// NewGigapay returns the Gigapay v2 dialect, with its routes relative to the
// API base URL, so that mounted with http.StripPrefix("/gigapay", ...) it
// serves GET /gigapay/v2/payouts/.
//
// # Conventions
//
// Auth is "Authorization: Token <key>" plus "Integration-ID: <id>" naming an
// integration the key's tenant owns, or the key's own tenant (not needed on
// /v2/integrations/ and the API root). Header names match in any case. Every
// authentication failure is 403, as the documentation says, with Django REST
// Framework's detail: without credentials {"detail":"Authentication
// credentials were not provided."}, a wrong key {"detail":"Invalid token."};
// a missing, unknown or foreign Integration-ID: 403 {"detail":...}.
//
// Every path ends in a slash; one without gets a 307 to it, keeping the query
// and the prefix the dialect is mounted under (also behind http.StripPrefix,
// and X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix are honoured).
// Ids are the client's (a string or a number in, a string out), unique per
// integration, and PATCH may change them. Money is a decimal string
// ("1000.00"), times are UTC ISO 8601 to the microsecond. Lists take page,
// page_size (default 25, at most 1000; an invalid one means the default) and
// the filters below, and answer {"count","next","previous","results"}, newest
// first, with absolute next/previous links. A next link carries an opaque
// cursor beside page, so following links costs the same on every page; a page
// number without a cursor is served by offset. A page past the end is 404
// {"detail":"Invalid page."}. Timestamp filters are <field>_null=True|False,
// <field>_after=<ISO 8601> and <field>_before=<ISO 8601>, both inclusive.
// expand (repeatable, or comma-separated) expands a payout's employee and
// invoice on every payout route, creates included. Bodies are JSON, or form
// data (multipart too: an integration's logo may be a file; metadata is JSON
// text, and text that is not JSON is 400 {"metadata":["Value must be valid
// JSON."]}); unknown and read-only fields are ignored, as Django REST
// Framework does. A PUT replaces: it needs every field its create needs (400
// naming each one missing, and nothing changes), the web app integration's
// invoice address included.
//
// Errors have Django REST Framework's shapes: {"detail":"..."} (404 "Not
// found.", 403, 405 "Method \"DELETE\" not allowed." with Allow, 409 when
// the state forbids the action, 429 with Retry-After, the seconds until it can
// succeed, for a resend within 24 hours, 415, 413), and for 400 {"<field>":["..."]}, {"non_field_errors":["..."]}, nested for an
// inline employee ({"employee":{"name":[...]}}) and, for a bulk request, a list
// aligned with the input ([{}, {"amount":[...]}]). Guards the documentation
// calls forbidden (deleting an employee with payouts, an invoice once paid,
// changing or deleting the integrations of types 1 and 2) are 403.
// Accept-Language: sv translates the common messages; the default is en.
// POST routes and resend take Idempotency-Key: the same key replays the first
// response, errors included, for 24 hours, except a 429, so that a retry after
// its Retry-After succeeds. OPTIONS describes a route. A client
// that asks for text/html (a browser), or ?format=api, gets each response as a
// readable HTML page; such a client may also authenticate with HTTP Basic, the
// API key as user name and the integration id as password, and its
// authentication failures are 401 with a Basic challenge, so that it asks.
//
// # Routes
//
//	GET    /v2/                              API root: links to every resource (public)
//	GET    /v2/integrations/                 ?type=: the key's integrations
//	POST   /v2/integrations/                 create (type 3) → 201
//	GET    /v2/integrations/{id}/
//	PATCH  /v2/integrations/{id}/            type 2 is read-only (403); the id cannot change
//	PUT    /v2/integrations/{id}/            name, email, recipient, address_line_1, zip_code, city required (every type)
//	DELETE /v2/integrations/{id}/            → 204; 403 for types 1 and 2, or one holding objects
//	GET    /v2/employees/                    ?search=, created_at/notified_at/claimed_at/verified_at filters
//	POST   /v2/employees/                    → 201 (Employee.created)
//	GET    /v2/employees/{id}/
//	PATCH  /v2/employees/{id}/               id, name, email, cellphone_number, country, metadata
//	PUT    /v2/employees/{id}/               name, country, and email or cellphone_number required
//	DELETE /v2/employees/{id}/               → 204; 403 once a payout was registered to them
//	PATCH  /v2/employees/{id}/resend/        → 204; PUT too; 429 (Retry-After) within 24 hours of the last invitation
//	GET    /v2/payouts/                      ?employee=, ?invoice=, ?search=, start_at/end_at/created_at/notified_at/accepted_at filters
//	POST   /v2/payouts/                      an object → 201 payout, or an array → 201 [payouts] on one invoice, all or nothing
//	GET    /v2/payouts/{id}/
//	PATCH  /v2/payouts/{id}/resend/          → 204; PUT too; 409 before notified, 429 (Retry-After) within 24 hours
//	GET    /v2/pricing/                      the breakdowns of payouts, with the payout filters
//	POST   /v2/pricing/                      a payout-shaped object or array → 200 breakdown(s), nothing created
//	GET    /v2/pricing/{id}/                 the breakdown of payout {id}
//	GET    /v2/invoices/                     created_at/paid_at filters
//	GET    /v2/invoices/{id}/
//	PATCH  /v2/invoices/{id}/                id and metadata only
//	DELETE /v2/invoices/{id}/                → 204, with its payouts; 403 once paid
//	POST   /v2/invoices/{id}/close/          → 200 invoice, closed: the next payout opens a new one; 409 when not open
//	GET    /v2/webhooks/
//	POST   /v2/webhooks/                     {"id"?,"url","events":[...],"secret_key"?,"metadata"?} → 201
//	GET    /v2/webhooks/{id}/
//	PATCH  /v2/webhooks/{id}/
//	PUT    /v2/webhooks/{id}/                url and events required; secret_key redrawn when omitted
//	DELETE /v2/webhooks/{id}/                → 204
//
// The employee routes add claim_url, an extension, to the employee object: the
// invitation's (magic) link, when the host serves its page
// (paykit.WithEmployeeURL and the pages package); without it the key is left
// out.
//
// A payout's employee may be an id or an inline employee object: an existing
// employee with its id, or else its email, or else its cellphone number, is
// reused; otherwise it is created. Webhooks are delivered by the Service's
// webhook engine (Service.Run or RunDue) with the Gigapay scheme, which
// NewGigapay registers with the Service: the bare object as the API renders it,
// signed with Gigapay-Signature.
func NewGigapay(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(gigapayScheme)
	g := &gigapay{svc: svc}
	rt := &gigapayRouter{svc: svc}
	rt.route("/v2/", "Api Root", accessPublic, false, methods{"GET": g.apiRoot})
	rt.route("/v2/integrations/", "Integration List", accessAccount, false, methods{"GET": g.listIntegrations, "POST": g.createIntegration})
	rt.route("/v2/integrations/{id}/", "Integration Instance", accessAccount, false, methods{"GET": g.getIntegration,
		"PUT": g.replaceIntegration, "PATCH": g.updateIntegration, "DELETE": g.deleteIntegration})
	rt.route("/v2/employees/", "Employee List", accessIntegration, false, methods{"GET": g.listEmployees, "POST": g.createEmployee})
	rt.route("/v2/employees/{id}/", "Employee Instance", accessIntegration, false, methods{"GET": g.getEmployee,
		"PUT": g.replaceEmployee, "PATCH": g.updateEmployee, "DELETE": g.deleteEmployee})
	rt.route("/v2/employees/{id}/resend/", "Employee Resend", accessIntegration, true, methods{"PUT": g.resendEmployee, "PATCH": g.resendEmployee})
	rt.route("/v2/payouts/", "Payout List", accessIntegration, false, methods{"GET": g.listPayouts, "POST": g.createPayouts})
	// No DELETE: the document's own example of an error is the 405 of
	// DELETE /v2/payouts/123/ (Allow: GET, HEAD, OPTIONS).
	rt.route("/v2/payouts/{id}/", "Payout Instance", accessIntegration, false, methods{"GET": g.getPayout})
	rt.route("/v2/payouts/{id}/resend/", "Payout Resend", accessIntegration, true, methods{"PUT": g.resendPayout, "PATCH": g.resendPayout})
	rt.route("/v2/pricing/", "Pricing List", accessIntegration, false, methods{"GET": g.listPricing, "POST": g.pricePayouts})
	rt.route("/v2/pricing/{id}/", "Pricing Instance", accessIntegration, false, methods{"GET": g.getPricing})
	rt.route("/v2/invoices/", "Invoice List", accessIntegration, false, methods{"GET": g.listInvoices})
	rt.route("/v2/invoices/{id}/", "Invoice Instance", accessIntegration, false, methods{"GET": g.getInvoice,
		"PATCH": g.updateInvoice, "DELETE": g.deleteInvoice})
	rt.route("/v2/invoices/{id}/close/", "Invoice Close", accessIntegration, false, methods{"POST": g.closeInvoice})
	rt.route("/v2/webhooks/", "Webhook List", accessIntegration, false, methods{"GET": g.listWebhooks, "POST": g.createWebhook})
	rt.route("/v2/webhooks/{id}/", "Webhook Instance", accessIntegration, false, methods{"GET": g.getWebhook,
		"PUT": g.replaceWebhook, "PATCH": g.updateWebhook, "DELETE": g.deleteWebhook})
	return rt
}

type gigapay struct {
	svc *paykit.Service
}

// expandSet reads the repeatable expand parameter (each also comma-separated).
func expandSet(q url.Values) map[string]bool {
	out := map[string]bool{}
	for _, v := range q["expand"] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out[f] = true
			}
		}
	}
	return out
}

// abs returns the absolute URL of path (relative to the mount).
func (c *gigapayCall) abs(path string) string { return c.base + path }

func (g *gigapay) apiRoot(c *gigapayCall) (int, any, error) {
	root := orderedObject{}
	for _, k := range []string{"integrations", "employees", "payouts", "pricing", "invoices", "webhooks"} {
		root = append(root, kv{k, c.abs("/v2/" + k + "/")})
	}
	return http.StatusOK, root, nil
}

// orderedObject is a JSON object whose keys keep their order.
type orderedObject []kv

type kv struct {
	k string
	v any
}

// MarshalJSON implements json.Marshaler.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// bind reads the request's object body into a Service input with build, and
// returns the body's validation errors, if build found any.
func bind[T any](c *gigapayCall, build func(*form) T) (T, error) {
	var zero T
	f, err := c.objectForm()
	if err != nil {
		return zero, err
	}
	in := build(f)
	if err := f.v.Err(); err != nil {
		return zero, err
	}
	return in, nil
}

// ok answers 200 with the wire object enc makes of a Service result, or the
// error: ok(gigapayEmployeeOf)(g.svc.FindEmployeeByID(...)).
func ok[T, W any](enc func(T) W) func(T, error) (int, any, error) {
	return answer(http.StatusOK, enc)
}

// created answers 201 as ok answers 200.
func created[T, W any](enc func(T) W) func(T, error) (int, any, error) {
	return answer(http.StatusCreated, enc)
}

// answer is ok and created: a Service method's two results in, a handler's
// three out, so that no handler renders a root type as it is.
func answer[T, W any](status int, enc func(T) W) func(T, error) (int, any, error) {
	return func(v T, err error) (int, any, error) {
		if err != nil {
			return 0, nil, err
		}
		return status, enc(v), nil
	}
}
