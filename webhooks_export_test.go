package paykit

import "context"

// WithTestCallback registers fn beside the built-in callbackFuncs (such as
// Memento's notify_url), so that the external tests can drive the callback
// path with callbacks of their own. It exists only in tests.
func WithTestCallback(fn func(ctx context.Context, tx Store, ev *Event) ([]Callback, error)) Option {
	return func(s *Service) { s.callbacks = append(s.callbacks, fn) }
}
