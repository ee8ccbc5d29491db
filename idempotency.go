package paykit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyRecord is the stored outcome of a request made with an idempotency
// key. It is written in the same transaction as the request's effects, so a crash
// can never leave an effect without its record or a record without its effect.
type IdempotencyRecord struct {
	TenantID    string
	Key         string
	Operation   string // "token.create", ...
	Fingerprint []byte // sha256 of the operation and its canonical input
	Result      json.RawMessage
	ErrCode     string
	ErrMessage  string
	ErrFields   map[string]string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

type idempotencyKey struct{}

// WithIdempotencyKey returns a context that makes the next Service write
// idempotent under key: the same key with the same input returns the first
// outcome, errors included, for IdempotencyTTL; the same key with another input
// is an ECONFLICT. Concurrent calls with one key produce one effect.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKeyFrom returns the key set by WithIdempotencyKey, if any.
func IdempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// write runs fn in one store transaction, with now read once from the Clock, and
// makes it idempotent when ctx carries a key. It first refuses an input with
// a NUL character in its text (checkText), for every write alike. fn's domain errors roll back its
// writes; with a key they are recorded and replayed like results, except those
// that carry a RetryAt (see Error).
func write[T any](ctx context.Context, s *Service, tenantID, op string, input any, fn func(tx Tx, now time.Time) (T, error)) (T, error) {
	key := IdempotencyKeyFrom(ctx)
	var out T
	if err := checkText(input); err != nil {
		return out, err
	}
	if key == "" {
		return inTx(ctx, s.store, func(tx Tx) (T, error) { return fn(tx, s.now()) })
	}
	if len(key) > 255 {
		var zero T
		return zero, invalid("Idempotency-Key", "Idempotency keys are at most 255 characters.")
	}
	fp, err := fingerprint(op, input)
	if err != nil {
		return out, err
	}
	var outcome error
	err = s.store.InTx(ctx, func(tx Tx) error {
		// The store may run this again (see Store): nothing of a run before
		// may leak into this one.
		var zero T
		out, outcome = zero, nil
		now := s.now()
		rec, err := tx.FindIdempotencyRecord(ctx, tenantID, key)
		if err == nil && rec.ExpiresAt.After(now) {
			if rec.Operation != op || string(rec.Fingerprint) != string(fp) {
				return Errorf(ECONFLICT, "Idempotency-Key %q was already used for a different request.", key)
			}
			if rec.ErrCode != "" {
				outcome = &Error{Code: rec.ErrCode, Message: rec.ErrMessage, Fields: rec.ErrFields}
				return nil
			}
			return json.Unmarshal(rec.Result, &out)
		} else if err != nil && ErrorCode(err) != ENOTFOUND {
			return err
		}
		rec = &IdempotencyRecord{TenantID: tenantID, Key: key, Operation: op, Fingerprint: fp,
			CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}
		// A nested transaction is a savepoint: a domain error undoes fn's writes
		// but keeps the record of the error.
		run := func(tx Tx) error {
			var err error
			out, err = fn(tx, now)
			return err
		}
		ferr := tx.InTx(ctx, run)
		if ErrorCode(ferr) == ECONFLICT {
			// On a store that several processes share, an insert may have
			// found its key taken by a transaction that committed after fn
			// read it free: a system account, the open invoice, an inline
			// employee made by two requests at once. That is no outcome of
			// this request, and must not be recorded as one (the store reruns
			// a failed fn for it, but this one returns nil). fn runs once more,
			// in a new savepoint, and reads what that transaction committed; a
			// conflict of the request itself comes again, and is recorded.
			ferr = tx.InTx(ctx, run)
		}
		var perr *Error
		switch {
		case ferr == nil:
			if rec.Result, err = encodeJSON(out); err != nil {
				return fmt.Errorf("idempotency %s: %w", op, err)
			}
		case errors.As(ferr, &perr) && perr.Code != EINTERNAL && perr.Code != EUNAVAILABLE && perr.RetryAt.IsZero():
			rec.ErrCode, rec.ErrMessage, rec.ErrFields = perr.Code, perr.Message, perr.Fields
			outcome = ferr
		default:
			// Not recorded: an internal failure or an unavailable store may be
			// retried, and an error that says when to retry (a rate limit)
			// must let the retry with the same key succeed then.
			return ferr
		}
		return tx.PutIdempotencyRecord(ctx, rec)
	})
	if err == nil {
		err = outcome
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func fingerprint(op string, input any) ([]byte, error) {
	b, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("idempotency fingerprint %s: %w", op, err)
	}
	h := sha256.New()
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil), nil
}

// IdempotencyStore reads idempotency records.
type IdempotencyStore interface {
	FindIdempotencyRecord(ctx context.Context, tenantID, key string) (*IdempotencyRecord, error)
}

// IdempotencyTx writes idempotency records.
type IdempotencyTx interface {
	// PutIdempotencyRecord inserts r, replacing an expired record with the same key.
	PutIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	// DeleteIdempotencyRecords deletes up to limit records expired at now, of
	// every tenant, and returns how many it deleted.
	DeleteIdempotencyRecords(ctx context.Context, now time.Time, limit int) (int, error)
}
