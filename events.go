package paykit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event records one state change. Events are appended in the same transaction as
// the change they describe, so the events table is the outbox that webhooks,
// notify_url callbacks and payment logs are built from: nothing is lost on a crash
// and nothing is announced that did not commit.
//
// Its Type is paykit's own name, lower-case <noun>.<verb>, declared beside
// its noun (EventTokenCreated in tokens.go, EventPayoutAccepted in
// payouts.go, ...). A dialect whose vendor names events otherwise translates
// them at its edge, as the Gigapay dialect does for "Payout.accepted".
type Event struct {
	Seq       int64           `json:"seq"` // position in the outbox, strictly increasing
	ID        string          `json:"id"`
	TenantID  string          `json:"tenantId"`
	Type      string          `json:"type"` // EventTokenCreated, EventPaymentCompleted, ...
	SubjectID string          `json:"subjectId"`
	Data      json.RawMessage `json:"data"` // the subject's snapshot after the change
	CreatedAt time.Time       `json:"createdAt"`
}

// EventFilter selects events; nil fields match all.
type EventFilter struct {
	Type      *string
	SubjectID *string
	AfterSeq  int64 // keyset cursor
	Limit     int
}

// eventOf returns the event type that events gives a move to the status to. A
// status its lifecycle allows but the table lacks is a bug, reported as an
// error rather than fired as an event without a type.
func eventOf[S ~string](events map[S]string, noun string, to S) (string, error) {
	if typ, ok := events[to]; ok {
		return typ, nil
	}
	return "", fmt.Errorf("%s: no event for the status %q", noun, to)
}

// appendEvent writes an event with a snapshot of subject into the outbox.
func (s *Service) appendEvent(ctx context.Context, tx Tx, now time.Time, tenantID, typ, subjectID string, subject any) error {
	data, err := encodeJSON(subject)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	return tx.AppendEvent(ctx, &Event{ID: newID(), TenantID: tenantID, Type: typ, SubjectID: subjectID, Data: data, CreatedAt: now})
}

// FindEvents lists the tenant's events in the order they happened.
func (s *Service) FindEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindEvents(ctx, tenantID, f)
}

// encodeJSON encodes v as paykit stores and sends JSON: without a trailing
// newline and without json.Marshal's escaping of <, > and & for HTML, so that
// a snapshot, a webhook body and a replayed result keep the client's text
// byte for byte.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// EventStore reads the events outbox.
type EventStore interface {
	FindEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, error)
	// FindEventByID returns the tenant's event with id. Returns ENOTFOUND.
	FindEventByID(ctx context.Context, tenantID, id string) (*Event, error)
}

// EventTx appends to the events outbox and claims its events for fan-out.
//
// Fan-out claims work rather than following a cursor: an event is fanned out
// once, by whichever transaction claims it, and then marked, so that any
// number of processes share the work, and no event is passed over when
// transactions commit out of Seq order (as they may on PostgreSQL).
type EventTx interface {
	// AppendEvent inserts e and sets e.Seq, which is greater than the Seq of
	// every event committed before e's transaction began.
	AppendEvent(ctx context.Context, e *Event) error
	// ClaimEventsToFanOut returns up to limit events of every tenant not yet
	// marked fanned out, in Seq order, and holds them until the transaction
	// ends: a concurrent claim passes them over rather than waiting.
	ClaimEventsToFanOut(ctx context.Context, limit int) ([]*Event, error)
	// MarkEventsFannedOut marks the events with seqs fanned out at at.
	MarkEventsFannedOut(ctx context.Context, seqs []int64, at time.Time) error
	// DeleteEvents deletes up to limit events of every tenant created before
	// before, in Seq order, that nothing needs any more: fanned out, with no
	// delivery left, and not the newest event, so that the Seq of every event
	// appended later stays above every Seq handed out (an endpoint's FromSeq).
	// It returns how many it deleted. Seq follows creation, as the Service
	// appends events, and the events it deletes are below the first Seq
	// created at or after before: an event appended after a later-created
	// one (a clock that ran behind) waits until before passes that one. None
	// is deleted before its time.
	DeleteEvents(ctx context.Context, before time.Time, limit int) (int, error)
}
