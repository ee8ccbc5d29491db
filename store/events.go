package store

import (
	"context"
	"encoding/json"
	"fmt"
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
	res, err := t.exec(ctx, `INSERT INTO events (id, tenant_id, type, subject_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.ID, e.TenantID, e.Type, e.SubjectID, string(e.Data), micros(e.CreatedAt))
	if err != nil {
		return conflict(err, "Event already exists.", "append event "+e.Type)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("append event %s: %w", e.Type, err)
	}
	e.Seq = seq
	return nil
}

func (t *view) FindEvents(ctx context.Context, tenantID string, f paykit.EventFilter) ([]*paykit.Event, error) {
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
	var rows []eventRow
	err := t.selectAll(ctx, &rows, `SELECT `+eventColumns+` FROM events WHERE `+q.clause()+
		` ORDER BY seq LIMIT ?`, append(q.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	out := make([]*paykit.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// Events, as the fan-out reads them.

func (t *view) FindEventByID(ctx context.Context, tenantID, id string) (*paykit.Event, error) {
	var r eventRow
	if err := t.get(ctx, &r, `SELECT `+eventColumns+` FROM events WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Event not found.", "find event "+id)
	}
	return r.event(), nil
}

func (t *view) FindEventsAfter(ctx context.Context, seq int64, n int) ([]*paykit.Event, error) {
	var rows []eventRow
	if err := t.selectAll(ctx, &rows, `SELECT `+eventColumns+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit(n)); err != nil {
		return nil, fmt.Errorf("find events after %d: %w", seq, err)
	}
	out := make([]*paykit.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

func (t *tx) DeleteEvents(ctx context.Context, before time.Time, n int) (int, error) {
	// Never the newest event: seq is the rowid, and a new row gets the
	// largest rowid plus one (see migration 007).
	res, err := t.exec(ctx, `DELETE FROM events WHERE seq IN (
		SELECT e.seq FROM events e
		WHERE e.created_at < ?
			AND e.seq <= (SELECT seq FROM webhook_cursor WHERE id = 1)
			AND e.seq < (SELECT max(seq) FROM events)
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id)
		ORDER BY e.created_at LIMIT ?)`, micros(before), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	deleted, err := res.RowsAffected()
	return int(deleted), err
}

func (t *view) FindWebhookCursor(ctx context.Context) (int64, error) {
	var seq int64
	if err := t.get(ctx, &seq, `SELECT seq FROM webhook_cursor WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("find webhook cursor: %w", err)
	}
	return seq, nil
}

func (t *tx) UpdateWebhookCursor(ctx context.Context, seq int64) error {
	if _, err := t.exec(ctx, `UPDATE webhook_cursor SET seq = ? WHERE id = 1`, seq); err != nil {
		return fmt.Errorf("update webhook cursor: %w", err)
	}
	return nil
}
