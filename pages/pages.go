// Package pages serves the HTML pages people open from the links paykit's APIs
// hand out, and an operator console: server-rendered with html/template, their
// stylesheet embedded in the binary, no script, no external request. Each set
// of pages is one http.Handler with routes relative to where it is mounted, so
// a host mounts it at any prefix of any mux (with http.StripPrefix):
//
//	NewWallet    GigPay wallet links (paykit.WithWalletURL: <base>/<tenant>/payment/<token>)
//	  GET  /{tenant}/payment/{token}          the token: amount, memo, payer, expiry, status
//	  POST /{tenant}/payment/{token}/accept   claim it into an account ("account")
//	  POST /{tenant}/payment/{token}/reject   refuse it
//	NewMemento   Memento request links (paykit.WithRequestURL: <base>/<tenant>/<id>?token=)
//	  GET  /{tenant}/{id}?token=              merchant, amount, description, image, time left
//	  POST /{tenant}/{id}/pay|decline?token=  the payer pays or declines (the callback fires as from the API)
//	NewGigapay   Gigapay app links (paykit.WithInvoiceAppURL, paykit.WithEmployeeURL)
//	  GET  /i/{id}/?token=                    an invoice: its price, OCR number and payouts
//	  POST /i/{id}/pay?token=                 the client pays it (the sandbox's bank transfer)
//	  GET  /e/{tenant}/{uid}/?token=          an employee's invitation
//	  POST /e/{tenant}/{uid}/claim|verify?token=  the employee claims it, then verifies (the sandbox's check)
//	NewGigstack  gigstack payment links (shortURL: <api base>/pay/<token>)
//	  GET  /pay/{token}                       the charge: amount, items, status
//	  POST /pay/{token}                       pay it (sandbox processor only)
//	NewRudiqPay  RudiqPay widgets (paykit.WithWidgetURL: <base>/<id>?token=<access_token>)
//	  GET  /{id}?token=                       address, amount, network, status of a web3 payment
//	NewConsole   the operator console of a tenant, behind a login with its API key
//	  GET  /login                             the login form (a tenant's API key)
//	  POST /login  /logout
//	  GET  /  /accounts  /payments  /tokens  /requests  /payouts  /events  /deliveries  /deliveries/{id}
//	                                          the overview (charts) and the lists, ?after= (?page= for payouts) pages them
//	  POST /deliveries/{id}/redeliver         send the delivery's event again (Service.RedeliverEvent)
//
// Every set also serves GET /assets/{name}, its stylesheet (gigstack's at
// /pay/assets/{name}).
//
// The pages call the Service only, and hold no rule the API does not have:
// what a page may do is what the Service lets the link's holder do.
//
// Security: every response carries a strict Content-Security-Policy (nothing
// but the page's own stylesheet and images; forms post only to the page's
// origin; no framing), X-Content-Type-Options, Referrer-Policy: no-referrer
// and, for pages, Cache-Control: no-store, since their URLs are capabilities.
// Every state change is a POST with a form token (forms.go): a MAC, under the
// handler's key, of the capability or session, the action, the state of what
// the form acts on when it was shown, and an expiry by the Service's clock. A
// missing or forged token is refused (403), an expired one too (403), and one
// shown for a state that has since changed — a form posted twice — is refused
// as stale (409), and nothing changes.
package pages

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// Options configure a set of pages.
type Options struct {
	// Key signs the forms' tokens and seals console sessions: at least 32
	// random bytes, the same in every process that serves the pages (a form
	// shown by one may be posted to another). Nil draws one at random, so
	// forms shown before a restart are refused after it, and console users
	// log in again.
	Key []byte
	// Logger receives internal errors, whose messages never reach a page.
	// The default discards.
	Logger *slog.Logger
	// FormTTL is how long a form may be posted after it is shown, by the
	// Service's clock (default DefaultFormTTL).
	FormTTL time.Duration
	// SessionTTL is how long a console login lasts (default
	// DefaultSessionTTL).
	SessionTTL time.Duration
}

// Defaults of Options.
const (
	DefaultFormTTL    = time.Hour
	DefaultSessionTTL = 8 * time.Hour
)

// site is what every set of pages shares: the Service, the keys, the
// templates.
type site struct {
	svc        *paykit.Service
	log        *slog.Logger
	forms      forms
	sessionKey []byte // seals console sessions (console_session.go)
	sessionTTL time.Duration
	// assets is where the stylesheet is served, relative to the mount:
	// /assets, or below the one path a host routes to the pages
	// (gigstack's /pay/assets).
	assets string
}

func newSite(svc *paykit.Service, o Options) *site {
	key := o.Key
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
	}
	s := &site{svc: svc, log: o.Logger, sessionTTL: o.SessionTTL, assets: "/assets"}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	ttl := o.FormTTL
	if ttl <= 0 {
		ttl = DefaultFormTTL
	}
	s.forms = forms{key: derive(key, "paykit pages forms v1"), ttl: ttl, now: svc.Clock().Now}
	s.sessionKey = derive(key, "paykit pages sessions v1")
	return s
}

// The Content-Security-Policy of every response: nothing loads but the
// page's own stylesheet and images, forms post to this origin only, and no
// one frames the page. A page that shows an image from elsewhere (a Memento
// request's) adds that one origin to img-src.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// maxFormBytes bounds a form's body.
const maxFormBytes = 64 << 10

// secure sets the headers every response of the pages carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		// A form is a few fields: a larger body is refused as it is read.
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if !strings.Contains(r.URL.Path, "/assets/") {
			// The URL is a capability, or the page a tenant's data.
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// newMux returns a mux for a set of pages with the assets' route, at
// <mount>/assets/ (see site.assets), and the error page for every path the
// set does not route.
func (s *site) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+s.assets+"/{name}", http.StripPrefix(strings.TrimSuffix(s.assets, "/assets"), assetHandler()))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, paykit.Errorf(paykit.ENOTFOUND, "Not found."))
	})
	return mux
}

// basePath returns the path the handler is mounted at: what http.StripPrefix
// removed from the request's path ("" at the root), for the links and forms
// of a page, which are absolute paths.
func basePath(r *http.Request) string {
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return ""
	}
	full, seen := u.EscapedPath(), r.URL.EscapedPath()
	if !strings.HasSuffix(full, seen) {
		return ""
	}
	return strings.TrimSuffix(full, seen)
}

// isHTTPS reports whether the client reached the page over TLS, itself or
// through a proxy that says so.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https")
}

// errorView is what the error page shows.
type errorView struct {
	Status  int
	Title   string
	Message string
}

// errForm is a form refused before the Service saw it.
type errForm struct {
	status  int
	title   string
	message string
}

func (e *errForm) Error() string { return e.title + ": " + e.message }

// fail renders the error page of err: a paykit error's code decides the
// status and its message is shown; any other error is logged and shown as an
// internal error.
func (s *site) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *errForm
	if errors.As(err, &fe) {
		s.errorPage(w, r, errorView{fe.status, fe.title, fe.message})
		return
	}
	v := errorView{Message: paykit.ErrorMessage(err)}
	switch paykit.ErrorCode(err) {
	case paykit.ENOTFOUND:
		v.Status, v.Title = http.StatusNotFound, "Not found"
		v.Message = "This link does not open anything. Check that it was copied whole."
	case paykit.EEXPIRED:
		v.Status, v.Title = http.StatusGone, "Expired"
	case paykit.ECONFLICT:
		v.Status, v.Title = http.StatusConflict, "Not possible now"
	case paykit.EINVALID:
		v.Status, v.Title = http.StatusBadRequest, "Check what you entered"
		for _, m := range paykit.ErrorFields(err) {
			v.Message += " " + m
		}
	case paykit.EUNAUTHORIZED:
		v.Status, v.Title = http.StatusUnauthorized, "Not signed in"
	case paykit.EFORBIDDEN:
		v.Status, v.Title = http.StatusForbidden, "Not allowed"
	case paykit.ELIMIT:
		v.Status, v.Title = http.StatusUnprocessableEntity, "Over a limit"
	case paykit.EUNAVAILABLE:
		v.Status, v.Title = http.StatusServiceUnavailable, "Busy"
		if d, ok := s.svc.RetryAfter(err); ok {
			w.Header().Set("Retry-After", retryAfterSeconds(d))
		}
	default:
		s.log.Error("pages", "method", r.Method, "path", r.URL.Path, "err", err)
		v.Status, v.Title, v.Message = http.StatusInternalServerError, "Something went wrong", "Internal error. Please try again later."
	}
	s.errorPage(w, r, v)
}

func (s *site) errorPage(w http.ResponseWriter, r *http.Request, v errorView) {
	s.render(w, r, v.Status, "error", view{Title: v.Title, Data: v})
}

// seeOther sends the browser to path under the handler's base after a POST,
// so that a reload shows the page rather than posting again.
func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, basePath(r)+path, http.StatusSeeOther)
}
