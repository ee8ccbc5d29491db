package paykit

import (
	"context"
	"encoding/json"
)

// WithTestCallback registers fn beside the built-in callbackFuncs (such as
// Memento's notify_url), so that the external tests can drive the callback
// path with callbacks of their own. It exists only in tests.
func WithTestCallback(fn func(ctx context.Context, tx Store, ev *Event) ([]Callback, error)) Option {
	return func(s *Service) { s.callbacks = append(s.callbacks, fn) }
}

// RenderDelivery returns the body a delivery of ev in scheme, signed with
// secret, would post, rendered as the fan-out renders it, for the external
// tests to inspect bodies without delivering them.
func (s *Service) RenderDelivery(scheme SignatureScheme, ev *Event, secret string) (json.RawMessage, error) {
	_, body, err := s.render(scheme, ev, secret)
	return body, err
}
