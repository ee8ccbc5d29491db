package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

const idempotencyColumns = `tenant_id, key, operation, fingerprint, result, err_code, err_message, err_fields,
	created_at, expires_at`

type idempotencyRow struct {
	TenantID    string  `db:"tenant_id"`
	Key         string  `db:"key"`
	Operation   string  `db:"operation"`
	Fingerprint []byte  `db:"fingerprint"`
	Result      *string `db:"result"`
	ErrCode     string  `db:"err_code"`
	ErrMessage  string  `db:"err_message"`
	ErrFields   *string `db:"err_fields"`
	CreatedAt   int64   `db:"created_at"`
	ExpiresAt   int64   `db:"expires_at"`
}

func (r *idempotencyRow) record() (*paykit.IdempotencyRecord, error) {
	rec := &paykit.IdempotencyRecord{TenantID: r.TenantID, Key: r.Key, Operation: r.Operation,
		Fingerprint: r.Fingerprint, ErrCode: r.ErrCode, ErrMessage: r.ErrMessage,
		CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt)}
	if r.Result != nil {
		rec.Result = json.RawMessage(*r.Result)
	}
	if r.ErrFields != nil {
		if err := json.Unmarshal([]byte(*r.ErrFields), &rec.ErrFields); err != nil {
			return nil, fmt.Errorf("idempotency record %s: err_fields: %w", r.Key, err)
		}
	}
	return rec, nil
}

func (t *view) FindIdempotencyRecord(ctx context.Context, tenantID, key string) (*paykit.IdempotencyRecord, error) {
	var r idempotencyRow
	err := t.get(ctx, &r, `SELECT `+idempotencyColumns+` FROM idempotency WHERE tenant_id = ? AND key = ?`, tenantID, key)
	if err != nil {
		return nil, notFound(err, "Idempotency record not found.", "find idempotency record "+key)
	}
	return r.record()
}

func (t *tx) PutIdempotencyRecord(ctx context.Context, r *paykit.IdempotencyRecord) error {
	var result, fields *string
	if r.Result != nil {
		s := string(r.Result)
		result = &s
	}
	if r.ErrFields != nil {
		b, err := json.Marshal(r.ErrFields)
		if err != nil {
			return fmt.Errorf("put idempotency record %s: %w", r.Key, err)
		}
		s := string(b)
		fields = &s
	}
	// An expired record is replaced in place; a live one is left alone, and the
	// statement then changes no row.
	res, err := t.exec(ctx, `INSERT INTO idempotency (`+idempotencyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, key) DO UPDATE SET
			operation = excluded.operation, fingerprint = excluded.fingerprint, result = excluded.result,
			err_code = excluded.err_code, err_message = excluded.err_message, err_fields = excluded.err_fields,
			created_at = excluded.created_at, expires_at = excluded.expires_at
		WHERE idempotency.expires_at <= excluded.created_at`,
		r.TenantID, r.Key, r.Operation, r.Fingerprint, result, r.ErrCode, r.ErrMessage, fields,
		micros(r.CreatedAt), micros(r.ExpiresAt))
	if err != nil {
		return conflict(err, "Idempotency key is already in use.", "put idempotency record "+r.Key)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("put idempotency record %s: %w", r.Key, err)
	} else if n == 0 {
		// Perhaps by a transaction that committed after FindIdempotencyRecord.
		return t.taken(fmt.Sprintf("Idempotency key %q is already in use.", r.Key))
	}
	return nil
}

func (t *tx) DeleteIdempotencyRecords(ctx context.Context, now time.Time, n int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM idempotency WHERE (tenant_id, key) IN (
		SELECT tenant_id, key FROM idempotency WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`+t.skipLocked()+`)`,
		micros(now), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete idempotency records: %w", err)
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete idempotency records: %w", err)
	}
	return int(deleted), nil
}
