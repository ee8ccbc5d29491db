package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
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
// /v2/integrations/ and the API root). Header names match in any case. Without
// credentials: 403 {"detail":"Authentication credentials were not provided."};
// a wrong key: 401 {"detail":"Invalid token."} with WWW-Authenticate: Token; a
// missing, unknown or foreign Integration-ID: 403 {"detail":...}.
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
// data (multipart too: an integration's logo may be a file); unknown and
// read-only fields are ignored, as Django REST Framework does.
//
// Errors have Django REST Framework's shapes: {"detail":"..."} (404 "Not
// found.", 401, 403, 405 "Method \"DELETE\" not allowed." with Allow, 409 when
// the state forbids the action, 429 for a resend within 24 hours, 415, 413),
// and for 400 {"<field>":["..."]}, {"non_field_errors":["..."]}, nested for an
// inline employee ({"employee":{"name":[...]}}) and, for a bulk request, a list
// aligned with the input ([{}, {"amount":[...]}]). Guards the documentation
// calls forbidden (deleting an employee with payouts, a payout or invoice once
// paid, changing or deleting the integrations of types 1 and 2) are 403.
// Accept-Language: sv translates the common messages; the default is en.
// POST routes and resend take Idempotency-Key: the same key replays the first
// response, errors included, for 24 hours. OPTIONS describes a route. A client
// that asks for text/html (a browser), or ?format=api, gets each response as a
// readable HTML page; such a client may also authenticate with HTTP Basic, the
// API key as user name and the integration id as password.
//
// # Routes
//
//	GET    /v2/                              API root: links to every resource (public)
//	GET    /v2/integrations/                 ?type=: the key's integrations
//	POST   /v2/integrations/                 create (type 3) → 201
//	GET    /v2/integrations/{id}/
//	PATCH  /v2/integrations/{id}/            type 2 is read-only (403); the id cannot change
//	PUT    /v2/integrations/{id}/
//	DELETE /v2/integrations/{id}/            → 204; 403 for types 1 and 2, or one holding objects
//	GET    /v2/employees/                    ?search=, created_at/notified_at/claimed_at/verified_at filters
//	POST   /v2/employees/                    → 201 (Employee.created)
//	GET    /v2/employees/{id}/
//	PATCH  /v2/employees/{id}/               id, name, email, cellphone_number, country, metadata
//	PUT    /v2/employees/{id}/
//	DELETE /v2/employees/{id}/               → 204; 403 once a payout was registered to them
//	PATCH  /v2/employees/{id}/resend/        → 204; PUT too; 429 within 24 hours of the last invitation
//	GET    /v2/payouts/                      ?employee=, ?invoice=, ?search=, start_at/end_at/created_at/notified_at/accepted_at filters
//	POST   /v2/payouts/                      an object → 201 payout, or an array → 201 [payouts] on one invoice, all or nothing
//	GET    /v2/payouts/{id}/
//	DELETE /v2/payouts/{id}/                 → 204; 403 once its invoice is paid
//	PATCH  /v2/payouts/{id}/resend/          → 204; PUT too; 409 before notified, 429 within 24 hours
//	GET    /v2/pricing/                      the breakdowns of payouts, with the payout filters
//	POST   /v2/pricing/                      a payout-shaped object or array → 200 breakdown(s), nothing created
//	GET    /v2/pricing/{id}/                 the breakdown of payout {id}
//	GET    /v2/invoices/                     created_at/paid_at filters
//	GET    /v2/invoices/{id}/
//	PATCH  /v2/invoices/{id}/                id and metadata only
//	DELETE /v2/invoices/{id}/                → 204, with its payouts; 403 once paid
//	GET    /v2/webhooks/
//	POST   /v2/webhooks/                     {"id"?,"url","events":[...],"secret_key"?,"metadata"?} → 201
//	GET    /v2/webhooks/{id}/
//	PATCH  /v2/webhooks/{id}/
//	PUT    /v2/webhooks/{id}/                url and events required; secret_key redrawn when omitted
//	DELETE /v2/webhooks/{id}/                → 204
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
	rt.route("/v2/payouts/{id}/", "Payout Instance", accessIntegration, false, methods{"GET": g.getPayout, "DELETE": g.deletePayout})
	rt.route("/v2/payouts/{id}/resend/", "Payout Resend", accessIntegration, true, methods{"PUT": g.resendPayout, "PATCH": g.resendPayout})
	rt.route("/v2/pricing/", "Pricing List", accessIntegration, false, methods{"GET": g.listPricing, "POST": g.pricePayouts})
	rt.route("/v2/pricing/{id}/", "Pricing Instance", accessIntegration, false, methods{"GET": g.getPricing})
	rt.route("/v2/invoices/", "Invoice List", accessIntegration, false, methods{"GET": g.listInvoices})
	rt.route("/v2/invoices/{id}/", "Invoice Instance", accessIntegration, false, methods{"GET": g.getInvoice,
		"PATCH": g.updateInvoice, "DELETE": g.deleteInvoice})
	rt.route("/v2/webhooks/", "Webhook List", accessIntegration, false, methods{"GET": g.listWebhooks, "POST": g.createWebhook})
	rt.route("/v2/webhooks/{id}/", "Webhook Instance", accessIntegration, false, methods{"GET": g.getWebhook,
		"PUT": g.replaceWebhook, "PATCH": g.updateWebhook, "DELETE": g.deleteWebhook})
	return rt
}

type gigapay struct {
	svc *paykit.Service
}

// Who may call a route.
const (
	accessPublic      = iota // anyone
	accessAccount            // an API key; the tenant of the key acts
	accessIntegration        // an API key and the Integration-ID it may act on
)

// gigapayHandler serves one method of a route: it returns the status and the
// body to render (nil for none), or the error to render.
type gigapayHandler func(c *gigapayCall) (int, any, error)

type methods map[string]gigapayHandler

type gigapayRoute struct {
	pattern    string
	segs       []string
	name       string
	access     int
	idempotent bool // PUT and PATCH take an Idempotency-Key (resend)
	methods    methods
}

// allow lists the route's methods in Django REST Framework's order.
func (rt *gigapayRoute) allow() []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if rt.methods[m] != nil {
			out = append(out, m)
		}
	}
	if rt.methods["GET"] != nil {
		out = append(out, "HEAD")
	}
	return append(out, "OPTIONS")
}

// gigapayRouter matches paths itself rather than with a ServeMux, so that a
// missing trailing slash is a 307 that keeps the mount prefix, and every
// error, 404 and 405 included, is in the dialect's shape.
type gigapayRouter struct {
	svc    *paykit.Service
	routes []*gigapayRoute
}

func (rt *gigapayRouter) route(pattern, name string, access int, idempotent bool, m methods) {
	rt.routes = append(rt.routes, &gigapayRoute{pattern: pattern, segs: strings.Split(strings.Trim(pattern, "/"), "/"),
		name: name, access: access, idempotent: idempotent, methods: m})
}

// match returns the route of an escaped path that ends in a slash, and its
// path values.
func (rt *gigapayRouter) match(escaped string) (*gigapayRoute, map[string]string) {
	if !strings.HasSuffix(escaped, "/") || !strings.HasPrefix(escaped, "/") {
		return nil, nil
	}
	segs := strings.Split(strings.Trim(escaped, "/"), "/")
next:
	for _, r := range rt.routes {
		if len(r.segs) != len(segs) {
			continue
		}
		vals := map[string]string{}
		for i, s := range r.segs {
			v, err := url.PathUnescape(segs[i])
			switch {
			case err != nil || v == "":
				continue next
			case strings.HasPrefix(s, "{"):
				vals[strings.Trim(s, "{}")] = v
			case s != v:
				continue next
			}
		}
		return r, vals
	}
	return nil, nil
}

// gigapayCall is one request to the dialect.
type gigapayCall struct {
	svc      *paykit.Service
	w        http.ResponseWriter
	r        *http.Request
	ctx      context.Context
	route    *gigapayRoute
	account  *paykit.Tenant // the API key's tenant
	tenantID string         // the integration acted on (the account on /integrations/)
	lang     string         // "en" or "sv"
	html     bool
	base     string // scheme://host/prefix of the mount, without a trailing slash
	expand   map[string]bool
	cache    map[string]any // expanded objects already loaded, by kind and id
}

// ServeHTTP implements http.Handler.
func (rt *gigapayRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &gigapayCall{svc: rt.svc, w: w, r: r, ctx: r.Context(), lang: gigapayLanguage(r), html: wantsHTML(r),
		base: mountBase(r), expand: expandSet(r.URL.Query()), cache: map[string]any{}}
	w.Header().Set("Vary", "Accept, Accept-Language")
	w.Header().Set("Content-Language", c.lang)
	escaped := r.URL.EscapedPath()
	route, vals := rt.match(escaped)
	if route == nil {
		// Django's APPEND_SLASH: a path that matches with a slash is redirected,
		// with a 307 so that a POST stays a POST.
		if !strings.HasSuffix(escaped, "/") {
			if route, _ := rt.match(escaped + "/"); route != nil {
				loc := c.base + escaped + "/"
				if r.URL.RawQuery != "" {
					loc += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, loc, http.StatusTemporaryRedirect)
				return
			}
		}
		c.render(http.StatusNotFound, nil, paykit.Errorf(paykit.ENOTFOUND, "Not found."))
		return
	}
	c.route = route
	for k, v := range vals {
		r.SetPathValue(k, v)
	}
	w.Header().Set("Allow", strings.Join(route.allow(), ", "))
	if err := c.authenticate(); err != nil {
		c.render(0, nil, err)
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if method == http.MethodOptions {
		c.render(http.StatusOK, map[string]any{"name": route.name, "description": "",
			"renders": []string{"application/json", "text/html"},
			"parses":  []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}}, nil)
		return
	}
	h := route.methods[method]
	if h == nil {
		c.render(0, nil, paykit.Errorf(codeMethodNotAllowed, "Method %q not allowed.", r.Method))
		return
	}
	if key := headerCI(r, "Idempotency-Key"); key != "" && (method == http.MethodPost || route.idempotent) {
		c.ctx = paykit.WithIdempotencyKey(c.ctx, key)
	}
	status, body, err := h(c)
	c.render(status, body, err)
}

// headerCI returns the header named name, matched in any case (Go
// canonicalizes names, but a name with an unusual spelling may reach us
// through a proxy uncanonicalized).
func headerCI(r *http.Request, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// authenticate finds the account by its API key, and on integration routes the
// integration named by Integration-ID.
func (c *gigapayCall) authenticate() error {
	if c.route.access == accessPublic {
		return nil
	}
	key, integrationID, err := gigapayCredentials(c.r, c.html)
	if err != nil {
		return err
	}
	t, err := c.svc.Authenticate(c.ctx, key)
	if paykit.ErrorCode(err) == paykit.EUNAUTHORIZED {
		return paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token.")
	} else if err != nil {
		return err
	}
	c.account, c.tenantID = t, t.ID
	if c.route.access == accessAccount {
		return nil
	}
	if integrationID == "" {
		return paykit.Errorf(paykit.EFORBIDDEN, "The Integration-ID header is required.")
	}
	integ, err := c.svc.FindIntegrationByID(c.ctx, t.ID, integrationID)
	if paykit.ErrorCode(err) == paykit.ENOTFOUND {
		return paykit.Errorf(paykit.EFORBIDDEN, "Integration %q does not exist or does not belong to this API key.", integrationID)
	} else if err != nil {
		return err
	}
	c.tenantID = integ.ID
	return nil
}

// errNoCredentials is a missing Authorization header: 403, as the Gigapay
// documentation says, or in a browser a 401 that makes it ask for HTTP Basic
// credentials.
var errNoCredentials = paykit.Errorf(paykit.EFORBIDDEN, "Authentication credentials were not provided.")

// gigapayCredentials returns the API key of "Authorization: Token <key>" and
// the Integration-ID header; in a browser also HTTP Basic, with the key as user
// name and the integration id as password.
func gigapayCredentials(r *http.Request, html bool) (key, integrationID string, err error) {
	integrationID = strings.TrimSpace(headerCI(r, "Integration-ID"))
	h := strings.TrimSpace(headerCI(r, "Authorization"))
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Token"):
		switch {
		case rest == "":
			return "", "", paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token header. No credentials provided.")
		case strings.ContainsAny(rest, " \t"):
			return "", "", paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token header. Token string should not contain spaces.")
		}
		return rest, integrationID, nil
	case html && strings.EqualFold(scheme, "Basic"):
		if user, pass, ok := r.BasicAuth(); ok && user != "" {
			if integrationID == "" {
				integrationID = pass
			}
			return user, integrationID, nil
		}
	}
	if html {
		return "", "", &statusError{http.StatusUnauthorized, errNoCredentials}
	}
	return "", "", errNoCredentials
}

// render writes body with status, or err in its Django REST Framework shape,
// as JSON or, for a browser, as an HTML page.
func (c *gigapayCall) render(status int, body any, err error) {
	if err != nil {
		logError(c.r, err)
		status, body = c.errorBody(err)
		if status == http.StatusUnauthorized {
			if c.html {
				c.w.Header().Set("WWW-Authenticate", `Basic realm="Gigapay API: the API key as user name, the Integration-ID as password", charset="UTF-8"`)
			} else {
				c.w.Header().Set("WWW-Authenticate", "Token")
			}
		}
	}
	if status == http.StatusNoContent {
		c.w.WriteHeader(status)
		return
	}
	if c.r.Method == http.MethodHead {
		// The headers of the GET, without its body.
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(status)
		return
	}
	if c.html {
		c.renderHTML(status, body)
		return
	}
	writeJSON(c.w, status, body)
}

// gigapayStatuses maps error codes to statuses in this dialect.
var gigapayStatuses = map[string]int{
	paykit.EINVALID:      http.StatusBadRequest,
	paykit.EUNAUTHORIZED: http.StatusUnauthorized,
	paykit.EFORBIDDEN:    http.StatusForbidden,
	paykit.ENOTFOUND:     http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	paykit.ECONFLICT:     http.StatusConflict,
	paykit.EEXPIRED:      http.StatusGone,
	paykit.ELIMIT:        http.StatusTooManyRequests,
}

// bulkError is an error about the items of a list body of n items, whose
// fields are named "[i].field".
type bulkError struct {
	n   int
	err error
}

func (e *bulkError) Error() string { return e.err.Error() }
func (e *bulkError) Unwrap() error { return e.err }

// errorBody returns the status and the Django REST Framework body of err, its
// fields and messages in the wire's words (gigapay_names.go).
func (c *gigapayCall) errorBody(err error) (int, any) {
	status, ok := gigapayStatuses[paykit.ErrorCode(err)]
	var se *statusError
	if errors.As(err, &se) {
		status, ok = se.status, true
	}
	if !ok {
		return http.StatusInternalServerError, map[string]string{"detail": c.tr("A server error occurred.")}
	}
	msg := gigapayMessage(paykit.ErrorMessage(err))
	var fields map[string]string
	if fs := paykit.ErrorFields(err); len(fs) > 0 {
		fields = make(map[string]string, len(fs))
		for k, m := range fs {
			fields[gigapayField(k)] = gigapayMessage(m)
		}
	}
	switch {
	case paykit.ErrorCode(err) == paykit.ENOTFOUND:
		msg = "Not found."
	case paykit.ErrorCode(err) == paykit.EINVALID && len(fields) > 0 && !(len(fields) == 1 && fields["Idempotency-Key"] != ""):
		n := 0
		var be *bulkError
		if errors.As(err, &be) {
			n = be.n
		}
		return status, c.fieldErrors(fields, n)
	}
	return status, map[string]string{"detail": c.tr(msg)}
}

// fieldErrors nests per-field messages as Django REST Framework does:
// {"field":["msg"]}, {"employee":{"name":["msg"]}}, and for a list body of n
// items a list of such objects ({} for an item without errors).
func (c *gigapayCall) fieldErrors(fields map[string]string, n int) any {
	top := map[string]any{}
	var items []map[string]any
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		obj, path := top, k
		if strings.HasPrefix(k, "[") {
			end := strings.Index(k, "].")
			i, err := strconv.Atoi(k[1:max(end, 1)])
			if end > 0 && err == nil && i >= 0 && i < n {
				if items == nil {
					items = make([]map[string]any, n)
					for j := range items {
						items[j] = map[string]any{}
					}
				}
				obj, path = items[i], k[end+2:]
			}
		}
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := obj[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				obj[p] = sub
			}
			obj = sub
		}
		obj[parts[len(parts)-1]] = []string{c.tr(fields[k])}
	}
	if items != nil {
		return items
	}
	return top
}

// URLs and negotiation.

// mountBase returns the absolute URL of the dialect's mount point: the scheme
// and host the client used (X-Forwarded-Proto and X-Forwarded-Host when a proxy
// sets them), and the prefix the request's path has beyond the path the
// dialect sees, which http.StripPrefix removed from URL.Path but not from
// RequestURI (X-Forwarded-Prefix is put in front of it).
func mountBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0])); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Host"), ",")[0]); h != "" && !strings.ContainsAny(h, "/\\ ") {
		host = h
	}
	prefix := ""
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		full, seen := u.EscapedPath(), r.URL.EscapedPath()
		if strings.HasSuffix(full, seen) {
			prefix = strings.TrimSuffix(full, seen)
		}
	}
	if p := strings.TrimRight(r.Header.Get("X-Forwarded-Prefix"), "/"); strings.HasPrefix(p, "/") && !strings.ContainsAny(p, "?#\\ ") {
		prefix = p + prefix
	}
	return scheme + "://" + host + prefix
}

// wantsHTML reports whether the client asks for the browsable API: ?format=api,
// or an Accept header preferring text/html to JSON, as a browser's does.
func wantsHTML(r *http.Request) bool {
	switch r.URL.Query().Get("format") {
	case "api":
		return true
	case "json":
		return false
	}
	html, jsonQ := -1.0, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		typ, q := mediaRange(part)
		switch typ {
		case "text/html":
			html = max(html, q)
		case "application/json":
			jsonQ = max(jsonQ, q)
		}
	}
	return html > 0 && html >= jsonQ
}

// mediaRange returns the type of an Accept element and its quality.
func mediaRange(part string) (string, float64) {
	typ, params, _ := strings.Cut(strings.TrimSpace(part), ";")
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
	}
	return strings.ToLower(strings.TrimSpace(typ)), q
}

// gigapayLanguage returns the language of the response: sv or en (the
// default), the one Accept-Language prefers.
func gigapayLanguage(r *http.Request) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, q := mediaRange(part)
		lang, _, _ := strings.Cut(tag, "-")
		if (lang == "sv" || lang == "en") && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// svMessages translates the common messages to Swedish, as Django REST
// Framework's own translations do.
var svMessages = map[string]string{
	"Not found.":                                                   "Hittades inte.",
	"Invalid page.":                                                "Ogiltig sida.",
	"Invalid cursor.":                                              "Ogiltig markör.",
	"This field is required.":                                      "Det här fältet är obligatoriskt.",
	"This field may not be blank.":                                 "Det här fältet får inte vara blankt.",
	"This field may not be null.":                                  "Det här fältet får inte vara null.",
	"This list may not be empty.":                                  "Den här listan får inte vara tom.",
	"A valid number is required.":                                  "Ett giltigt nummer krävs.",
	"Enter a valid email address.":                                 "Ange en giltig e-postadress.",
	"Enter a valid date/time.":                                     "Ange ett giltigt datum/tid.",
	"Not a valid string.":                                          "Inte en giltig sträng.",
	"Must be a valid boolean.":                                     "Måste vara ett giltigt booleskt värde.",
	"Invalid token.":                                               "Ogiltig token.",
	"A server error occurred.":                                     "Ett serverfel inträffade.",
	"Amount must be greater than zero.":                            "Beloppet måste vara större än noll.",
	"Authentication credentials were not provided.":                "Autentiseringsuppgifter ej tillhandahållna.",
	"The Integration-ID header is required.":                       "Rubriken Integration-ID är obligatorisk.",
	"Invalid token header. No credentials provided.":               "Ogiltig token-rubrik. Inga autentiseringsuppgifter angavs.",
	"Exactly one of amount, invoiced_amount and cost is required.": "Exakt ett av amount, invoiced_amount och cost krävs.",
	"Either email or cellphone_number is required.":                "Antingen email eller cellphone_number krävs.",
	"Ensure this field has no more than 255 characters.":           "Se till att detta fält inte har fler än 255 tecken.",
}

// tr translates msg into the call's language when it can.
func (c *gigapayCall) tr(msg string) string {
	if c.lang != "sv" {
		return msg
	}
	if s, ok := svMessages[msg]; ok {
		return s
	}
	if m, ok := strings.CutPrefix(msg, "Method "); ok {
		if m, ok := strings.CutSuffix(m, " not allowed."); ok {
			return "Metoden " + m + " tillåts inte."
		}
	}
	return msg
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
