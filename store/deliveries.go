package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// Webhook deliveries and their attempts.

const deliveryColumns = `id, tenant_id, event_id, event_type, endpoint_id, url, scheme, secret, body, status,
	attempts, tries, next_attempt_at, last_attempt_at, last_status_code, last_error, lease_until, created_at, updated_at`

type deliveryRow struct {
	ID             string  `db:"id"`
	TenantID       string  `db:"tenant_id"`
	EventID        string  `db:"event_id"`
	EventType      string  `db:"event_type"`
	EndpointID     *string `db:"endpoint_id"`
	URL            string  `db:"url"`
	Scheme         string  `db:"scheme"`
	Secret         string  `db:"secret"`
	Body           string  `db:"body"`
	Status         string  `db:"status"`
	Attempts       int     `db:"attempts"`
	Tries          int     `db:"tries"`
	NextAttemptAt  *int64  `db:"next_attempt_at"`
	LastAttemptAt  *int64  `db:"last_attempt_at"`
	LastStatusCode int     `db:"last_status_code"`
	LastError      string  `db:"last_error"`
	LeaseUntil     *int64  `db:"lease_until"`
	CreatedAt      int64   `db:"created_at"`
	UpdatedAt      int64   `db:"updated_at"`
}

func (r *deliveryRow) delivery() *paykit.Delivery {
	d := &paykit.Delivery{ID: r.ID, TenantID: r.TenantID, EventID: r.EventID, EventType: r.EventType, URL: r.URL,
		Scheme: paykit.SignatureScheme(r.Scheme), Secret: r.Secret, Body: json.RawMessage(r.Body),
		Status: paykit.DeliveryStatus(r.Status), Attempts: r.Attempts, Tries: r.Tries,
		NextAttemptAt: fromMicrosPtr(r.NextAttemptAt), LastAttemptAt: fromMicrosPtr(r.LastAttemptAt),
		LastStatusCode: r.LastStatusCode, LastError: r.LastError, LeaseUntil: fromMicrosPtr(r.LeaseUntil),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
	if r.EndpointID != nil {
		d.EndpointID = *r.EndpointID
	}
	return d
}

func deliveries(rows []deliveryRow) []*paykit.Delivery {
	out := make([]*paykit.Delivery, len(rows))
	for i := range rows {
		out[i] = rows[i].delivery()
	}
	return out
}

// laneHost is the host that names a callback's lane.
func laneHost(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return strings.ToLower(u.Host)
	}
	return raw
}

func (t *tx) CreateDelivery(ctx context.Context, d *paykit.Delivery) error {
	var endpointID *string
	if d.EndpointID != "" {
		endpointID = &d.EndpointID
	}
	return t.insert(ctx, "Delivery already exists.", "create delivery "+d.ID,
		`INSERT INTO webhook_deliveries (`+deliveryColumns+`, host)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.EventID, d.EventType, endpointID, d.URL, string(d.Scheme), d.Secret, string(d.Body),
		string(d.Status), d.Attempts, d.Tries, microsPtr(d.NextAttemptAt), microsPtr(d.LastAttemptAt), d.LastStatusCode,
		d.LastError, microsPtr(d.LeaseUntil), micros(d.CreatedAt), micros(d.UpdatedAt), laneHost(d.URL))
}

// deliveryChunk bounds the rows of one multi-row statement: few statement
// texts to prepare (one per size up to it), and far below either database's
// limit of parameters.
const deliveryChunk = 32

func (t *tx) CreateDeliveries(ctx context.Context, ds []*paykit.Delivery) (int, error) {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	inserted := 0
	for len(ds) > 0 {
		chunk := ds[:min(len(ds), deliveryChunk)]
		ds = ds[len(chunk):]
		args := make([]any, 0, 20*len(chunk))
		hosts := make(map[string]string) // by URL: a lane's deliveries share one
		for _, d := range chunk {
			host, ok := hosts[d.URL]
			if !ok {
				host = laneHost(d.URL)
				hosts[d.URL] = host
			}
			var endpointID *string
			if d.EndpointID != "" {
				endpointID = &d.EndpointID
			}
			args = append(args, d.ID, d.TenantID, d.EventID, d.EventType, endpointID, d.URL, string(d.Scheme), d.Secret,
				string(d.Body), string(d.Status), d.Attempts, d.Tries, microsPtr(d.NextAttemptAt), microsPtr(d.LastAttemptAt),
				d.LastStatusCode, d.LastError, microsPtr(d.LeaseUntil), micros(d.CreatedAt), micros(d.UpdatedAt), host)
		}
		res, err := t.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`, host) VALUES `+
			row+strings.Repeat(", "+row, len(chunk)-1)+` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return inserted, fmt.Errorf("create deliveries: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return inserted, fmt.Errorf("create deliveries: %w", err)
		}
		if inserted += int(n); int(n) < len(chunk) {
			t.state.conflicted = true
		}
	}
	return inserted, nil
}

func (t *view) FindDeliveryByID(ctx context.Context, tenantID, id string) (*paykit.Delivery, error) {
	var r deliveryRow
	if err := t.get(ctx, &r, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Delivery not found.", "find delivery "+id)
	}
	return r.delivery(), nil
}

func (t *view) FindDeliveriesByID(ctx context.Context, tenantID string, ids []string) ([]*paykit.Delivery, error) {
	var out []*paykit.Delivery
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), deliveryChunk)]
		ids = ids[len(chunk):]
		args := make([]any, 0, 1+len(chunk))
		args = append(args, tenantID)
		for _, id := range chunk {
			args = append(args, id)
		}
		var rows []deliveryRow
		err := t.selectAll(ctx, &rows, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = ? AND id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("find deliveries by id: %w", err)
		}
		out = append(out, deliveries(rows)...)
	}
	slices.SortFunc(out, func(a, b *paykit.Delivery) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *view) FindDeliveries(ctx context.Context, tenantID string, f paykit.DeliveryFilter) ([]*paykit.Delivery, error) {
	st := deliveriesSelect(tenantID, f)
	var rows []deliveryRow
	if err := t.selectAll(ctx, &rows, st.query, st.args...); err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	return deliveries(rows), nil
}

func (t *view) FindDeliveryOutcomes(ctx context.Context, tenantID string, from, to time.Time) (paykit.DeliveryOutcomes, error) {
	st := deliveryOutcomesSelect(tenantID, from, to)
	var n struct {
		Succeeded sql.NullInt64 `db:"succeeded"` // SUM of no rows is NULL
		All       int64         `db:"deliveries"`
	}
	if err := t.get(ctx, &n, st.query, st.args...); err != nil {
		return paykit.DeliveryOutcomes{}, fmt.Errorf("count delivery outcomes: %w", err)
	}
	return paykit.DeliveryOutcomes{Succeeded: int(n.Succeeded.Int64), Failed: int(n.All - n.Succeeded.Int64)}, nil
}

// deliveryOutcomesSelect returns the statement of FindDeliveryOutcomes,
// which reads the span's part of the index webhook_deliveries_attempted.
func deliveryOutcomesSelect(tenantID string, from, to time.Time) statement {
	return statement{`SELECT SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded, COUNT(*) AS deliveries
		FROM webhook_deliveries WHERE tenant_id = ? AND last_attempt_at >= ? AND last_attempt_at < ?`,
		[]any{tenantID, micros(from), micros(to)}}
}

// deliveriesSelect returns the statement of a page of deliveries, in ID
// order, from the index of its filter (see plans_test.go).
func deliveriesSelect(tenantID string, f paykit.DeliveryFilter) statement {
	q := newQuery("tenant_id = ?", tenantID)
	if f.EndpointID != nil {
		q.add("endpoint_id = ?", *f.EndpointID)
	}
	if f.EventID != nil {
		q.add("event_id = ?", *f.EventID)
	}
	if f.Status != nil {
		q.add("status = ?", string(*f.Status))
	}
	if f.After != "" {
		q.add("id > ?", f.After)
	}
	return statement{`SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE ` + q.clause() + ` ORDER BY id LIMIT ?`,
		append(q.args, limit(f.Limit))}
}

func (t *tx) UpdateDelivery(ctx context.Context, d *paykit.Delivery) error {
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, tries = ?, next_attempt_at = ?,
			last_attempt_at = ?, last_status_code = ?, last_error = ?, lease_until = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		string(d.Status), d.Attempts, d.Tries, microsPtr(d.NextAttemptAt), microsPtr(d.LastAttemptAt), d.LastStatusCode,
		d.LastError, microsPtr(d.LeaseUntil), micros(d.UpdatedAt), d.TenantID, d.ID)
	if err != nil {
		return fmt.Errorf("update delivery %s: %w", d.ID, err)
	}
	return affected(res, "Delivery not found.")
}

func (t *tx) UpdateDeliveries(ctx context.Context, ds []*paykit.Delivery) error {
	// The new values of each row, typed, since PostgreSQL would take an
	// untyped parameter in VALUES for text.
	const row = `(?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?,
		CAST(? AS BIGINT), CAST(? AS BIGINT))`
	for len(ds) > 0 {
		chunk := ds[:min(len(ds), deliveryChunk)]
		ds = ds[len(chunk):]
		args := make([]any, 0, 11*len(chunk))
		for _, d := range chunk {
			args = append(args, d.TenantID, d.ID, string(d.Status), d.Attempts, d.Tries, microsPtr(d.NextAttemptAt),
				microsPtr(d.LastAttemptAt), d.LastStatusCode, d.LastError, microsPtr(d.LeaseUntil), micros(d.UpdatedAt))
		}
		res, err := t.exec(ctx, `WITH v (tenant_id, id, status, attempts, tries, next_attempt_at, last_attempt_at,
				last_status_code, last_error, lease_until, updated_at) AS (VALUES `+row+strings.Repeat(", "+row, len(chunk)-1)+`)
			UPDATE webhook_deliveries AS d SET status = v.status, attempts = v.attempts, tries = v.tries,
				next_attempt_at = v.next_attempt_at, last_attempt_at = v.last_attempt_at, last_status_code = v.last_status_code,
				last_error = v.last_error, lease_until = v.lease_until, updated_at = v.updated_at
			FROM v WHERE d.tenant_id = v.tenant_id AND d.id = v.id`, args...)
		if err != nil {
			return fmt.Errorf("update deliveries: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update deliveries: %w", err)
		} else if int(n) < len(chunk) {
			return paykit.Errorf(paykit.ENOTFOUND, "Delivery not found.")
		}
	}
	return nil
}

func (t *tx) FailPendingDeliveries(ctx context.Context, tenantID, endpointID, reason string, now time.Time) (int, error) {
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_until = NULL,
			last_error = ?, updated_at = ?
		WHERE tenant_id = ? AND endpoint_id = ? AND status = 'pending'`, reason, micros(now), tenantID, endpointID)
	if err != nil {
		return 0, fmt.Errorf("fail deliveries of endpoint %s: %w", endpointID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *tx) DeleteFinishedDeliveries(ctx context.Context, before time.Time, n int) (int, error) {
	// The subquery repeats the webhook_deliveries_finished index's condition,
	// so that SQLite can use that partial index; the attempts go by their
	// foreign key's ON DELETE CASCADE.
	res, err := t.exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN (
		SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at LIMIT ?`+t.skipLocked()+`)`,
		micros(before), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete finished deliveries: %w", err)
	}
	deleted, err := res.RowsAffected()
	return int(deleted), err
}

func (t *view) FindDueDeliveryLanes(ctx context.Context, now time.Time, n int) ([]paykit.DeliveryLane, error) {
	// The WHERE repeats the webhook_deliveries_due index's condition, so that
	// SQLite can use that partial index.
	var rows []struct {
		TenantID string `db:"tenant_id"`
		Lane     string `db:"lane"`
		Due      int64  `db:"due"`
	}
	err := t.selectAll(ctx, &rows, `SELECT tenant_id, lane, MIN(next_attempt_at) AS due FROM webhook_deliveries
		WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
		GROUP BY tenant_id, lane ORDER BY due, tenant_id, lane LIMIT ?`, micros(now), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("find due delivery lanes: %w", err)
	}
	out := make([]paykit.DeliveryLane, len(rows))
	for i, r := range rows {
		out[i] = paykit.DeliveryLane{TenantID: r.TenantID, Key: r.Lane}
	}
	return out, nil
}

func (t *tx) ClaimDeliveries(ctx context.Context, lane paykit.DeliveryLane, now, leaseUntil time.Time, n int) ([]*paykit.Delivery, error) {
	var rows []deliveryRow
	err := t.selectAll(ctx, &rows, `UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (
			SELECT id FROM webhook_deliveries
			WHERE tenant_id = ? AND lane = ? AND status = 'pending' AND next_attempt_at <= ?
				AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`+t.skipLocked()+`)
		RETURNING `+deliveryColumns, micros(leaseUntil), lane.TenantID, lane.Key, micros(now), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	// RETURNING yields rows in no promised order.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if *a.NextAttemptAt != *b.NextAttemptAt {
			return *a.NextAttemptAt < *b.NextAttemptAt
		}
		return a.ID < b.ID
	})
	return deliveries(rows), nil
}

const attemptColumns = `delivery_id, n, tenant_id, url, at, status_code, response, error, duration_us, succeeded`

type attemptRow struct {
	DeliveryID string `db:"delivery_id"`
	N          int    `db:"n"`
	TenantID   string `db:"tenant_id"`
	URL        string `db:"url"`
	At         int64  `db:"at"`
	StatusCode int    `db:"status_code"`
	Response   string `db:"response"`
	Error      string `db:"error"`
	DurationUS int64  `db:"duration_us"`
	Succeeded  bool   `db:"succeeded"`
}

func (t *tx) CreateDeliveryAttempt(ctx context.Context, a *paykit.DeliveryAttempt) error {
	return t.insert(ctx, "Delivery attempt already exists.", fmt.Sprintf("create attempt %d of delivery %s", a.N, a.DeliveryID),
		`INSERT INTO webhook_attempts (`+attemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.DeliveryID, a.N, a.TenantID, a.URL, micros(a.At), a.StatusCode, a.Response, a.Error,
		a.Duration.Microseconds(), a.Succeeded)
}

func (t *tx) CreateDeliveryAttempts(ctx context.Context, as []*paykit.DeliveryAttempt) error {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	for len(as) > 0 {
		chunk := as[:min(len(as), deliveryChunk)]
		as = as[len(chunk):]
		args := make([]any, 0, 10*len(chunk))
		for _, a := range chunk {
			args = append(args, a.DeliveryID, a.N, a.TenantID, a.URL, micros(a.At), a.StatusCode, a.Response, a.Error,
				a.Duration.Microseconds(), a.Succeeded)
		}
		res, err := t.exec(ctx, `INSERT INTO webhook_attempts (`+attemptColumns+`) VALUES `+
			row+strings.Repeat(", "+row, len(chunk)-1)+` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("create delivery attempts: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create delivery attempts: %w", err)
		} else if int(n) < len(chunk) {
			return t.taken("Delivery attempt already exists.")
		}
	}
	return nil
}

func (t *view) FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*paykit.DeliveryAttempt, error) {
	var rows []attemptRow
	err := t.selectAll(ctx, &rows, `SELECT `+attemptColumns+` FROM webhook_attempts WHERE delivery_id = ? AND tenant_id = ? ORDER BY n`,
		deliveryID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find attempts of delivery %s: %w", deliveryID, err)
	}
	out := make([]*paykit.DeliveryAttempt, len(rows))
	for i, r := range rows {
		out[i] = &paykit.DeliveryAttempt{DeliveryID: r.DeliveryID, N: r.N, TenantID: r.TenantID, URL: r.URL,
			At: fromMicros(r.At), StatusCode: r.StatusCode, Response: r.Response, Error: r.Error,
			Duration: time.Duration(r.DurationUS) * time.Microsecond, Succeeded: r.Succeeded}
	}
	return out, nil
}
