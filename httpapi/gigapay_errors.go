package httpapi

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/paykit/paykit"
)

// Errors of the Gigapay dialect, in Django REST Framework's shapes.

// render writes body with status, or err in its Django REST Framework shape,
// as JSON or, for a browser, as an HTML page: the dialect's one error writer,
// which sets Retry-After on a 429 (a resend within 24 hours) as Django REST
// Framework does with its throttle's text.
func (c *gigapayCall) render(status int, body any, err error) {
	if err != nil {
		logError(c.r, err)
		status, body = c.errorBody(err)
		setRetryAfter(c.w, c.r, c.svc, status, err)
		if c.html && paykit.ErrorCode(err) == paykit.EUNAUTHORIZED {
			// A browser is asked for HTTP Basic credentials instead, which
			// only a 401 does.
			status = http.StatusUnauthorized
			c.w.Header().Set("WWW-Authenticate", `Basic realm="Gigapay API: the API key as user name, the Integration-ID as password", charset="UTF-8"`)
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

// gigapayStatuses maps error codes to statuses in this dialect. Every
// authentication failure is 403, a missing key and a wrong one alike: "API
// requests without authentication will fail with the HTTP response code 403"
// (Django REST Framework answers so when its first authentication class sends
// no WWW-Authenticate challenge).
var gigapayStatuses = map[string]int{
	paykit.EINVALID:      http.StatusBadRequest,
	paykit.EUNAUTHORIZED: http.StatusForbidden,
	paykit.EFORBIDDEN:    http.StatusForbidden,
	paykit.ENOTFOUND:     http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	paykit.ECONFLICT:     http.StatusConflict,
	paykit.EEXPIRED:      http.StatusGone,
	paykit.ELIMIT:        http.StatusTooManyRequests,
	paykit.EUNAVAILABLE:  http.StatusServiceUnavailable,
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
			w := gigapayField(k)
			fields[w] = gigapayMessage(m)
			if how, ok := c.empty[w]; ok {
				// The Service refused a value that arrived empty: say how.
				fields[w] = gigapayEmpty[how]
			}
		}
	}
	switch {
	case paykit.ErrorCode(err) == paykit.ENOTFOUND:
		msg = "Not found."
	case paykit.ErrorCode(err) == paykit.EUNAVAILABLE:
		msg = "Service temporarily unavailable, try again later." // DRF's ServiceUnavailable
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
