package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// URLs and content negotiation of the Gigapay dialect: the mount point, the
// browsable API, and the response's language.

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
