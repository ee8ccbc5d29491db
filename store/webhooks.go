package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// Endpoints.

const endpointColumns = `tenant_id, id, url, events, scheme, secret, standard_secret, enabled, disabled_reason,
	description, headers, metadata, failing_since, created_at, updated_at, from_seq`

type endpointRow struct {
	TenantID       string  `db:"tenant_id"`
	ID             string  `db:"id"`
	URL            string  `db:"url"`
	Events         string  `db:"events"`
	Scheme         string  `db:"scheme"`
	Secret         string  `db:"secret"`
	StandardSecret string  `db:"standard_secret"`
	Enabled        bool    `db:"enabled"`
	DisabledReason string  `db:"disabled_reason"`
	Description    string  `db:"description"`
	Headers        string  `db:"headers"`
	Metadata       *string `db:"metadata"`
	FailingSince   *int64  `db:"failing_since"`
	CreatedAt      int64   `db:"created_at"`
	UpdatedAt      int64   `db:"updated_at"`
	FromSeq        int64   `db:"from_seq"`
}

func (r *endpointRow) endpoint() (*paykit.Endpoint, error) {
	e := &paykit.Endpoint{TenantID: r.TenantID, ID: r.ID, URL: r.URL, Scheme: paykit.SignatureScheme(r.Scheme),
		Secret: r.Secret, StandardSecret: r.StandardSecret, Enabled: r.Enabled, DisabledReason: r.DisabledReason,
		Description: r.Description, FailingSince: fromMicrosPtr(r.FailingSince),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt), FromSeq: r.FromSeq}
	if err := json.Unmarshal([]byte(r.Events), &e.Events); err != nil {
		return nil, fmt.Errorf("endpoint %s: events: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Headers), &e.Headers); err != nil {
		return nil, fmt.Errorf("endpoint %s: headers: %w", r.ID, err)
	}
	if len(e.Headers) == 0 {
		e.Headers = nil
	}
	if r.Metadata != nil {
		e.Metadata = json.RawMessage(*r.Metadata)
	}
	return e, nil
}

func endpointArgs(e *paykit.Endpoint) (events, headers string, metadata *string, err error) {
	ev := e.Events
	if ev == nil {
		ev = []string{}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", "", nil, fmt.Errorf("endpoint %s: events: %w", e.ID, err)
	}
	h := e.Headers
	if h == nil {
		h = map[string]string{}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", "", nil, fmt.Errorf("endpoint %s: headers: %w", e.ID, err)
	}
	if len(e.Metadata) > 0 {
		m := string(e.Metadata)
		metadata = &m
	}
	return string(b), string(hb), metadata, nil
}

// CreateEndpoint inserts e. Returns ECONFLICT when the tenant has an endpoint
// with its ID.
func (d *DB) CreateEndpoint(ctx context.Context, e *paykit.Endpoint) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.CreateEndpoint(ctx, e) })
}

// FindEndpointByID returns the tenant's endpoint with id. Returns ENOTFOUND.
func (d *DB) FindEndpointByID(ctx context.Context, tenantID, id string) (*paykit.Endpoint, error) {
	return d.read.FindEndpointByID(ctx, tenantID, id)
}

// FindEndpoints returns a page of the tenant's endpoints in creation order:
// by CreatedAt, FromSeq and ID.
func (d *DB) FindEndpoints(ctx context.Context, tenantID string, f paykit.EndpointFilter) ([]*paykit.Endpoint, error) {
	return d.read.FindEndpoints(ctx, tenantID, f)
}

// FindEndpointPage returns a page of the tenant's endpoints that f selects,
// newest first, and how many it selects in all.
func (d *DB) FindEndpointPage(ctx context.Context, tenantID string, f paykit.EndpointFilter, p paykit.ListPage) ([]*paykit.Endpoint, int, error) {
	return d.read.FindEndpointPage(ctx, tenantID, f, p)
}

// UpdateEndpoint writes every mutable field of e to the endpoint now named id;
// its deliveries follow a new ID. Returns ENOTFOUND, and ECONFLICT when e.ID
// is taken.
func (d *DB) UpdateEndpoint(ctx context.Context, id string, e *paykit.Endpoint) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.UpdateEndpoint(ctx, id, e) })
}

// DeleteEndpoint deletes the endpoint with its deliveries and their attempts.
// Returns ENOTFOUND.
func (d *DB) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.DeleteEndpoint(ctx, tenantID, id) })
}

func (t *tx) CreateEndpoint(ctx context.Context, e *paykit.Endpoint) error {
	events, headers, metadata, err := endpointArgs(e)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.ID, e.URL, events, string(e.Scheme), e.Secret, e.StandardSecret, e.Enabled, e.DisabledReason,
		e.Description, headers, metadata, microsPtr(e.FailingSince), micros(e.CreatedAt), micros(e.UpdatedAt), e.FromSeq)
	if err != nil {
		return conflict(err, "An endpoint with this ID already exists.", "create endpoint "+e.ID)
	}
	return nil
}

func (t *tx) FindEndpointByID(ctx context.Context, tenantID, id string) (*paykit.Endpoint, error) {
	var r endpointRow
	if err := t.get(ctx, &r, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Webhook endpoint not found.", "find endpoint "+id)
	}
	return r.endpoint()
}

func (t *tx) FindEndpoints(ctx context.Context, tenantID string, f paykit.EndpointFilter) ([]*paykit.Endpoint, error) {
	where, args := []string{"tenant_id = ?"}, []any{tenantID}
	if f.Scheme != nil {
		where, args = append(where, "scheme = ?"), append(args, string(*f.Scheme))
	}
	if f.Enabled != nil {
		where, args = append(where, "enabled = ?"), append(args, *f.Enabled)
	}
	if f.After != "" {
		where = append(where, "(created_at, from_seq, id) > (SELECT created_at, from_seq, id FROM webhook_endpoints WHERE tenant_id = ? AND id = ?)")
		args = append(args, tenantID, f.After)
	}
	var rows []endpointRow
	err := t.selectAll(ctx, &rows, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at, from_seq, id LIMIT ?`, append(args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find endpoints: %w", err)
	}
	out := make([]*paykit.Endpoint, len(rows))
	for i := range rows {
		if out[i], err = rows[i].endpoint(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *tx) FindEndpointPage(ctx context.Context, tenantID string, f paykit.EndpointFilter, p paykit.ListPage) ([]*paykit.Endpoint, int, error) {
	var q listQuery
	q.add("tenant_id = ?", tenantID)
	if f.Scheme != nil {
		q.add("scheme = ?", string(*f.Scheme))
	}
	if f.Enabled != nil {
		q.add("enabled = ?", *f.Enabled)
	}
	var rows []endpointRow
	var n int
	// The count and the page read one snapshot, as list does for the other
	// newest-first lists. Their keyset is (created, uid); endpoints are
	// ordered by (created_at, from_seq, id), since their IDs are the client's,
	// so a cursor is resolved to its row, and one naming no row of the tenant
	// compares with NULL: an empty page.
	err := t.readTx(ctx, func(t *tx) error {
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM webhook_endpoints WHERE `+q.clause(), q.args...); err != nil {
			return err
		}
		const at = `(SELECT created_at, from_seq, id FROM webhook_endpoints WHERE tenant_id = ? AND id = ? AND created_at = ?)`
		dir, reverse, offset := "DESC", false, max(p.Offset, 0)
		switch {
		case p.After != nil:
			q.add("(created_at, from_seq, id) < "+at, tenantID, p.After.UID, micros(p.After.CreatedAt))
			offset = 0
		case p.Before != nil:
			q.add("(created_at, from_seq, id) > "+at, tenantID, p.Before.UID, micros(p.Before.CreatedAt))
			dir, reverse, offset = "ASC", true, 0
		}
		err := t.selectAll(ctx, &rows, fmt.Sprintf(`SELECT %s FROM webhook_endpoints WHERE %s
			ORDER BY created_at %s, from_seq %s, id %s LIMIT ? OFFSET ?`, endpointColumns, q.clause(), dir, dir, dir),
			append(q.args, limit(p.Limit), offset)...)
		if reverse {
			slices.Reverse(rows)
		}
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find endpoint page: %w", err)
	}
	out := make([]*paykit.Endpoint, len(rows))
	for i := range rows {
		if out[i], err = rows[i].endpoint(); err != nil {
			return nil, 0, err
		}
	}
	return out, n, nil
}

func (t *tx) UpdateEndpoint(ctx context.Context, id string, e *paykit.Endpoint) error {
	events, headers, metadata, err := endpointArgs(e)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE webhook_endpoints SET id = ?, url = ?, events = ?, scheme = ?, secret = ?,
			standard_secret = ?, enabled = ?, disabled_reason = ?, description = ?, headers = ?, metadata = ?,
			failing_since = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		e.ID, e.URL, events, string(e.Scheme), e.Secret, e.StandardSecret, e.Enabled, e.DisabledReason, e.Description,
		headers, metadata, microsPtr(e.FailingSince), micros(e.UpdatedAt), e.TenantID, id)
	if err != nil {
		return conflict(err, "An endpoint with this ID already exists.", "update endpoint "+id)
	}
	return affected(res, "Webhook endpoint not found.")
}

func (t *tx) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	res, err := t.exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	return affected(res, "Webhook endpoint not found.")
}

// Events, as the fan-out reads them.

// FindEventByID returns the tenant's event with id. Returns ENOTFOUND.
func (d *DB) FindEventByID(ctx context.Context, tenantID, id string) (*paykit.Event, error) {
	return d.read.FindEventByID(ctx, tenantID, id)
}

// FindEventsAfter returns up to limit events of every tenant past seq, in Seq
// order.
func (d *DB) FindEventsAfter(ctx context.Context, seq int64, limit int) ([]*paykit.Event, error) {
	return d.read.FindEventsAfter(ctx, seq, limit)
}

// FindWebhookCursor returns the Seq of the last event fanned out.
func (d *DB) FindWebhookCursor(ctx context.Context) (int64, error) {
	return d.read.FindWebhookCursor(ctx)
}

// UpdateWebhookCursor sets the Seq of the last event fanned out.
func (d *DB) UpdateWebhookCursor(ctx context.Context, seq int64) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.UpdateWebhookCursor(ctx, seq) })
}

func (t *tx) FindEventByID(ctx context.Context, tenantID, id string) (*paykit.Event, error) {
	var r eventRow
	if err := t.get(ctx, &r, `SELECT `+eventColumns+` FROM events WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Event not found.", "find event "+id)
	}
	return r.event(), nil
}

func (t *tx) FindEventsAfter(ctx context.Context, seq int64, n int) ([]*paykit.Event, error) {
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

func (t *tx) FindWebhookCursor(ctx context.Context) (int64, error) {
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

// Deliveries.

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

// CreateDelivery inserts d. Returns ECONFLICT when its ID is taken or its
// endpoint already has a delivery of its event.
func (d *DB) CreateDelivery(ctx context.Context, dl *paykit.Delivery) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.CreateDelivery(ctx, dl) })
}

// FindDeliveryByID returns the tenant's delivery with id. Returns ENOTFOUND.
func (d *DB) FindDeliveryByID(ctx context.Context, tenantID, id string) (*paykit.Delivery, error) {
	return d.read.FindDeliveryByID(ctx, tenantID, id)
}

// FindDeliveries returns a page of the tenant's deliveries in ID order.
func (d *DB) FindDeliveries(ctx context.Context, tenantID string, f paykit.DeliveryFilter) ([]*paykit.Delivery, error) {
	return d.read.FindDeliveries(ctx, tenantID, f)
}

// UpdateDelivery writes the mutable fields of dl. Returns ENOTFOUND.
func (d *DB) UpdateDelivery(ctx context.Context, dl *paykit.Delivery) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.UpdateDelivery(ctx, dl) })
}

// FailPendingDeliveries fails every pending delivery of the endpoint.
func (d *DB) FailPendingDeliveries(ctx context.Context, tenantID, endpointID, reason string, now time.Time) (int, error) {
	var n int
	err := d.InTx(ctx, func(s paykit.Store) error {
		var err error
		n, err = s.FailPendingDeliveries(ctx, tenantID, endpointID, reason, now)
		return err
	})
	return n, err
}

// FindDueDeliveryLanes returns up to limit lanes with a due, unleased
// delivery, the most overdue first.
func (d *DB) FindDueDeliveryLanes(ctx context.Context, now time.Time, limit int) ([]paykit.DeliveryLane, error) {
	return d.read.FindDueDeliveryLanes(ctx, now, limit)
}

// ClaimDeliveries leases up to limit due deliveries of the lane.
func (d *DB) ClaimDeliveries(ctx context.Context, lane paykit.DeliveryLane, now, leaseUntil time.Time, limit int) ([]*paykit.Delivery, error) {
	var out []*paykit.Delivery
	err := d.InTx(ctx, func(s paykit.Store) error {
		var err error
		out, err = s.ClaimDeliveries(ctx, lane, now, leaseUntil, limit)
		return err
	})
	return out, err
}

// CreateDeliveryAttempt inserts a. Returns ECONFLICT when its number is taken.
func (d *DB) CreateDeliveryAttempt(ctx context.Context, a *paykit.DeliveryAttempt) error {
	return d.InTx(ctx, func(s paykit.Store) error { return s.CreateDeliveryAttempt(ctx, a) })
}

// FindDeliveryAttempts returns the attempts of the tenant's delivery in order.
func (d *DB) FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*paykit.DeliveryAttempt, error) {
	return d.read.FindDeliveryAttempts(ctx, tenantID, deliveryID)
}

func (t *tx) CreateDelivery(ctx context.Context, d *paykit.Delivery) error {
	var endpointID *string
	if d.EndpointID != "" {
		endpointID = &d.EndpointID
	}
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`, host)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.EventID, d.EventType, endpointID, d.URL, string(d.Scheme), d.Secret, string(d.Body),
		string(d.Status), d.Attempts, d.Tries, microsPtr(d.NextAttemptAt), microsPtr(d.LastAttemptAt), d.LastStatusCode,
		d.LastError, microsPtr(d.LeaseUntil), micros(d.CreatedAt), micros(d.UpdatedAt), laneHost(d.URL))
	if err != nil {
		return conflict(err, "Delivery already exists.", "create delivery "+d.ID)
	}
	return nil
}

func (t *tx) FindDeliveryByID(ctx context.Context, tenantID, id string) (*paykit.Delivery, error) {
	var r deliveryRow
	if err := t.get(ctx, &r, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Delivery not found.", "find delivery "+id)
	}
	return r.delivery(), nil
}

func (t *tx) FindDeliveries(ctx context.Context, tenantID string, f paykit.DeliveryFilter) ([]*paykit.Delivery, error) {
	where, args := []string{"tenant_id = ?"}, []any{tenantID}
	if f.EndpointID != nil {
		where, args = append(where, "endpoint_id = ?"), append(args, *f.EndpointID)
	}
	if f.EventID != nil {
		where, args = append(where, "event_id = ?"), append(args, *f.EventID)
	}
	if f.Status != nil {
		where, args = append(where, "status = ?"), append(args, string(*f.Status))
	}
	if f.After != "" {
		where, args = append(where, "id > ?"), append(args, f.After)
	}
	var rows []deliveryRow
	err := t.selectAll(ctx, &rows, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	return deliveries(rows), nil
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

func (t *tx) FindDueDeliveryLanes(ctx context.Context, now time.Time, n int) ([]paykit.DeliveryLane, error) {
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
	if !t.inTx {
		return t.db.ClaimDeliveries(ctx, lane, now, leaseUntil, n)
	}
	var rows []deliveryRow
	err := t.selectAll(ctx, &rows, `UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (
			SELECT id FROM webhook_deliveries
			WHERE tenant_id = ? AND lane = ? AND status = 'pending' AND next_attempt_at <= ?
				AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?)
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
	_, err := t.exec(ctx, `INSERT INTO webhook_attempts (`+attemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.DeliveryID, a.N, a.TenantID, a.URL, micros(a.At), a.StatusCode, a.Response, a.Error,
		a.Duration.Microseconds(), a.Succeeded)
	if err != nil {
		return conflict(err, "Delivery attempt already exists.", fmt.Sprintf("create attempt %d of delivery %s", a.N, a.DeliveryID))
	}
	return nil
}

func (t *tx) FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*paykit.DeliveryAttempt, error) {
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
