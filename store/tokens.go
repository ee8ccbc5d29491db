package store

import (
	"context"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

const tokenColumns = `id, tenant_id, token, source_account_id, amount_minor, currency, memo, status, expires_at,
	reservation_id, payment_id, accepted_at, created_at, updated_at`

type tokenRow struct {
	ID              string `db:"id"`
	TenantID        string `db:"tenant_id"`
	Token           string `db:"token"`
	SourceAccountID string `db:"source_account_id"`
	AmountMinor     int64  `db:"amount_minor"`
	Currency        string `db:"currency"`
	Memo            string `db:"memo"`
	Status          string `db:"status"`
	ExpiresAt       int64  `db:"expires_at"`
	ReservationID   string `db:"reservation_id"`
	PaymentID       string `db:"payment_id"`
	AcceptedAt      *int64 `db:"accepted_at"`
	CreatedAt       int64  `db:"created_at"`
	UpdatedAt       int64  `db:"updated_at"`
}

func (r *tokenRow) token() *paykit.Token {
	return &paykit.Token{
		ID: r.ID, TenantID: r.TenantID, Token: r.Token, SourceAccountID: r.SourceAccountID,
		Amount: paykit.MoneyFromMinor(r.AmountMinor, paykit.Currency(r.Currency)), Memo: r.Memo,
		Status: paykit.TokenStatus(r.Status), ExpiresAt: fromMicros(r.ExpiresAt),
		ReservationID: r.ReservationID, PaymentID: r.PaymentID, AcceptedAt: fromMicrosPtr(r.AcceptedAt),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

func tokens(rows []tokenRow) []*paykit.Token {
	out := make([]*paykit.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	return out
}

func (t *tx) CreateToken(ctx context.Context, tk *paykit.Token) error {
	return t.insert(ctx, "Token already exists.", "create token "+tk.ID,
		`INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.ID, tk.TenantID, tk.Token, tk.SourceAccountID, tk.Amount.Minor(), string(tk.Amount.Currency), tk.Memo,
		string(tk.Status), micros(tk.ExpiresAt), tk.ReservationID, tk.PaymentID, microsPtr(tk.AcceptedAt),
		micros(tk.CreatedAt), micros(tk.UpdatedAt))
}

func (t *view) FindTokenByID(ctx context.Context, tenantID, id string) (*paykit.Token, error) {
	var r tokenRow
	if err := t.get(ctx, &r, `SELECT `+tokenColumns+` FROM tokens WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Payment token not found.", "find token "+id)
	}
	return r.token(), nil
}

func (t *view) FindTokenByToken(ctx context.Context, tenantID, token string) (*paykit.Token, error) {
	var r tokenRow
	if err := t.get(ctx, &r, `SELECT `+tokenColumns+` FROM tokens WHERE tenant_id = ? AND token = ?`, tenantID, token); err != nil {
		return nil, notFound(err, "Payment token not found.", "find token by token")
	}
	return r.token(), nil
}

func (t *view) FindTokens(ctx context.Context, tenantID string, f paykit.TokenFilter) ([]*paykit.Token, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Status != nil {
		q.add("status = ?", string(*f.Status))
	}
	if f.SourceAccountID != nil {
		q.add("source_account_id = ?", *f.SourceAccountID)
	}
	if f.After != "" {
		q.add("id > ?", f.After)
	}
	var rows []tokenRow
	err := t.selectAll(ctx, &rows, `SELECT `+tokenColumns+` FROM tokens WHERE `+q.clause()+
		` ORDER BY id LIMIT ?`, append(q.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	return tokens(rows), nil
}

func (t *tx) UpdateToken(ctx context.Context, tk *paykit.Token) error {
	res, err := t.exec(ctx, `UPDATE tokens SET status = ?, payment_id = ?, accepted_at = ?, reservation_id = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		string(tk.Status), tk.PaymentID, microsPtr(tk.AcceptedAt), tk.ReservationID, micros(tk.UpdatedAt),
		tk.TenantID, tk.ID)
	if err != nil {
		return fmt.Errorf("update token %s: %w", tk.ID, err)
	}
	return affected(res, "Payment token not found.")
}

func (t *view) FindExpiredTokens(ctx context.Context, now time.Time, n int) ([]*paykit.Token, error) {
	var rows []tokenRow
	err := t.selectAll(ctx, &rows, `SELECT `+tokenColumns+` FROM tokens
		WHERE status = 'active' AND expires_at <= ? AND accepted_at IS NULL AND payment_id = ''
		ORDER BY expires_at, id LIMIT ?`+t.skipLocked(), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("find expired tokens: %w", err)
	}
	return tokens(rows), nil
}
