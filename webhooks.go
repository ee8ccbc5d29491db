package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paykit/paykit/signing"
)

// This file holds webhook endpoints; schemes.go the schemes that shape and sign
// their deliveries; deliveries.go the delivery engine itself: fan-out from the
// outbox, attempts, retries and the delivery log; deliveries_options.go its
// options.

// Events of webhook endpoints.
const (
	EventEndpointCreated  = "endpoint.created"
	EventEndpointUpdated  = "endpoint.updated"
	EventEndpointDeleted  = "endpoint.deleted"
	EventEndpointDisabled = "endpoint.disabled" // by the delivery engine: its receiver is gone or kept failing
)

// Endpoint is a tenant's webhook subscription: where to post which events, and
// how to sign them.
type Endpoint struct {
	ID       string          `json:"id"` // client-chosen or a UUID; unique per tenant
	TenantID string          `json:"tenantId"`
	URL      string          `json:"url"`
	Events   []string        `json:"events"` // event types to deliver; empty means all
	Scheme   SignatureScheme `json:"scheme"`
	Secret   string          `json:"secret"` // the scheme's signing key
	// StandardSecret (whsec_…) signs the Standard Webhooks headers of every
	// delivery, whatever the scheme, so webhook-id, webhook-timestamp and
	// webhook-signature always come together. Every endpoint has one; a
	// standard endpoint's is its Secret.
	StandardSecret string            `json:"standardSecret,omitempty"`
	Enabled        bool              `json:"enabled"`
	DisabledReason string            `json:"disabledReason,omitempty"`
	Description    string            `json:"description,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"` // sent with every delivery
	Metadata       json.RawMessage   `json:"metadata,omitempty"`
	FailingSince   *time.Time        `json:"failingSince,omitempty"` // first failure of the current streak
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	// FromSeq is the outbox position of the endpoint's creation: it is sent
	// the events after it (Seq > FromSeq), not the ones that happened before it
	// existed. RedeliverEvent ignores it.
	FromSeq int64 `json:"fromSeq"`
}

// wants reports whether e subscribes to events of type typ.
func (e *Endpoint) wants(typ string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, typ)
}

// redacted returns a copy of e without its secrets and custom headers (which
// often carry credentials), for event snapshots: events are listed through the
// API and delivered to the tenant's other endpoints.
func (e *Endpoint) redacted() *Endpoint {
	c := *e
	c.Secret, c.StandardSecret, c.Headers = "", "", nil
	return &c
}

// EndpointFilter selects endpoints; nil fields match all. Endpoints are listed
// in creation order (CreatedAt, then FromSeq, then ID).
type EndpointFilter struct {
	Scheme  *SignatureScheme
	Enabled *bool
	After   string // keyset cursor: the ID of the last endpoint of the previous page
	Limit   int
}

// EndpointCreate is the input of CreateEndpoint.
type EndpointCreate struct {
	ID     string          `json:"id"` // optional: 1 to 64 of [A-Za-z0-9._-]; default a UUID
	URL    string          `json:"url"`
	Events []string        `json:"events"` // empty subscribes to every event
	Scheme SignatureScheme `json:"scheme"` // a registered scheme; default standard
	// Secret is the scheme's signing key. Empty draws one: signing.NewStandardSecret()
	// for standard, which requires a whsec_ secret, and what the scheme draws
	// (by default 32 random characters) for the others.
	Secret string `json:"secret"`
	// StandardSecret, a whsec_ secret, signs the Standard Webhooks headers of
	// every delivery, whatever the scheme. Empty draws one
	// (signing.NewStandardSecret); a standard endpoint's is its Secret, so it
	// may give either, or both the same.
	StandardSecret string            `json:"standardSecret"`
	Description    string            `json:"description"`
	Headers        map[string]string `json:"headers"`
	Metadata       json.RawMessage   `json:"metadata"` // a JSON object
	Enabled        *bool             `json:"enabled"`  // default true
	// Catalog, when not nil, is a dialect's catalog of the event names its
	// vendor documents, each mapped to the event type it stands for: every
	// event of Events must be one of its names, and the endpoint subscribes to
	// their types. The dialect renders the types back as its names. Without a
	// catalog, Events are event types.
	Catalog map[string]string `json:"-"`
}

// EndpointUpdate is the input of UpdateEndpoint; nil fields are left as they
// are.
type EndpointUpdate struct {
	// ID renames the endpoint; its deliveries follow it.
	ID     *string          `json:"id"`
	URL    *string          `json:"url"`
	Events *[]string        `json:"events"`
	Scheme *SignatureScheme `json:"scheme"`
	// Secret sets the scheme's signing key; "" draws a new one as
	// EndpointCreate does.
	Secret *string `json:"secret"`
	// StandardSecret sets the Standard Webhooks secret; "" draws a new one. A
	// standard endpoint's Secret follows it, and it follows the Secret.
	StandardSecret *string            `json:"standardSecret"`
	Description    *string            `json:"description"`
	Headers        *map[string]string `json:"headers"`
	Metadata       *json.RawMessage   `json:"metadata"`
	// Enabled true re-enables a disabled endpoint and clears its failure
	// streak; false disables it, failing its pending deliveries.
	Enabled *bool `json:"enabled"`
	// Catalog, when not nil, is the dialect's catalog of event names, as in
	// EndpointCreate. Without Events, the endpoint's event types must still
	// be among its types.
	Catalog map[string]string `json:"-"`
}

// Limits of an endpoint's fields.
const (
	maxEndpointURL         = 2048
	maxEndpointEvents      = 100
	maxEndpointHeaders     = 20
	maxEndpointDescription = 1000
	maxSecret              = 256
)

// CreateEndpoint subscribes url to the tenant's events. Returns EINVALID (with
// the fields at fault, among them a scheme that is not registered or serves
// callbacks only), and ECONFLICT when the ID is taken, with the field "id" in
// its Fields (see endpointIDTaken).
func (s *Service) CreateEndpoint(ctx context.Context, tenantID string, in EndpointCreate) (*Endpoint, error) {
	e := &Endpoint{ID: in.ID, TenantID: tenantID, URL: strings.TrimSpace(in.URL), Scheme: in.Scheme,
		Secret: in.Secret, StandardSecret: in.StandardSecret, Description: in.Description,
		Headers: in.Headers, Metadata: in.Metadata, Enabled: in.Enabled == nil || *in.Enabled}
	if e.Scheme == "" {
		e.Scheme = SchemeStandard
	}
	if e.Scheme == SchemeStandard && e.Secret == "" {
		e.Secret = e.StandardSecret // one secret, given as either
	}
	if e.Secret == "" {
		e.Secret = s.newSecret(e.Scheme)
	}
	if e.StandardSecret == "" {
		e.StandardSecret = e.newStandardSecret()
	}
	var v Validation
	if e.ID == "" {
		e.ID = newID()
	} else if err := checkClientID("id", e.ID); err != nil {
		v.Add("id", ErrorMessage(err))
	}
	e.Events = s.checkEndpoint(&v, e, in.Events, in.Catalog)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !e.Enabled {
		e.DisabledReason = "Disabled by the tenant."
	}
	return write(ctx, s, tenantID, "endpoint.create", in, func(tx Tx, now time.Time) (*Endpoint, error) {
		e.CreatedAt, e.UpdatedAt = now, now
		// The event first: its position in the outbox is where e starts
		// listening.
		data, err := json.Marshal(e.redacted())
		if err != nil {
			return nil, fmt.Errorf("create endpoint: %w", err)
		}
		ev := &Event{ID: newID(), TenantID: tenantID, Type: EventEndpointCreated, SubjectID: e.ID, Data: data, CreatedAt: now}
		if err := tx.AppendEvent(ctx, ev); err != nil {
			return nil, err
		}
		e.FromSeq = ev.Seq
		// The store's key decides, in the transaction: a check before it would
		// let two creates of one ID race.
		return e, endpointIDTaken(tx.CreateEndpoint(ctx, e))
	})
}

// FindEndpointByID returns one of the tenant's endpoints. Returns ENOTFOUND.
func (s *Service) FindEndpointByID(ctx context.Context, tenantID, id string) (*Endpoint, error) {
	return s.store.FindEndpointByID(ctx, tenantID, id)
}

// FindEndpoints lists the tenant's endpoints in creation order.
func (s *Service) FindEndpoints(ctx context.Context, tenantID string, f EndpointFilter) ([]*Endpoint, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindEndpoints(ctx, tenantID, f)
}

// FindEndpointPage returns a page of the tenant's endpoints that f selects,
// newest first, and how many f selects in all: p reads it by offset or by
// keyset, where a Cursor is an endpoint's CreatedAt and its ID as UID. f's
// After and Limit are not used.
func (s *Service) FindEndpointPage(ctx context.Context, tenantID string, f EndpointFilter, p ListPage) ([]*Endpoint, int, error) {
	p.Limit = clampLimit(p.Limit)
	return s.store.FindEndpointPage(ctx, tenantID, f, p)
}

// UpdateEndpoint changes the fields of upd that are set. Returns ENOTFOUND,
// EINVALID, and ECONFLICT when a new ID is taken, with the field "id" in its
// Fields (see endpointIDTaken).
func (s *Service) UpdateEndpoint(ctx context.Context, tenantID, id string, upd EndpointUpdate) (*Endpoint, error) {
	return write(ctx, s, tenantID, "endpoint.update", struct {
		ID  string
		Upd EndpointUpdate
	}{id, upd}, func(tx Tx, now time.Time) (*Endpoint, error) {
		e, err := tx.FindEndpointByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		var v Validation
		if upd.ID != nil && *upd.ID != e.ID {
			if err := checkClientID("id", *upd.ID); err != nil {
				v.Add("id", ErrorMessage(err))
			}
			e.ID = *upd.ID
		}
		if upd.URL != nil {
			e.URL = strings.TrimSpace(*upd.URL)
		}
		wasStandard := e.Scheme == SchemeStandard
		if upd.Scheme != nil {
			e.Scheme = *upd.Scheme
		}
		s.updateSecrets(e, upd.Secret, upd.StandardSecret, wasStandard)
		if upd.Description != nil {
			e.Description = *upd.Description
		}
		if upd.Headers != nil {
			e.Headers = *upd.Headers
		}
		if upd.Metadata != nil {
			e.Metadata = *upd.Metadata
		}
		events, catalog := e.Events, upd.Catalog
		if upd.Events != nil {
			events = *upd.Events
		} else if catalog != nil {
			// The endpoint's events are types already: each names itself.
			catalog = make(map[string]string, len(upd.Catalog))
			for _, typ := range upd.Catalog {
				catalog[typ] = typ
			}
		}
		e.Events = s.checkEndpoint(&v, e, events, catalog)
		if err := v.Err(); err != nil {
			return nil, err
		}
		disable := false
		if upd.Enabled != nil && *upd.Enabled != e.Enabled {
			e.Enabled = *upd.Enabled
			if e.Enabled {
				e.DisabledReason, e.FailingSince = "", nil
			} else {
				e.DisabledReason, disable = "Disabled by the tenant.", true
			}
		}
		e.UpdatedAt = now
		if err := tx.UpdateEndpoint(ctx, id, e); err != nil {
			return nil, endpointIDTaken(err)
		}
		if disable {
			if _, err := tx.FailPendingDeliveries(ctx, tenantID, e.ID, "The endpoint was disabled.", now); err != nil {
				return nil, err
			}
		}
		return e, s.appendEvent(ctx, tx, now, tenantID, EventEndpointUpdated, e.ID, e.redacted())
	})
}

// DeleteEndpoint deletes an endpoint with its deliveries and their attempts.
// Returns ENOTFOUND.
func (s *Service) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "endpoint.delete", id, func(tx Tx, now time.Time) (struct{}, error) {
		e, err := tx.FindEndpointByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		if err := tx.DeleteEndpoint(ctx, tenantID, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.appendEvent(ctx, tx, now, tenantID, EventEndpointDeleted, e.ID, e.redacted())
	})
	return err
}

// newStandardSecret returns the Standard Webhooks secret of a new endpoint
// that gives none: a standard endpoint's Secret, else a new one.
func (e *Endpoint) newStandardSecret() string {
	if e.Scheme == SchemeStandard {
		return e.Secret
	}
	return signing.NewStandardSecret()
}

// updateSecrets applies an update's secrets to e (already of its new scheme):
// "" draws a new one, and a standard endpoint keeps one secret as both, so
// setting either sets the other, and an endpoint that becomes standard signs
// with the Standard Webhooks secret it already had.
func (s *Service) updateSecrets(e *Endpoint, secret, standard *string, wasStandard bool) {
	if secret != nil {
		e.Secret = *secret
	}
	if standard != nil {
		e.StandardSecret = *standard
	}
	if e.Scheme != SchemeStandard {
		if e.Secret == "" {
			e.Secret = s.newSecret(e.Scheme)
		}
		if e.StandardSecret == "" {
			e.StandardSecret = signing.NewStandardSecret()
		}
		return
	}
	switch {
	case secret != nil && *secret != "":
		if standard == nil || *standard == "" {
			e.StandardSecret = e.Secret
		} // both given: checkEndpoint requires them equal
	case standard != nil && *standard != "":
		e.Secret = e.StandardSecret
	case secret != nil || standard != nil:
		e.Secret = s.newSecret(SchemeStandard)
		e.StandardSecret = e.Secret
	case !wasStandard || e.StandardSecret == "":
		if e.StandardSecret == "" {
			e.StandardSecret = e.Secret
		}
		e.Secret = e.StandardSecret
	}
}

// endpointIDTakenMsg is the message of a create or rename to an ID another of
// the tenant's endpoints has.
const endpointIDTakenMsg = "An endpoint with this ID already exists."

// endpointIDTaken turns the store's ECONFLICT on writing an endpoint, which its
// key on (tenant, ID) gives, into the conflict the Service documents. It names
// the field at fault, so a dialect that reports a taken ID as a field error
// (Gigapay: 400 {"id":[...]}) tells it from other conflicts, an
// Idempotency-Key reused for another request among them. Other errors pass
// unchanged.
func endpointIDTaken(err error) error {
	if ErrorCode(err) != ECONFLICT {
		return err
	}
	return &Error{Code: ECONFLICT, Message: endpointIDTakenMsg, Fields: map[string]string{"id": endpointIDTakenMsg}}
}

// WebhookStore reads webhook endpoints, deliveries and their attempts (see
// Store for the contract every method follows).
type WebhookStore interface {
	// FindEndpointByID returns the tenant's endpoint with id. Returns ENOTFOUND.
	FindEndpointByID(ctx context.Context, tenantID, id string) (*Endpoint, error)
	// FindEndpoints returns a page of the tenant's endpoints in creation order:
	// by CreatedAt, FromSeq and ID. A cursor naming no endpoint of the tenant
	// yields an empty page.
	FindEndpoints(ctx context.Context, tenantID string, f EndpointFilter) ([]*Endpoint, error)
	// FindEndpointPage returns the page p of the tenant's endpoints that f
	// selects (f's After and Limit aside) newest first, by CreatedAt, FromSeq
	// and ID descending, and how many f selects in all. A Cursor is an
	// endpoint's CreatedAt and ID (as its UID); one naming no endpoint of the
	// tenant yields an empty page.
	FindEndpointPage(ctx context.Context, tenantID string, f EndpointFilter, p ListPage) ([]*Endpoint, int, error)
	// FindDeliveryByID returns the tenant's delivery with id. Returns ENOTFOUND.
	FindDeliveryByID(ctx context.Context, tenantID, id string) (*Delivery, error)
	// FindDeliveriesByID returns the tenant's deliveries whose IDs are in
	// ids, in ID order; an ID of no delivery of the tenant is left out.
	FindDeliveriesByID(ctx context.Context, tenantID string, ids []string) ([]*Delivery, error)
	// FindDeliveries returns a page of the tenant's deliveries in ID (creation)
	// order.
	FindDeliveries(ctx context.Context, tenantID string, f DeliveryFilter) ([]*Delivery, error)
	// FindDeliveryOutcomes counts the tenant's deliveries whose last attempt
	// is at or after from and before to, by how they stand.
	FindDeliveryOutcomes(ctx context.Context, tenantID string, from, to time.Time) (DeliveryOutcomes, error)
	// FindDueDeliveryLanes returns up to limit lanes, of every tenant, that
	// have a pending delivery whose NextAttemptAt is at or before now and which
	// is not leased at now, the lane with the earliest such delivery first.
	FindDueDeliveryLanes(ctx context.Context, now time.Time, limit int) ([]DeliveryLane, error)
	// FindDeliveryAttempts returns the attempts of the tenant's delivery, in
	// order; none for an unknown delivery.
	FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*DeliveryAttempt, error)
}

// WebhookTx writes webhook endpoints and deliveries, and leases deliveries to
// the workers that attempt them.
type WebhookTx interface {
	// CreateEndpoint inserts e. Returns ECONFLICT when the tenant has an
	// endpoint with its ID.
	CreateEndpoint(ctx context.Context, e *Endpoint) error
	// UpdateEndpoint writes every mutable field of e (ID, URL, Events, Scheme,
	// Secret, StandardSecret, Enabled, DisabledReason, Description, Headers,
	// Metadata, FailingSince and UpdatedAt) to e.TenantID's endpoint now named
	// id. A new ID renames the endpoint in its deliveries too. Returns ENOTFOUND,
	// and ECONFLICT when e.ID is taken.
	UpdateEndpoint(ctx context.Context, id string, e *Endpoint) error
	// DeleteEndpoint deletes the endpoint with its deliveries and their
	// attempts. Returns ENOTFOUND.
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
	// CreateDelivery inserts d. Returns ECONFLICT when its ID is taken, or when
	// its endpoint already has a delivery of its event.
	CreateDelivery(ctx context.Context, d *Delivery) error
	// CreateDeliveries inserts ds, in as few statements as it can, skipping
	// each one whose ID is taken or whose endpoint already has a delivery of
	// its event, and returns how many it inserted. It is CreateDelivery for
	// many deliveries at once, where a taken key is no error (the fan-out's
	// case).
	CreateDeliveries(ctx context.Context, ds []*Delivery) (int, error)
	// UpdateDelivery writes d's Status, Attempts, Tries, NextAttemptAt,
	// LastAttemptAt, LastStatusCode, LastError, LeaseUntil and UpdatedAt.
	// Returns ENOTFOUND.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// UpdateDeliveries writes what UpdateDelivery writes of each of ds, in as
	// few statements as it can. Returns ENOTFOUND when one of them is missing.
	UpdateDeliveries(ctx context.Context, ds []*Delivery) error
	// FailPendingDeliveries marks every pending delivery of the endpoint failed
	// with reason as its LastError, at now, and returns how many it changed.
	FailPendingDeliveries(ctx context.Context, tenantID, endpointID, reason string, now time.Time) (int, error)
	// ClaimDeliveries leases until leaseUntil up to limit of the lane's pending
	// deliveries that are due and not leased at now, earliest NextAttemptAt
	// first, and returns them with LeaseUntil set.
	ClaimDeliveries(ctx context.Context, lane DeliveryLane, now, leaseUntil time.Time, limit int) ([]*Delivery, error)
	// CreateDeliveryAttempt inserts a. Returns ECONFLICT when the delivery
	// already has an attempt numbered a.N.
	CreateDeliveryAttempt(ctx context.Context, a *DeliveryAttempt) error
	// CreateDeliveryAttempts inserts each attempt of as, in as few statements
	// as it can. Returns ECONFLICT when the delivery of one of them already
	// has an attempt of its number; the others may then have been inserted,
	// and the transaction should fail.
	CreateDeliveryAttempts(ctx context.Context, as []*DeliveryAttempt) error
	// DeleteFinishedDeliveries deletes, with their attempts, up to limit
	// deliveries of every tenant that finished (succeeded or failed, never
	// pending) before before, by UpdatedAt, oldest first, and returns how
	// many it deleted.
	DeleteFinishedDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
}
