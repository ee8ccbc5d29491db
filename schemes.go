package paykit

import (
	"encoding/json"
	"sync"
)

// WebhookScheme is how deliveries of one SignatureScheme are shaped and
// signed; dialects register theirs, so that the body of a webhook is rendered
// by the dialect that owns its wire format while the outbox keeps canonical
// snapshots.
type WebhookScheme struct {
	Name SignatureScheme
	// Render returns the body posted for ev. secret is the endpoint's or
	// callback's signing key. It runs inside the fan-out transaction, which may
	// be retried, so it must have no side effect.
	Render func(ev *Event, secret string) (json.RawMessage, error)
}

// schemeRegistry holds the registered webhook schemes, by name.
type schemeRegistry struct {
	mu sync.RWMutex
	m  map[SignatureScheme]WebhookScheme
}

// RegisterScheme makes ws available to endpoints; a dialect's constructor
// calls it (httpapi.NewGigapay registers the gigapay scheme). A later
// registration of the same name replaces the earlier. Safe for concurrent use.
func (s *Service) RegisterScheme(ws WebhookScheme) {
	s.schemes.mu.Lock()
	defer s.schemes.mu.Unlock()
	if s.schemes.m == nil {
		s.schemes.m = make(map[SignatureScheme]WebhookScheme)
	}
	s.schemes.m[ws.Name] = ws
}

// scheme returns the registered scheme name, if any.
func (s *Service) scheme(name SignatureScheme) (WebhookScheme, bool) {
	s.schemes.mu.RLock()
	defer s.schemes.mu.RUnlock()
	ws, ok := s.schemes.m[name]
	return ws, ok
}
