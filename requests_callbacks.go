package paykit

import (
	"context"
	"encoding/json"
	"fmt"
)

// The notify_url callbacks of payment requests: the root decides when one is
// due and with which key; the scheme a dialect registers renders and signs it.

// SchemeMemento is the scheme of payment request callbacks: a Memento
// notify_url callback, rendered from the request's snapshot and signed within
// the body with the merchant's signing key. The Memento dialect (httpapi)
// registers it; without it a request cannot have a notify_url.
const SchemeMemento SignatureScheme = "memento"

// requestCallbacks is the callbackFunc of payment requests: each change of a
// request with a notify_url to a final status asks for one callback in the
// memento scheme, which renders it from the event's snapshot and signs it with
// the merchant's current signing key.
func (s *Service) requestCallbacks(ctx context.Context, tx Store, ev *Event) ([]Callback, error) {
	if !isRequestFinalEvent(ev.Type) {
		return nil, nil
	}
	var r Request
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return nil, fmt.Errorf("callback of %s %s: %w", ev.Type, ev.SubjectID, err)
	}
	if r.NotifyURL == "" || r.Status == RequestStatusPending || r.CompletedAt == nil {
		return nil, nil
	}
	m, err := merchantOf(ctx, tx, ev.TenantID)
	if err != nil {
		return nil, err
	}
	// A key that does not open is this process's setup (no sealing key, or
	// another): the fan-out fails and is retried, rather than lose the
	// callback or send it signed with nothing.
	if m, err = s.openMerchant(m); err != nil {
		return nil, fmt.Errorf("callback of %s %s: %w", ev.Type, ev.SubjectID, err)
	}
	if m.SigningKey == "" {
		// CreateRequest refuses a notify_url without a key, so the key was removed
		// since; an unsigned callback would fail every receiver's check.
		s.log.Warn("paykit: no signing key for a Memento callback", "tenant", ev.TenantID, "request", r.ID)
		return nil, nil
	}
	return []Callback{{URL: r.NotifyURL, Scheme: SchemeMemento, Secret: m.SigningKey}}, nil
}

// isRequestFinalEvent reports whether typ is the event of a move to a final
// status.
func isRequestFinalEvent(typ string) bool {
	for _, t := range requestEvents {
		if t == typ {
			return true
		}
	}
	return false
}
