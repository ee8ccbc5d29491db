package paykit

import (
	"net/url"
	"slices"
	"strings"

	"github.com/paykit/paykit/internal/safedial"
	"github.com/paykit/paykit/signing"
)

// Validation of webhook endpoints: URL, scheme, secrets, headers, metadata and
// the event filter (webhooks.go holds the endpoints' lifecycle).

// checkEndpoint validates e (with events as its new event filter: event types,
// or names of catalog when that is not nil) into v, and returns the filter's
// event types without duplicates.
func (s *Service) checkEndpoint(v *Validation, e *Endpoint, events []string, catalog map[string]string) []string {
	if err := s.checkURL(e.URL); err != nil {
		v.Add("url", ErrorMessage(err))
	}
	s.checkScheme(v, e)
	switch {
	case !validStandardSecret(e.StandardSecret) || len(e.StandardSecret) > maxSecret:
		v.Add("standardSecret", "Standard secrets are whsec_ followed by base64.")
	case e.Scheme == SchemeStandard && e.StandardSecret != e.Secret:
		v.Add("standardSecret", "A standard endpoint has one secret: give the same as secret, or only one of them.")
	}
	if len(e.Description) > maxEndpointDescription {
		v.Add("description", "Descriptions have at most 1000 characters.")
	}
	if len(e.Headers) > maxEndpointHeaders {
		v.Add("headers", "An endpoint has at most 20 custom headers.")
	}
	reserved := s.reservedHeaders()
	for k, val := range e.Headers {
		switch {
		case !validHeaderName(k):
			v.Add("headers", "Header "+quote(k)+" is not a valid header name.")
		case slices.ContainsFunc(reserved, func(r string) bool { return strings.EqualFold(r, k) }):
			v.Add("headers", "Header "+k+" is set by the webhook sender and cannot be replaced.")
		case sensitiveHeader(k):
			v.Add("headers", "Header "+k+" may not be sent to an endpoint: it could carry credentials or routing meant for another service.")
		case strings.ContainsAny(val, "\r\n\x00") || len(val) > 1024:
			v.Add("headers", "Header "+k+" has an invalid value.")
		}
	}
	checkEndpointMetadata(v, e.Metadata)
	if len(events) > maxEndpointEvents {
		v.Add("events", "An endpoint subscribes to at most 100 event types.")
		return events
	}
	out := make([]string, 0, len(events))
	for _, ev := range events {
		typ, known := ev, true
		if catalog != nil {
			typ, known = catalog[ev]
		}
		switch {
		case strings.TrimSpace(ev) == "" || len(ev) > 128:
			v.Add("events", "Event types are 1 to 128 characters.")
		case !known:
			v.Add("events", quote(ev)+" is not a known event.")
		case !slices.Contains(out, typ):
			out = append(out, typ)
		}
	}
	return out
}

// checkURL accepts an absolute http or https URL; with safe destinations (the
// default), not one whose host is a non-public IP address in any spelling, an
// IPv4 address in a legacy spelling (2130706433, 0x7f.1: clients read them
// differently), or a localhost name. Host names are checked again, after
// resolution, on every attempt.
func (s *Service) checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return Errorf(EINVALID, msgRequired)
	case len(raw) > maxEndpointURL:
		return Errorf(EINVALID, "URLs have at most 2048 characters.")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return Errorf(EINVALID, "Give an absolute http or https URL.")
	}
	if !s.webhooks.safe {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if name := strings.TrimSuffix(host, "."); slices.Contains(localhostNames, name) || strings.HasSuffix(name, ".localhost") {
		return Errorf(EINVALID, "Webhook URLs may not point at this machine.")
	}
	if ip, canonical, ok := safedial.ParseHost(host); ok {
		if reason := safedial.Classify(ip); reason != "" {
			return Errorf(EINVALID, "Webhook URLs may not point at a %s address.", reason)
		}
		if !canonical {
			return Errorf(EINVALID, "Write an IPv4 address as four decimal numbers, like 93.184.216.34.")
		}
	}
	return nil
}

// localhostNames are the names of this machine that resolve without DNS
// (RFC 6761's localhost, and the usual /etc/hosts aliases).
var localhostNames = []string{"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

// sensitiveHeaders are the custom headers an endpoint may not send, with
// sensitivePrefixes: credentials and routing that a receiver's URL could
// misuse against another service (an Authorization or Cookie meant for an
// internal API, the cloud metadata services' Metadata-Flavor, Metadata and
// X-aws-ec2-metadata-token, proxies' and load balancers' forwarding headers
// that a backend trusts for the client's address, and method and URL
// overrides). A receiver authenticates deliveries by their signatures.
var sensitiveHeaders = []string{
	"Authorization", "Cookie", "Cookie2", "Host", "Forwarded", "Via", "Max-Forwards", "TE", "Trailer", "Upgrade",
	"Keep-Alive", "Expect", "Metadata", "Metadata-Flavor", "X-Google-Metadata-Request", "X-aws-ec2-metadata-token",
	"X-aws-ec2-metadata-token-ttl-seconds", "X-Real-IP", "X-Client-IP", "True-Client-IP", "X-Original-URL",
	"X-Rewrite-URL", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
}

// sensitivePrefixes begin the names of header families an endpoint may not
// send (see sensitiveHeaders): Proxy-Authorization and the rest, X-Forwarded-For
// and the rest, the browsers' Sec- headers, and AWS's signed-request X-Amz-.
var sensitivePrefixes = []string{"Proxy-", "X-Forwarded-", "Sec-", "X-Amz-"}

// sensitiveHeader reports whether an endpoint may not send the header k.
func sensitiveHeader(k string) bool {
	return slices.ContainsFunc(sensitiveHeaders, func(h string) bool { return strings.EqualFold(h, k) }) ||
		slices.ContainsFunc(sensitivePrefixes, func(p string) bool {
			return len(k) >= len(p) && strings.EqualFold(k[:len(p)], p)
		})
}

// validStandardSecret reports whether secret is whsec_ and base64. The
// signing package also accepts a secret without the prefix; endpoints insist on it
// so that a secret of another scheme is never taken for one.
func validStandardSecret(secret string) bool {
	return signing.CheckStandardSecret(secret) == nil && strings.HasPrefix(secret, signing.StandardSecretPrefix)
}

// validHeaderName reports whether k is an HTTP token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

func quote(s string) string { return `"` + s + `"` }
