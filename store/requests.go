package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

// Merchants.

type merchantRow struct {
	TenantID           string `db:"tenant_id"`
	SigningKey         string `db:"signing_key"`
	DefaultCountryCode string `db:"default_country_code"`
	RequestLimits      string `db:"request_limits"`
	CreatedAt          int64  `db:"created_at"`
	UpdatedAt          int64  `db:"updated_at"`
}

func (r *merchantRow) merchant() (*paykit.Merchant, error) {
	var minor map[paykit.Currency]int64
	if err := json.Unmarshal([]byte(r.RequestLimits), &minor); err != nil {
		return nil, fmt.Errorf("merchant %s: request limits: %w", r.TenantID, err)
	}
	limits := make(map[paykit.Currency]paykit.Money, len(minor))
	for c, v := range minor {
		limits[c] = paykit.MoneyFromMinor(v, c)
	}
	return &paykit.Merchant{TenantID: r.TenantID, SigningKey: r.SigningKey, DefaultCountryCode: r.DefaultCountryCode,
		RequestLimits: limits, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}, nil
}

func (t *tx) PutMerchant(ctx context.Context, m *paykit.Merchant) error {
	minor := make(map[paykit.Currency]int64, len(m.RequestLimits))
	for c, l := range m.RequestLimits {
		minor[c] = l.Minor()
	}
	limits, err := json.Marshal(minor)
	if err != nil {
		return fmt.Errorf("put merchant %s: %w", m.TenantID, err)
	}
	_, err = t.exec(ctx, `INSERT INTO merchants (tenant_id, signing_key, default_country_code, request_limits, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET signing_key = excluded.signing_key,
			default_country_code = excluded.default_country_code, request_limits = excluded.request_limits,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		m.TenantID, m.SigningKey, m.DefaultCountryCode, string(limits), micros(m.CreatedAt), micros(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put merchant %s: %w", m.TenantID, err)
	}
	return nil
}

func (t *view) FindMerchant(ctx context.Context, tenantID string) (*paykit.Merchant, error) {
	var r merchantRow
	err := t.get(ctx, &r, `SELECT tenant_id, signing_key, default_country_code, request_limits, created_at, updated_at
		FROM merchants WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return nil, notFound(err, "Merchant not found.", "find merchant "+tenantID)
	}
	return r.merchant()
}

// Payers.

const payerColumns = `id, tenant_id, username, phone, merchant, created_at`

type payerRow struct {
	ID        string `db:"id"`
	TenantID  string `db:"tenant_id"`
	Username  string `db:"username"`
	Phone     string `db:"phone"`
	Merchant  bool   `db:"merchant"`
	CreatedAt int64  `db:"created_at"`
}

func (r *payerRow) payer() *paykit.Payer {
	return &paykit.Payer{ID: r.ID, TenantID: r.TenantID, Username: r.Username, Phone: r.Phone, Merchant: r.Merchant,
		CreatedAt: fromMicros(r.CreatedAt)}
}

func (t *tx) CreatePayer(ctx context.Context, p *paykit.Payer) error {
	return t.insert(ctx, "A payer with this ID, username or phone number already exists.", "create payer "+p.ID,
		`INSERT INTO payers (`+payerColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ID, p.TenantID, p.Username, p.Phone, p.Merchant, micros(p.CreatedAt))
}

func (t *view) findPayer(ctx context.Context, what, where string, args ...any) (*paykit.Payer, error) {
	var r payerRow
	if err := t.get(ctx, &r, `SELECT `+payerColumns+` FROM payers WHERE `+where, args...); err != nil {
		return nil, notFound(err, "Payer not found.", "find payer "+what)
	}
	return r.payer(), nil
}

func (t *view) FindPayerByID(ctx context.Context, tenantID, id string) (*paykit.Payer, error) {
	return t.findPayer(ctx, id, `tenant_id = ? AND id = ?`, tenantID, id)
}

func (t *view) FindPayerByUsername(ctx context.Context, tenantID, username string) (*paykit.Payer, error) {
	if username == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Payer not found.")
	}
	return t.findPayer(ctx, "by username", `tenant_id = ? AND username = ?`, tenantID, username)
}

func (t *view) FindPayerByPhone(ctx context.Context, tenantID, phone string) (*paykit.Payer, error) {
	if phone == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Payer not found.")
	}
	return t.findPayer(ctx, "by phone", `tenant_id = ? AND phone = ?`, tenantID, phone)
}

// Requests.

const requestColumns = `id, tenant_id, payer_id, recipient, amount_minor, currency, description, image_url,
	order_ref, terminal, notify_url, status, reason, transaction_id, expires_at, completed_at, created_at, updated_at`

type requestRow struct {
	ID            string `db:"id"`
	TenantID      string `db:"tenant_id"`
	PayerID       string `db:"payer_id"`
	Recipient     string `db:"recipient"`
	AmountMinor   int64  `db:"amount_minor"`
	Currency      string `db:"currency"`
	Description   string `db:"description"`
	ImageURL      string `db:"image_url"`
	OrderRef      string `db:"order_ref"`
	Terminal      *int64 `db:"terminal"`
	NotifyURL     string `db:"notify_url"`
	Status        string `db:"status"`
	Reason        string `db:"reason"`
	TransactionID string `db:"transaction_id"`
	ExpiresAt     int64  `db:"expires_at"`
	CompletedAt   *int64 `db:"completed_at"`
	CreatedAt     int64  `db:"created_at"`
	UpdatedAt     int64  `db:"updated_at"`
}

func (r *requestRow) request() *paykit.Request {
	return &paykit.Request{
		ID: r.ID, TenantID: r.TenantID, PayerID: r.PayerID, Recipient: r.Recipient,
		Amount:      paykit.MoneyFromMinor(r.AmountMinor, paykit.Currency(r.Currency)),
		Description: r.Description, ImageURL: r.ImageURL, Order: r.OrderRef, Terminal: r.Terminal, NotifyURL: r.NotifyURL,
		Status: paykit.RequestStatus(r.Status), Reason: paykit.RequestReason(r.Reason), TransactionID: r.TransactionID,
		ExpiresAt: fromMicros(r.ExpiresAt), CompletedAt: fromMicrosPtr(r.CompletedAt),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

func (t *tx) CreateRequest(ctx context.Context, r *paykit.Request) error {
	return t.insert(ctx, "Payment request already exists.", "create request "+r.ID,
		`INSERT INTO requests (`+requestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.TenantID, r.PayerID, r.Recipient, r.Amount.Minor(), string(r.Amount.Currency), r.Description, r.ImageURL,
		r.Order, r.Terminal, r.NotifyURL, string(r.Status), string(r.Reason), r.TransactionID, micros(r.ExpiresAt),
		microsPtr(r.CompletedAt), micros(r.CreatedAt), micros(r.UpdatedAt))
}

func (t *view) FindRequestByID(ctx context.Context, tenantID, id string) (*paykit.Request, error) {
	var r requestRow
	if err := t.get(ctx, &r, `SELECT `+requestColumns+` FROM requests WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Payment request not found.", "find request "+id)
	}
	return r.request(), nil
}

func (t *view) FindRequests(ctx context.Context, tenantID string, f paykit.RequestFilter) ([]*paykit.Request, error) {
	st := requestsSelect(tenantID, f)
	var rows []requestRow
	if err := t.selectAll(ctx, &rows, st.query, st.args...); err != nil {
		return nil, fmt.Errorf("find requests: %w", err)
	}
	out := make([]*paykit.Request, len(rows))
	for i := range rows {
		out[i] = rows[i].request()
	}
	return out, nil
}

// requestsSelect returns the statement of a page of requests, in ID order
// from requests_tenant (see plans_test.go).
func requestsSelect(tenantID string, f paykit.RequestFilter) statement {
	return statement{`SELECT ` + requestColumns + ` FROM requests WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
		[]any{tenantID, f.After, limit(f.Limit)}}
}

func (t *tx) UpdateRequest(ctx context.Context, r *paykit.Request) error {
	res, err := t.exec(ctx, `UPDATE requests SET status = ?, reason = ?, transaction_id = ?, expires_at = ?,
		completed_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		string(r.Status), string(r.Reason), r.TransactionID, micros(r.ExpiresAt), microsPtr(r.CompletedAt),
		micros(r.UpdatedAt), r.TenantID, r.ID)
	if err != nil {
		return fmt.Errorf("update request %s: %w", r.ID, err)
	}
	return affected(res, "Payment request not found.")
}

func (t *view) FindExpiredRequests(ctx context.Context, now time.Time, n int) ([]*paykit.Request, error) {
	var rows []requestRow
	err := t.selectAll(ctx, &rows, `SELECT `+requestColumns+` FROM requests
		WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`+t.skipLocked(), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("find expired requests: %w", err)
	}
	out := make([]*paykit.Request, len(rows))
	for i := range rows {
		out[i] = rows[i].request()
	}
	return out, nil
}
