package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/paykit/paykit"
)

// The Gigapay dialect's router: routes matched by hand, so that every answer,
// 404 and 405 included, is in the dialect's shape (see NewGigapay).

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
	cache    map[string]any    // expanded objects already loaded, by kind and id
	empty    map[string]string // the body's strings that arrived null or blank (see form.empty)
	notJSON  map[string]bool   // the form body's JSON fields whose text is not JSON (see formJSON)
}

// ServeHTTP implements http.Handler.
func (rt *gigapayRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &gigapayCall{svc: rt.svc, w: w, r: r, ctx: r.Context(), lang: gigapayLanguage(r), html: wantsHTML(r),
		base: mountBase(r), expand: expandSet(r.URL.Query()), cache: map[string]any{}}
	w.Header().Set("Vary", "Accept, Accept-Language")
	w.Header().Set("Content-Language", c.lang)
	if from, refused := crossSite(r); refused {
		// Django's own words for its CSRF check of a browser session.
		c.render(http.StatusForbidden, map[string]string{"detail": "CSRF Failed: Origin checker failed - " + from +
			" does not match any trusted origins."}, nil)
		return
	}
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
