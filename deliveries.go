package paykit

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// This file holds deliveries, their attempts and the delivery log; the engine
// that makes them is fanout.go (stage 1) and attempts.go (stage 2).

// DeliveryStatus is where a delivery is in its lifecycle: pending until an
// attempt succeeds (succeeded) or the retry schedule is spent or its endpoint
// is disabled (failed). RedeliverEvent makes a finished delivery pending again.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryStatusPending   DeliveryStatus = "pending"
	DeliveryStatusSucceeded DeliveryStatus = "succeeded"
	DeliveryStatusFailed    DeliveryStatus = "failed"
)

// deliveryStatuses are the DeliveryStatus values.
var deliveryStatuses = []DeliveryStatus{DeliveryStatusPending, DeliveryStatusSucceeded, DeliveryStatusFailed}

// Valid reports whether st is one of the delivery statuses.
func (st DeliveryStatus) Valid() bool { return slices.Contains(deliveryStatuses, st) }

// ParseDeliveryStatus returns the DeliveryStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseDeliveryStatus(field, s string) (DeliveryStatus, error) {
	return parseEnum(field, "Status", s, deliveryStatuses)
}

// deliveryLifecycle is the delivery lifecycle. A pending delivery stays
// pending through its retries; RedeliverEvent queues a finished one again; and
// an attempt that succeeds after its endpoint was disabled (which failed the
// delivery meanwhile) is recorded as the success it was.
var deliveryLifecycle = lifecycle[DeliveryStatus]{
	next: map[DeliveryStatus][]DeliveryStatus{
		DeliveryStatusPending:   {DeliveryStatusSucceeded, DeliveryStatusFailed},
		DeliveryStatusSucceeded: {DeliveryStatusPending},
		DeliveryStatusFailed:    {DeliveryStatusPending, DeliveryStatusSucceeded},
	},
	cannot: "Delivery %[1]s is %[2]s and cannot become %[3]s.",
}

// moveDelivery sets d's status to `to`; staying where it is, as a retried
// delivery stays pending, is no move.
func moveDelivery(d *Delivery, to DeliveryStatus) error {
	if d.Status == to {
		return nil
	}
	if err := deliveryLifecycle.check(d.ID, d.Status, to); err != nil {
		return err
	}
	d.Status = to
	return nil
}

// Delivery is one event on its way to one endpoint or callback.
type Delivery struct {
	// ID is sent as the webhook-id header: the same on every attempt and
	// redelivery, so receivers can deduplicate.
	ID         string `json:"id"`
	TenantID   string `json:"tenantId"`
	EventID    string `json:"eventId"`
	EventType  string `json:"eventType"`
	EndpointID string `json:"endpointId,omitempty"` // empty for a callback
	// URL is the callback's URL, or the endpoint's when the delivery was
	// created; an endpoint's attempts go to its URL at the time of the attempt.
	URL    string          `json:"url"`
	Scheme SignatureScheme `json:"scheme"`
	// Secret signs a callback's attempts; endpoint deliveries are signed with
	// their endpoint's current secrets, and a callback whose scheme signs
	// within the body has none.
	Secret string          `json:"-"`
	Body   json.RawMessage `json:"body"` // posted unchanged on every attempt
	Status DeliveryStatus  `json:"status"`
	// Attempts counts every attempt made; Tries those since the delivery was
	// last (re)queued, which index the retry schedule.
	Attempts       int        `json:"attempts"`
	Tries          int        `json:"-"`
	NextAttemptAt  *time.Time `json:"nextAttemptAt,omitempty"`
	LastAttemptAt  *time.Time `json:"lastAttemptAt,omitempty"`
	LastStatusCode int        `json:"lastStatusCode,omitempty"`
	LastError      string     `json:"lastError,omitempty"`
	LeaseUntil     *time.Time `json:"-"` // while a worker is attempting it
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// DeliveryAttempt is one POST of a delivery and what came of it.
type DeliveryAttempt struct {
	DeliveryID string    `json:"deliveryId"`
	TenantID   string    `json:"tenantId"`
	N          int       `json:"n"` // 1 for the first attempt
	URL        string    `json:"url"`
	At         time.Time `json:"at"`                   // by the Clock; the timestamp its signatures carry
	StatusCode int       `json:"statusCode,omitempty"` // 0 when no response came
	Response   string    `json:"response,omitempty"`   // the first KiB of the response body
	Error      string    `json:"error,omitempty"`      // why the attempt failed
	// Duration is the wall time from sending to the end of the response; the
	// Clock does not measure the network.
	Duration  time.Duration `json:"duration"`
	Succeeded bool          `json:"succeeded"`
}

// DeliveryFilter selects deliveries; nil fields match all.
type DeliveryFilter struct {
	EndpointID *string
	EventID    *string
	Status     *DeliveryStatus
	After      string // keyset cursor: the ID of the last delivery of the previous page
	Limit      int
}

// DeliveryOutcomes counts deliveries by how they stand.
type DeliveryOutcomes struct {
	Succeeded int
	Failed    int // failed, or pending a retry
}

// DeliveryLane names the deliveries that share a receiver: those of one
// endpoint, or the callbacks to one host. Key is the store's.
type DeliveryLane struct {
	TenantID string
	Key      string
}

// maxResponseExcerpt bounds the response body kept with an attempt.
const maxResponseExcerpt = 1 << 10

// leaseMargin is how long past the attempt timeout a claimed delivery stays
// leased: a worker that dies mid-attempt loses it then, and it is retried.
const leaseMargin = time.Minute

// userAgent is sent with every delivery.
const userAgent = "paykit-webhooks/1.0"

// FindEventByID returns one of the tenant's events. Returns ENOTFOUND.
func (s *Service) FindEventByID(ctx context.Context, tenantID, id string) (*Event, error) {
	return s.store.FindEventByID(ctx, tenantID, id)
}

// FindDeliveries lists the tenant's deliveries in creation order.
func (s *Service) FindDeliveries(ctx context.Context, tenantID string, f DeliveryFilter) ([]*Delivery, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindDeliveries(ctx, tenantID, f)
}

// FindDeliveryOutcomes counts the tenant's deliveries whose last attempt is
// at or after from and before to, by how they stand. It reads the span's
// part of an index, and no delivery.
func (s *Service) FindDeliveryOutcomes(ctx context.Context, tenantID string, from, to time.Time) (DeliveryOutcomes, error) {
	return s.store.FindDeliveryOutcomes(ctx, tenantID, from, to)
}

// FindDeliveryByID returns one of the tenant's deliveries. Returns ENOTFOUND.
func (s *Service) FindDeliveryByID(ctx context.Context, tenantID, id string) (*Delivery, error) {
	return s.store.FindDeliveryByID(ctx, tenantID, id)
}

// FindDeliveryAttempts returns the attempts of one of the tenant's deliveries,
// first attempt first. Returns ENOTFOUND for an unknown delivery.
func (s *Service) FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*DeliveryAttempt, error) {
	if _, err := s.store.FindDeliveryByID(ctx, tenantID, deliveryID); err != nil {
		return nil, err
	}
	return s.store.FindDeliveryAttempts(ctx, tenantID, deliveryID)
}

// RedeliverEvent sends one of the tenant's events again, now, to every enabled
// endpoint that subscribes to it, and to its callbacks. A receiver that already
// had a delivery of the event gets the same delivery again (same ID, same body),
// with a fresh retry schedule; a newly matching endpoint gets a new delivery.
// The attempts happen at the next RunDue. Returns ENOTFOUND for an unknown
// event.
func (s *Service) RedeliverEvent(ctx context.Context, tenantID, eventID string) ([]*Delivery, error) {
	return write(ctx, s, tenantID, "event.redeliver", eventID, func(tx Tx, now time.Time) ([]*Delivery, error) {
		ev, err := tx.FindEventByID(ctx, tenantID, eventID)
		if err != nil {
			return nil, err
		}
		var existing []*Delivery
		for after := ""; ; {
			page, err := tx.FindDeliveries(ctx, tenantID, DeliveryFilter{EventID: &ev.ID, After: after, Limit: MaxLimit})
			if err != nil {
				return nil, err
			}
			existing = append(existing, page...)
			if len(page) < MaxLimit {
				break
			}
			after = page[len(page)-1].ID
		}
		eps, err := enabledEndpoints(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		var out, reset []*Delivery
		for _, ep := range eps {
			if !ep.wants(ev.Type) {
				continue
			}
			if i := slices.IndexFunc(existing, func(d *Delivery) bool { return d.EndpointID == ep.ID }); i >= 0 {
				reset = append(reset, existing[i])
				continue
			}
			d, err := s.endpointDelivery(ev, ep, now)
			if err != nil {
				return nil, err
			}
			d.NextAttemptAt = &now
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		for _, d := range existing {
			if d.EndpointID == "" {
				reset = append(reset, d)
			}
		}
		for _, d := range reset {
			if err := moveDelivery(d, DeliveryStatusPending); err != nil {
				return nil, err
			}
			d.Tries, d.NextAttemptAt, d.UpdatedAt = 0, &now, now
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return nil, err
			}
		}
		out = append(out, reset...)
		slices.SortFunc(out, func(a, b *Delivery) int { return strings.Compare(a.ID, b.ID) })
		return out, nil
	})
}
