package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

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

func (t *tx) CreateEndpoint(ctx context.Context, e *paykit.Endpoint) error {
	events, headers, metadata, err := endpointArgs(e)
	if err != nil {
		return err
	}
	return t.insert(ctx, "An endpoint with this ID already exists.", "create endpoint "+e.ID,
		`INSERT INTO webhook_endpoints (`+endpointColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.ID, e.URL, events, string(e.Scheme), e.Secret, e.StandardSecret, e.Enabled, e.DisabledReason,
		e.Description, headers, metadata, microsPtr(e.FailingSince), micros(e.CreatedAt), micros(e.UpdatedAt), e.FromSeq)
}

func (t *view) FindEndpointByID(ctx context.Context, tenantID, id string) (*paykit.Endpoint, error) {
	var r endpointRow
	if err := t.get(ctx, &r, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Webhook endpoint not found.", "find endpoint "+id)
	}
	return r.endpoint()
}

func (t *view) FindEndpoints(ctx context.Context, tenantID string, f paykit.EndpointFilter) ([]*paykit.Endpoint, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Scheme != nil {
		q.add("scheme = ?", string(*f.Scheme))
	}
	if f.Enabled != nil {
		q.add("enabled = ?", *f.Enabled)
	}
	if f.After != "" {
		q.add("(created_at, from_seq, id) > (SELECT created_at, from_seq, id FROM webhook_endpoints WHERE tenant_id = ? AND id = ?)", tenantID, f.After)
	}
	var rows []endpointRow
	err := t.selectAll(ctx, &rows, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE `+q.clause()+
		` ORDER BY created_at, from_seq, id LIMIT ?`, append(q.args, limit(f.Limit))...)
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

func (t *view) FindEndpointPage(ctx context.Context, tenantID string, f paykit.EndpointFilter, p paykit.ListPage) ([]*paykit.Endpoint, int, error) {
	q := newQuery("tenant_id = ?", tenantID)
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
	err := t.readTx(ctx, func(t *view) error {
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
