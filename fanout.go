package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fan-out, the first stage of the delivery engine (attempts.go): every event
// of the outbox becomes one delivery per subscribed endpoint and callback, in
// the transaction that claims the event and marks it fanned out, so that it
// happens once however many processes run the engine.

// fanOutEvents turns the next batch of events not yet fanned out into
// deliveries, and marks them fanned out, in one transaction.
func (s *Service) fanOutEvents(ctx context.Context) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx Tx) error {
		evs, err := tx.ClaimEventsToFanOut(ctx, s.batchSize)
		if err != nil || len(evs) == 0 {
			return err
		}
		now := s.now()
		endpoints := make(map[string][]*Endpoint) // by tenant
		var ds []*Delivery
		for _, ev := range evs {
			eps, ok := endpoints[ev.TenantID]
			if !ok {
				if eps, err = enabledEndpoints(ctx, tx, ev.TenantID); err != nil {
					return err
				}
				endpoints[ev.TenantID] = eps
			}
			if ds, err = s.fanOut(ctx, tx, now, ev, eps, ds); err != nil {
				return fmt.Errorf("fan out event %s: %w", ev.ID, err)
			}
		}
		// Created lane by lane, their IDs in that order, so that the rows a
		// claim takes are neighbours on disk and every index led by the ID
		// grows at its end: a claim and its record then write a few pages
		// rather than one per delivery. A delivery that is already there was
		// made by RedeliverEvent before its fan-out, and is skipped.
		slices.SortStableFunc(ds, func(a, b *Delivery) int { return strings.Compare(a.EndpointID, b.EndpointID) })
		for _, d := range ds {
			d.ID = newID()
		}
		if _, err := tx.CreateDeliveries(ctx, ds); err != nil {
			return err
		}
		n = len(evs)
		seqs := make([]int64, len(evs))
		for i, ev := range evs {
			seqs[i] = ev.Seq
		}
		return tx.MarkEventsFannedOut(ctx, seqs, now)
	})
	return n, err
}

// fanOut appends to ds the deliveries of one event to each endpoint of eps
// that subscribes to it and was created before it, and creates one per
// callback. An event's body is rendered once for every endpoint of a
// SharedBody scheme.
func (s *Service) fanOut(ctx context.Context, tx Tx, now time.Time, ev *Event, eps []*Endpoint, ds []*Delivery) ([]*Delivery, error) {
	var shared map[SignatureScheme]json.RawMessage
	for _, ep := range eps {
		if !ep.wants(ev.Type) || ev.Seq <= ep.FromSeq {
			continue
		}
		body, ok := shared[ep.Scheme]
		if !ok {
			ws, b, err := s.render(ep.Scheme, ev, ep.Secret)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s: %w", ep.ID, err)
			}
			if body = b; ws.SharedBody {
				if shared == nil {
					shared = make(map[SignatureScheme]json.RawMessage)
				}
				shared[ep.Scheme] = body
			}
		}
		d := s.newDelivery(ev, ep.Scheme, now)
		d.EndpointID, d.URL, d.Body = ep.ID, ep.URL, body
		ds = append(ds, d)
	}
	for _, fn := range s.callbacks {
		cbs, err := fn(ctx, tx, ev)
		if err != nil {
			return nil, err
		}
		for _, cb := range cbs {
			ws, body, err := s.render(cb.Scheme, ev, cb.Secret)
			if err != nil {
				return nil, fmt.Errorf("callback to %s: %w", cb.URL, err)
			}
			d := s.newDelivery(ev, cb.Scheme, now)
			d.URL, d.Body = cb.URL, body
			if ws.Sign != nil {
				d.Secret = cb.Secret // the attempts sign with it
			}
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return nil, err
			}
		}
	}
	return ds, nil
}

// newDelivery returns a pending delivery of ev in scheme, due after the
// first delay of the scheme's schedule.
func (s *Service) newDelivery(ev *Event, scheme SignatureScheme, now time.Time) *Delivery {
	due := now.Add(s.retrySchedule(scheme)[0])
	return &Delivery{ID: newID(), TenantID: ev.TenantID, EventID: ev.ID, EventType: ev.Type, Scheme: scheme,
		Status: DeliveryStatusPending, NextAttemptAt: &due, CreatedAt: now, UpdatedAt: now}
}

// endpointDelivery returns a new delivery of ev to ep, its body rendered in
// ep's scheme.
func (s *Service) endpointDelivery(ev *Event, ep *Endpoint, now time.Time) (*Delivery, error) {
	_, body, err := s.render(ep.Scheme, ev, ep.Secret)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", ep.ID, err)
	}
	d := s.newDelivery(ev, ep.Scheme, now)
	d.EndpointID, d.URL, d.Body = ep.ID, ep.URL, body
	return d, nil
}

// enabledEndpoints returns every enabled endpoint of the tenant.
func enabledEndpoints(ctx context.Context, tx Tx, tenantID string) ([]*Endpoint, error) {
	enabled := true
	var out []*Endpoint
	for after := ""; ; {
		page, err := tx.FindEndpoints(ctx, tenantID, EndpointFilter{Enabled: &enabled, After: after, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < MaxLimit {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// Callback is a delivery an event asks for beside the tenant's subscribed
// endpoints, such as a payment request's notify_url. Its Scheme renders its
// body when the event is fanned out, with Secret, and every attempt posts
// those bytes.
//
// Secret is stored with the delivery only when the scheme signs each attempt's
// headers with it; a scheme that signs within the body needs it only to
// render, so it is never stored (a payment request's callback is signed with
// the merchant's key, which must not be kept beside the deliveries).
type Callback struct {
	URL    string
	Scheme SignatureScheme
	Secret string
}

// callbackFunc returns the callbacks an event asks for; it runs in the
// transaction that fans the event out, and must only read from tx.
type callbackFunc func(ctx context.Context, tx Store, ev *Event) ([]Callback, error)
