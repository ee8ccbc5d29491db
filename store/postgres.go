package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"

	"github.com/paykit/paykit"
)

// The PostgreSQL Store: the same statements as SQLite's (see dialect.go) on a
// pool of connections to one server, shared by any number of processes.
//
// Each InTx is its own transaction at READ COMMITTED, in which every read
// locks the rows it returns, so a read-check-write of a row is serialized
// with every other writer of that row, in this process or another. InTx runs
// its function again, with a jittered backoff and at most WithMaxAttempts
// times in all, when PostgreSQL ends the transaction with a serialization
// failure or a deadlock, and when the function failed after an insert found
// its key taken by a transaction that committed after this one looked (a
// second run sees that row). The function must therefore do nothing but
// through its Tx, or what it does must bear repeating.

//go:embed pgmigrations/*.sql
var pgMigrations embed.FS

// IsPostgres says whether dsn names a PostgreSQL database, which Open opens
// with the PostgreSQL engine: a postgres:// or postgresql:// URL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// WithMaxAttempts bounds how often InTx on PostgreSQL runs its function when
// the transaction must be retried (see postgres.go): 10 by default. SQLite
// runs it exactly once.
func WithMaxAttempts(n int) Option {
	return func(d *DB) { d.maxAttempts = max(n, 1) }
}

// WithMaxConns sets the most connections the PostgreSQL pool opens (default
// 32). Each process sharing a server holds up to this many.
func WithMaxConns(n int) Option {
	return func(d *DB) { d.maxConns = max(n, 1) }
}

func openPostgres(dsn string, opts ...Option) (*DB, error) {
	d := &DB{maxAttempts: 10, maxConns: 32}
	for _, o := range opts {
		o(d)
	}
	d.dialect.postgres = true
	pool, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(d.maxConns)
	pool.SetMaxIdleConns(d.maxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	d.pg, d.reader = pool, pool
	if err := d.migratePostgres(context.Background()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", unavailable(err))
	}
	d.view = &view{db: d, q: pool, pooled: true}
	return d, nil
}

// migratePostgres applies, in one transaction, every embedded migration not
// yet recorded (see applyMigrations). An advisory lock makes processes that
// start together take turns: the first migrates, the others find it done.
func (d *DB) migratePostgres(ctx context.Context) error {
	t, err := d.pg.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer t.Rollback()
	h := fnv.New64a()
	h.Write([]byte("paykit migrations"))
	if _, err := t.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := d.applyMigrations(ctx, t, pgMigrations, "pgmigrations/*.sql",
		`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	return t.Commit()
}

// pgInTx is InTx on PostgreSQL; see the comment at the top of this file.
func (d *DB) pgInTx(ctx context.Context, fn func(paykit.Tx) error) error {
	conflicts := 0
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		again, err := d.pgTry(ctx, fn)
		if again == retryConflict {
			// Once: a key taken by a genuine duplicate is taken again.
			if conflicts++; conflicts > 1 {
				again = retryNone
			}
		}
		if again == retryNone || attempt >= d.maxAttempts {
			return err
		}
		d.retries.Add(1)
		// Full jitter over a doubling window, from 1 ms up to 128 ms, so that
		// transactions that collided do not collide again in step.
		window := time.Millisecond << min(attempt-1, 7)
		select {
		case <-time.After(rand.N(window) + time.Millisecond):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

// retry says why a transaction that failed may pass if its function runs
// again.
type retry int

const (
	retryNone     retry = iota
	retryAborted        // a serialization failure or a deadlock
	retryConflict       // an insert found its key taken, and fn failed
)

// pgTry runs fn in one transaction and says whether a failure may pass if
// fn runs again.
func (d *DB) pgTry(ctx context.Context, fn func(paykit.Tx) error) (again retry, err error) {
	sqltx, err := d.pg.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return retryNone, unavailable(fmt.Errorf("begin: %w", err))
	}
	t := &tx{&view{db: d, q: sqltx, inTx: true, state: &txState{}}}
	committed := false
	defer func() {
		if !committed {
			sqltx.Rollback() // after a failure there is nothing left to report
		}
	}()
	err, p := call(fn, t)
	if p != nil {
		panic(p) // the deferred rollback runs as it unwinds; InTx on SQLite re-raises alike
	}
	switch {
	case err != nil && (retryable(t.state.broken) || retryable(err)):
		return retryAborted, err
	case err != nil && t.state.conflicted:
		return retryConflict, err
	case err != nil:
		return retryNone, err
	case t.state.broken != nil:
		// fn went on after a failed statement and returned nil: the
		// transaction is gone, and nothing of it may be said to commit.
		err = fmt.Errorf("store: transaction aborted: %w", unavailable(t.state.broken))
		if retryable(t.state.broken) {
			return retryAborted, err
		}
		return retryNone, err
	}
	if err := sqltx.Commit(); err != nil {
		if retryable(err) {
			return retryAborted, fmt.Errorf("commit: %w", err)
		}
		return retryNone, fmt.Errorf("commit: %w", unavailable(err))
	}
	committed = true
	return retryNone, nil
}
