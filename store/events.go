package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

const eventColumns = `seq, id, tenant_id, type, subject_id, data, created_at`

type eventRow struct {
	Seq       int64  `db:"seq"`
	ID        string `db:"id"`
	TenantID  string `db:"tenant_id"`
	Type      string `db:"type"`
	SubjectID string `db:"subject_id"`
	Data      string `db:"data"`
	CreatedAt int64  `db:"created_at"`
}

func (r *eventRow) event() *paykit.Event {
	e := &paykit.Event{Seq: r.Seq, ID: r.ID, TenantID: r.TenantID, Type: r.Type, SubjectID: r.SubjectID,
		CreatedAt: fromMicros(r.CreatedAt)}
	if r.Data != "" {
		e.Data = json.RawMessage(r.Data)
	}
	return e
}

func (t *tx) AppendEvent(ctx context.Context, e *paykit.Event) error {
	const insert = `INSERT INTO events (id, tenant_id, type, subject_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	args := []any{e.ID, e.TenantID, e.Type, e.SubjectID, string(e.Data), micros(e.CreatedAt)}
	msg, what := "Event already exists.", "append event "+e.Type
	if t.db.dialect.postgres {
		return t.insertReturning(ctx, &e.Seq, "seq", msg, what, insert, args...)
	}
	// On SQLite seq is the rowid.
	seq, err := t.insertRowID(ctx, msg, what, insert, args...)
	if err == nil {
		e.Seq = seq
	}
	return err
}

func (t *view) FindEvents(ctx context.Context, tenantID string, f paykit.EventFilter) ([]*paykit.Event, error) {
	st := eventsSelect(tenantID, f)
	var rows []eventRow
	if err := t.selectAll(ctx, &rows, st.query, st.args...); err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	out := make([]*paykit.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// eventsSelect returns the statement of a page of events: in seq order from
// events_tenant, or events_subject for a subject; a type is checked on the
// rows they yield (see plans_test.go).
func eventsSelect(tenantID string, f paykit.EventFilter) statement {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Type != nil {
		q.add("type = ?", *f.Type)
	}
	if f.SubjectID != nil {
		q.add("subject_id = ?", *f.SubjectID)
	}
	if f.AfterSeq > 0 {
		q.add("seq > ?", f.AfterSeq)
	}
	return statement{`SELECT ` + eventColumns + ` FROM events WHERE ` + q.clause() + ` ORDER BY seq LIMIT ?`,
		append(q.args, limit(f.Limit))}
}

// Events, as the fan-out reads them.

func (t *view) FindEventByID(ctx context.Context, tenantID, id string) (*paykit.Event, error) {
	var r eventRow
	if err := t.get(ctx, &r, `SELECT `+eventColumns+` FROM events WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Event not found.", "find event "+id)
	}
	return r.event(), nil
}

func (t *tx) ClaimEventsToFanOut(ctx context.Context, n int) ([]*paykit.Event, error) {
	var rows []eventRow
	err := t.selectAll(ctx, &rows, `SELECT `+eventColumns+` FROM events WHERE fanned_out_at IS NULL
		ORDER BY seq LIMIT ?`+t.skipLocked(), limit(n))
	if err != nil {
		return nil, fmt.Errorf("claim events to fan out: %w", err)
	}
	out := make([]*paykit.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

func (t *tx) MarkEventsFannedOut(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, 0, len(seqs)+1)
	args = append(args, micros(at))
	for _, s := range seqs {
		args = append(args, s)
	}
	// One statement text per batch size: the fan-out's batches are all of a
	// size but the last.
	_, err := t.exec(ctx, `UPDATE events SET fanned_out_at = ? WHERE seq IN (?`+strings.Repeat(", ?", len(seqs)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("mark events fanned out: %w", err)
	}
	return nil
}

func (t *tx) DeleteEvents(ctx context.Context, before time.Time, n int) (int, error) {
	bound, err := t.firstEventSince(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	// Never the newest event: on SQLite seq is the rowid, and a new row gets
	// the largest rowid plus one (see migration 007).
	res, err := t.exec(ctx, `DELETE FROM events WHERE seq IN (
		SELECT e.seq FROM events e
		WHERE e.seq < ? AND e.created_at < ?
			AND e.fanned_out_at IS NOT NULL
			AND e.seq < (SELECT max(seq) FROM events)
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id)
		ORDER BY e.seq LIMIT ?`+t.skipLocked()+`)`, bound, micros(before), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	deleted, err := res.RowsAffected()
	return int(deleted), err
}

// firstEventSince returns the seq of the first event, in seq order, created
// at or after since (one past the last event when there is none). Events are
// appended in the order of their creation, so it is found by bisection over
// seq, each step a lookup by the primary key, and needs no index on
// created_at. An event whose clock ran behind an earlier one's may sit below
// the bound or above it; DeleteEvents checks each event's own created_at, so
// none is deleted early, and one left is deleted by a later sweep.
//
// Its reads compute (MIN), so they lock no event on PostgreSQL (see
// lockable): a fan-out running beside the sweep is not held up by them.
func (t *tx) firstEventSince(ctx context.Context, since time.Time) (int64, error) {
	var ends struct {
		Lo int64 `db:"lo"`
		Hi int64 `db:"hi"`
	}
	if err := t.get(ctx, &ends, `SELECT COALESCE(MIN(seq), 0) AS lo, COALESCE(MAX(seq), 0) + 1 AS hi FROM events`); err != nil {
		return 0, err
	}
	at := micros(since)
	lo, hi := ends.Lo, ends.Hi
	for lo < hi {
		// The first event at or after mid: mid < hi, which is at most one past
		// the last event, so there is one unless it was deleted meanwhile.
		mid := lo + (hi-lo)/2
		var e struct {
			Seq       int64 `db:"seq"`
			CreatedAt int64 `db:"created_at"`
		}
		err := t.get(ctx, &e, `SELECT seq, created_at FROM events
			WHERE seq = (SELECT MIN(seq) FROM events WHERE seq >= ?)`, mid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Deleted meanwhile, by another process's sweep.
			hi = mid
		case err != nil:
			return 0, err
		case e.CreatedAt < at:
			lo = e.Seq + 1
		default:
			hi = mid
		}
	}
	return lo, nil
}
