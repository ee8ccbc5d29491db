package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// The statements of the Store: a view runs them on the writer's transaction,
// the read pool or a read-only snapshot, prepared once where it can.

// queryer is what a tx runs statements on: the writer's transaction or the read
// pool.
type queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// view runs the reads of the Store: inside a write transaction (inTx set), on
// the read pool for reads outside a transaction (pooled), or in a read-only
// transaction (neither). The DB embeds its pooled view, so its read methods
// are the DB's.
type view struct {
	db     *DB
	q      queryer
	inTx   bool // a write transaction on the writer's connection
	state  *txState
	pooled bool
}

// ctx strips cancellation inside a SQLite transaction: SQLite answers an
// interrupted write by rolling back the whole transaction, which is every op
// of the batch. A PostgreSQL transaction is one caller's, and ends with it.
func (t *view) ctx(ctx context.Context) context.Context {
	if t.inTx && !t.db.dialect.postgres {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// raw runs a statement that is not worth preparing, such as a savepoint's.
func (t *view) raw(ctx context.Context, query string) (sql.Result, error) {
	if t.state.broken != nil {
		return nil, t.state.broken
	}
	res, err := t.q.ExecContext(context.WithoutCancel(ctx), query)
	return res, t.check(err)
}

// stmt returns query prepared, once per DB: on the writer's connection, which
// only the leader of a batch uses, or on the read pool (database/sql prepares it
// again on each pooled connection as needed). Parsing SQL is otherwise a
// quarter of a write's CPU. In a read-only transaction it returns nil, and the
// query runs unprepared.
func (t *view) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	switch {
	case t.db.dialect.postgres:
		// pgx prepares and caches each statement on its connection itself.
		return nil, nil
	case t.inTx:
		if s, ok := t.db.wstmts[query]; ok {
			return s, nil
		}
		s, err := t.db.wconn.PreparexContext(ctx, query)
		if err != nil {
			return nil, err
		}
		t.db.wstmts[query] = s
		return s, nil
	case t.pooled:
		t.db.stmtsMu.Lock()
		defer t.db.stmtsMu.Unlock()
		if s, ok := t.db.stmts[query]; ok {
			return s, nil
		} else if t.db.stmts == nil {
			return nil, errors.New("store: closed")
		}
		s, err := t.db.reader.PreparexContext(context.Background(), query)
		if err != nil {
			return nil, err
		}
		t.db.stmts[query] = s
		return s, nil
	}
	return nil, nil
}

func (t *view) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.state != nil && t.state.broken != nil {
		return nil, t.state.broken
	}
	ctx = t.ctx(ctx)
	query, args = t.db.dialect.statement(query, false), t.db.dialect.args(args)
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, t.check(err)
	} else if s == nil {
		res, err := t.q.ExecContext(ctx, query, args...)
		return res, t.check(err)
	}
	res, err := s.ExecContext(ctx, args...)
	return res, t.check(err)
}

func (t *view) get(ctx context.Context, dest any, query string, args ...any) error {
	query, args = t.statement(query), t.db.dialect.args(args)
	return t.read(ctx, query,
		func(ctx context.Context, s *sqlx.Stmt) error { return s.GetContext(ctx, dest, args...) },
		func(ctx context.Context) error { return sqlx.GetContext(ctx, t.q, dest, query, args...) })
}

func (t *view) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	query, args = t.statement(query), t.db.dialect.args(args)
	return t.read(ctx, query,
		func(ctx context.Context, s *sqlx.Stmt) error { return s.SelectContext(ctx, dest, args...) },
		func(ctx context.Context) error { return sqlx.SelectContext(ctx, t.q, dest, query, args...) })
}

// stream runs query and calls each with the rows positioned on each row in
// turn, until each returns false or an error, or the rows end; it closes the
// rows. Outside a transaction it runs on a connection of the stream pool, so
// that a consumer that takes its time (a client downloading a long list)
// holds none of the read pool's connections, which every other read needs.
// The query is not prepared: parsing it is nothing beside the rows it reads.
func (t *view) stream(ctx context.Context, query string, args []any, each func(*sqlx.Rows) (bool, error)) error {
	if t.state != nil && t.state.broken != nil {
		return t.state.broken
	}
	ctx = t.ctx(ctx)
	query, args = t.statement(query), t.db.dialect.args(args)
	var rows *sqlx.Rows
	var err error
	switch {
	case t.inTx:
		var s *sqlx.Stmt
		if s, err = t.stmt(ctx, query); err == nil && s != nil {
			rows, err = s.QueryxContext(ctx, args...)
		} else if err == nil {
			rows, err = t.q.QueryxContext(ctx, query, args...)
		}
	case t.pooled && t.db.streams != nil:
		rows, err = t.db.streams.QueryxContext(ctx, query, args...)
	default:
		rows, err = t.q.QueryxContext(ctx, query, args...)
	}
	if err != nil {
		return t.check(err)
	}
	defer rows.Close()
	for rows.Next() {
		more, err := each(rows)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return t.check(rows.Err())
}

// statement returns a query of the Store as the database runs it: a read in a
// write transaction locks its rows on PostgreSQL (see dialect).
func (t *view) statement(query string) string {
	return t.db.dialect.statement(query, t.inTx)
}

// skipLocked ends the row-reading SELECT of a claim or a sweep in a write
// transaction: see dialect.skipLocked.
func (t *view) skipLocked() string {
	if t.inTx {
		return t.db.dialect.skipLocked()
	}
	return ""
}

// read runs query prepared when it can be (see stmt), and unprepared in a
// read-only transaction.
func (t *view) read(ctx context.Context, query string, prepared func(context.Context, *sqlx.Stmt) error, unprepared func(context.Context) error) error {
	if t.state != nil && t.state.broken != nil {
		return t.state.broken
	}
	ctx = t.ctx(ctx)
	s, err := t.stmt(ctx, query)
	if err != nil {
		return t.check(err)
	} else if s == nil {
		return t.check(unprepared(ctx))
	}
	return t.check(prepared(ctx, s))
}

// check marks the transaction broken after an error that may have rolled it
// back entirely, so that later statements cannot run outside it: on SQLite
// (https://www.sqlite.org/lang_transaction.html, "Response To Errors Within A
// Transaction") an I/O error, a full disk, a busy lock, memory or an
// interrupt; on PostgreSQL every error, after which the transaction refuses
// every statement but a rollback.
//
// It also maps the failures of resources to EUNAVAILABLE (unavailable).
func (t *view) check(err error) error {
	err = unavailable(err)
	if err != nil && t.state != nil && abortsTx(err) {
		t.state.broken = err
	}
	return err
}

// readTx runs fn on one snapshot: in a transaction that is the transaction, on
// the read pool a read-only transaction, so several queries agree.
func (t *view) readTx(ctx context.Context, fn func(t *view) error) error {
	if !t.pooled {
		return fn(t)
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if t.db.dialect.postgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every statement
	}
	rtx, err := t.db.reader.BeginTxx(ctx, opts)
	if err != nil {
		return unavailable(err)
	}
	defer rtx.Rollback()
	return fn(&view{db: t.db, q: rtx})
}
