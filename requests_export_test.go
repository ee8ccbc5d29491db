package paykit

import "context"

// RequestCallbacks runs the payment requests' callbackFunc on ev outside any
// transaction, for the external tests to inspect what the webhooks engine would
// be asked to deliver.
func (s *Service) RequestCallbacks(ctx context.Context, ev *Event) ([]Callback, error) {
	return s.requestCallbacks(ctx, s.store, ev)
}
