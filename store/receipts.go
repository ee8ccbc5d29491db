package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

// Receipts are stored as the canonical JSON of paykit.Receipt, beside the
// columns their lists and the expiry sweep filter and order by.

const receiptColumns = `tenant_id, id, status, client_id, payment_id, valid_until, created_at, updated_at, receipt`

type receiptRow struct {
	TenantID   string `db:"tenant_id"`
	ID         string `db:"id"`
	Status     string `db:"status"`
	ClientID   string `db:"client_id"`
	PaymentID  string `db:"payment_id"`
	ValidUntil int64  `db:"valid_until"`
	CreatedAt  int64  `db:"created_at"`
	UpdatedAt  int64  `db:"updated_at"`
	Receipt    string `db:"receipt"`
}

func (r *receiptRow) receipt() (*paykit.Receipt, error) {
	rc := new(paykit.Receipt)
	if err := json.Unmarshal([]byte(r.Receipt), rc); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", r.ID, err)
	}
	return rc, nil
}

func receipts(rows []receiptRow) ([]*paykit.Receipt, error) {
	out := make([]*paykit.Receipt, len(rows))
	for i := range rows {
		r, err := rows[i].receipt()
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func (t *tx) CreateReceipt(ctx context.Context, r *paykit.Receipt) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("create receipt %s: %w", r.ID, err)
	}
	return t.insert(ctx, "A receipt with this ID already exists.", "create receipt "+r.ID,
		`INSERT INTO receipts (`+receiptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.TenantID, r.ID, string(r.Status), r.ClientID, r.PaymentID, micros(r.ValidUntil), micros(r.CreatedAt),
		micros(r.UpdatedAt), string(b))
}

func (t *tx) UpdateReceipt(ctx context.Context, r *paykit.Receipt) error {
	cur, err := t.FindReceiptByID(ctx, r.TenantID, r.ID)
	if err != nil {
		return err
	}
	c := *r
	c.PaymentID, c.CreatedAt = cur.PaymentID, cur.CreatedAt
	b, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("update receipt %s: %w", r.ID, err)
	}
	res, err := t.exec(ctx, `UPDATE receipts SET status = ?, client_id = ?, valid_until = ?, updated_at = ?, receipt = ?
		WHERE tenant_id = ? AND id = ?`, string(r.Status), r.ClientID, micros(r.ValidUntil), micros(r.UpdatedAt), string(b),
		r.TenantID, r.ID)
	if err != nil {
		return fmt.Errorf("update receipt %s: %w", r.ID, err)
	}
	return affected(res, "Receipt not found.")
}

func (t *view) FindReceiptByID(ctx context.Context, tenantID, id string) (*paykit.Receipt, error) {
	var r receiptRow
	if err := t.get(ctx, &r, `SELECT `+receiptColumns+` FROM receipts WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Receipt not found.", "find receipt "+id)
	}
	return r.receipt()
}

// receiptStatusAt is a receipt's status at a time, the argument: a pending
// or open receipt whose validity ended is expired.
const receiptStatusAt = `(CASE WHEN status IN ('pending', 'open') AND valid_until <= ? THEN 'expired' ELSE status END)`

func (t *view) FindReceipts(ctx context.Context, tenantID string, f paykit.ReceiptFilter) ([]*paykit.Receipt, int, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Status != nil {
		q.add(receiptStatusAt+" = ?", micros(f.At), string(*f.Status))
	}
	if f.ClientID != nil {
		q.add("client_id = ?", *f.ClientID)
	}
	if f.PaymentID != nil {
		q.add("payment_id = ?", *f.PaymentID)
	}
	var rows []receiptRow
	var n int
	err := t.readTx(ctx, func(t *view) error {
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM receipts WHERE `+q.clause(), q.args...); err != nil {
			return err
		}
		page := &query{where: append([]string(nil), q.where...), args: append([]any(nil), q.args...)}
		if f.After != "" {
			page.add("(created_at, id) < (SELECT created_at, id FROM receipts WHERE tenant_id = ? AND id = ?)", tenantID, f.After)
		}
		return t.selectAll(ctx, &rows, `SELECT `+receiptColumns+` FROM receipts WHERE `+page.clause()+
			` ORDER BY created_at DESC, id DESC LIMIT ?`, append(page.args, limit(f.Limit))...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find receipts: %w", err)
	}
	out, err := receipts(rows)
	return out, n, err
}

func (t *view) FindExpiredReceipts(ctx context.Context, now time.Time, n int) ([]*paykit.Receipt, error) {
	var rows []receiptRow
	err := t.selectAll(ctx, &rows, `SELECT `+receiptColumns+` FROM receipts
		WHERE status IN ('pending', 'open') AND valid_until <= ? ORDER BY valid_until, id LIMIT ?`+t.skipLocked(), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("find expired receipts: %w", err)
	}
	return receipts(rows)
}
