// Package store is paykit's SQLite Store, on modernc.org/sqlite (pure Go, no
// cgo) and sqlx.
//
// A DB keeps two connection pools on one database file: a single writer
// connection, on which every write transaction runs, and a pool of read-only
// connections, on which reads outside a transaction run. In WAL mode readers
// never wait for the writer, and the writer never waits for readers.
//
// Writes are group-committed: concurrent InTx calls are gathered into one
// SQLite transaction, each in its own savepoint, and committed with a single
// fsync. An op whose function fails or panics is rolled back to its savepoint
// without touching the others. There is no background goroutine: the first
// caller to find the writer free runs the queued ops and hands leadership on.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paykit/paykit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxBatch bounds how many ops one group commit takes, so that one leader does
// not starve its own caller for long under a flood of writes.
const maxBatch = 256

var (
	_ paykit.Store = (*DB)(nil)
	_ paykit.Store = (*tx)(nil)
)

// DB is a paykit.Store on one SQLite database file. It is safe for concurrent
// use, also by several processes on the same file.
type DB struct {
	writer *sqlx.DB // one connection; every write transaction runs on it
	reader *sqlx.DB // query_only connections for reads outside transactions
	read   *tx      // the Store view of reader

	groupCommit bool
	synchronous string

	// lead is held by the caller that is running a batch on the writer. It is
	// a 1-buffered channel rather than a mutex so that a waiter can also
	// select on its own op finishing, and Go queues blocked senders in order.
	lead    chan struct{}
	mu      sync.Mutex
	queue   []*op
	batches atomic.Uint64 // transactions run, for tests and benchmarks
}

// Option configures a DB.
type Option func(*DB)

// WithSynchronous sets PRAGMA synchronous: "FULL" (the default), "NORMAL",
// "EXTRA" or "OFF".
//
// With FULL, SQLite fsyncs the write-ahead log at every commit: once InTx
// returns nil, the transaction survives a power loss. With NORMAL, the WAL is
// fsynced only at checkpoints: the database stays consistent, but the most
// recent transactions may be lost on an OS crash or power loss (never on a
// crash of the process alone). paykit defaults to FULL because this is money;
// group commit already shares one fsync among every concurrent write.
func WithSynchronous(mode string) Option {
	return func(d *DB) { d.synchronous = strings.ToUpper(mode) }
}

// WithGroupCommit turns group commit on (the default) or off. Off, each InTx
// is its own SQLite transaction with its own fsync; it exists to measure what
// group commit buys.
func WithGroupCommit(on bool) Option {
	return func(d *DB) { d.groupCommit = on }
}

// Open opens (creating it if needed) the SQLite database at dsn, a file path
// or a "file:" URI, and applies any migration it lacks. It does not accept
// ":memory:", where each pooled connection would get its own database.
//
// The PRAGMAs are set in the DSN so that every pooled connection gets them:
// WAL journal, foreign keys, a 10 s busy timeout (another process holding the
// write lock is waited for, never reported as "database is locked") and
// synchronous FULL unless WithSynchronous says otherwise.
func Open(dsn string, opts ...Option) (*DB, error) {
	d := &DB{groupCommit: true, synchronous: "FULL", lead: make(chan struct{}, 1)}
	for _, o := range opts {
		o(d)
	}
	switch d.synchronous {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("open %s: bad synchronous mode %q", dsn, d.synchronous)
	}
	if dsn == "" || strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
		return nil, fmt.Errorf("open %q: a database file is required", dsn)
	}

	common := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(" + d.synchronous + ")",
	}
	var err error
	// The writer sets WAL, which is persistent in the file, before any reader
	// opens. _txlock=immediate takes the write lock at BEGIN, so a
	// read-then-write transaction never fails upgrading its lock.
	d.writer, err = sqlx.Open("sqlite", withParams(dsn, append([]string{"_pragma=journal_mode(WAL)"}, append(common, "_txlock=immediate")...)...))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	d.writer.SetMaxOpenConns(1)
	d.writer.SetMaxIdleConns(1)
	d.writer.SetConnMaxLifetime(0)
	d.writer.SetConnMaxIdleTime(0)
	if err := d.migrate(context.Background()); err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}

	d.reader, err = sqlx.Open("sqlite", withParams(dsn, append(common, "_pragma=query_only(1)")...))
	if err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	d.reader.SetMaxOpenConns(n)
	d.reader.SetMaxIdleConns(n)
	d.reader.SetConnMaxIdleTime(0)
	if err := d.reader.Ping(); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	d.read = &tx{db: d, q: d.reader}
	return d, nil
}

// Close closes both connection pools. Transactions still queued fail.
func (d *DB) Close() error {
	var errs []error
	if d.reader != nil {
		errs = append(errs, d.reader.Close())
	}
	errs = append(errs, d.writer.Close())
	return errors.Join(errs...)
}

func withParams(dsn string, params ...string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(params, "&")
}

// migrate applies, in name order and in one transaction, every embedded
// migration not yet recorded in the migrations table. Migrations only go
// forward.
func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	t, err := d.begin(ctx.Err)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer t.Rollback()
	if _, err := t.Exec(`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		var n int
		if err := t.Get(&n, `SELECT COUNT(*) FROM migrations WHERE name = ?`, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		} else if n > 0 {
			continue
		}
		buf, err := fs.ReadFile(migrations, name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.Exec(string(buf)); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.Exec(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return t.Commit()
}

// begin starts an immediate transaction on the writer. Another process may
// hold the write lock past the busy timeout; BEGIN has done nothing then, so
// it is retried, until giveUp says nobody is waiting any more, rather than
// reported as "database is locked".
func (d *DB) begin(giveUp func() error) (*sqlx.Tx, error) {
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		t, err := d.writer.BeginTxx(context.Background(), nil)
		if err == nil || !isBusy(err) {
			return t, err
		}
		if err := giveUp(); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		time.Sleep(delay)
	}
}

// PanicError carries a value recovered from a panic in a transaction function.
// Group commit runs functions in whichever goroutine leads the batch, so the
// leader recovers the panic, rolls the function back, and InTx re-raises it as
// a *PanicError in the goroutine that called it.
type PanicError struct {
	Value any
	Stack []byte // the stack of the panicking goroutine
}

// Error implements error.
func (p *PanicError) Error() string {
	return fmt.Sprintf("panic in transaction: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// op is one InTx call waiting for, or done by, a batch.
type op struct {
	ctx   context.Context
	fn    func(paykit.Store) error
	err   error
	panic *PanicError
	done  chan struct{} // closed when err and panic are final
}

func (o *op) result() error {
	if o.panic != nil {
		panic(o.panic)
	}
	return o.err
}

// InTx runs fn in a write transaction: committed when fn returns nil, rolled
// back when it returns an error (returned as is) or panics (re-raised as a
// *PanicError). A canceled ctx fails the call before fn runs; once fn runs, its
// statements are not interrupted, since an interrupted write could roll back
// the whole shared transaction.
//
// Inside fn, use only the Store fn is given: calling a write method of the DB
// itself from fn waits for fn to finish, forever.
func (d *DB) InTx(ctx context.Context, fn func(paykit.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	if !d.groupCommit {
		select {
		case d.lead <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		d.lead1([]*op{o})
		return o.result()
	}

	d.mu.Lock()
	d.queue = append(d.queue, o)
	d.mu.Unlock()
	for {
		select {
		case <-o.done:
			return o.result()
		case d.lead <- struct{}{}:
			// Leading one batch: it holds our op unless an earlier leader
			// took it, or more than maxBatch ops were queued before it.
			d.lead1(d.take())
		case <-ctx.Done():
			if d.dequeue(o) {
				return ctx.Err()
			}
			<-o.done
			return o.result()
		}
	}
}

// lead1 runs one batch and gives up leadership, whatever happens in it.
func (d *DB) lead1(ops []*op) {
	defer func() { <-d.lead }()
	if len(ops) > 0 {
		d.batches.Add(1)
		d.run(ops)
	}
}

// take removes up to maxBatch ops from the head of the queue.
func (d *DB) take() []*op {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := min(len(d.queue), maxBatch)
	ops := make([]*op, n)
	copy(ops, d.queue)
	d.queue = d.queue[:copy(d.queue, d.queue[n:])]
	return ops
}

// dequeue removes o from the queue if no leader has taken it yet.
func (d *DB) dequeue(o *op) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, q := range d.queue {
		if q == o {
			d.queue = append(d.queue[:i], d.queue[i+1:]...)
			return true
		}
	}
	return false
}

// run executes ops in one transaction, each in its own savepoint (a lone op
// needs none: the transaction is its savepoint), commits once, and then
// delivers every op's outcome. If the commit fails, nothing committed, and
// every op that had succeeded gets the commit's error.
func (d *DB) run(ops []*op) {
	finished := false
	defer func() {
		if !finished { // fn called runtime.Goexit (t.FailNow, say)
			for _, o := range ops {
				if o.err == nil && o.panic == nil {
					o.err = errors.New("store: transaction abandoned: a function exited its goroutine")
				}
			}
		}
		for _, o := range ops {
			close(o.done)
		}
	}()

	sqltx, err := d.begin(func() error { return allDone(ops) })
	if err != nil {
		for _, o := range ops {
			o.err = err
		}
		finished = true
		return
	}
	defer sqltx.Rollback() // a no-op after Commit
	t := &tx{db: d, q: sqltx, sqltx: sqltx, state: &txState{}}
	bg := context.Background()
	ok := 0
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if len(ops) > 1 {
			if _, err := t.exec(bg, "SAVEPOINT op"); err != nil {
				t.state.broken = fmt.Errorf("savepoint: %w", err)
				break
			}
		}
		o.err, o.panic = call(o.fn, t)
		if o.err == nil && o.panic == nil {
			ok++
		}
		if len(ops) > 1 && t.state.broken == nil {
			if o.err != nil || o.panic != nil {
				t.rollbackTo("op")
			} else if _, err := t.exec(bg, "RELEASE op"); err != nil {
				t.state.broken = err
			}
		}
		if t.state.broken != nil {
			break
		}
	}

	switch {
	case t.state.broken != nil:
		// An I/O error, a full disk or a failed savepoint: SQLite may have rolled
		// back the whole transaction, so none of it may commit.
		for _, o := range ops {
			if o.err == nil && o.panic == nil {
				o.err = fmt.Errorf("store: transaction aborted: %w", t.state.broken)
			}
		}
	case ok == 0:
		// Nothing to commit; the deferred Rollback discards any partial work.
	default:
		if err := sqltx.Commit(); err != nil {
			for _, o := range ops {
				if o.err == nil && o.panic == nil {
					o.err = fmt.Errorf("commit: %w", err)
				}
			}
		}
	}
	finished = true
}

// call runs fn, turning a panic into a *PanicError.
func call(fn func(paykit.Store) error, t *tx) (err error, p *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(*PanicError); ok {
				p = pe
			} else {
				p = &PanicError{Value: r, Stack: debug.Stack()}
			}
		}
	}()
	return fn(t), nil
}

// allDone returns an error when every op's context has ended: a batch stops
// waiting for the write lock only when nobody wants it any more.
func allDone(ops []*op) error {
	var err error
	for _, o := range ops {
		if err = o.ctx.Err(); err == nil {
			return nil
		}
	}
	return err
}

// queryer is what a tx runs statements on: the writer's transaction or the read
// pool.
type queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// tx is the Store that InTx hands to fn (sqltx set), and the read-only view
// the DB uses for reads outside a transaction (sqltx nil).
type tx struct {
	db    *DB
	q     queryer
	sqltx *sqlx.Tx
	state *txState
}

// txState is shared by every Store view of one transaction.
type txState struct {
	savepoints int
	// broken is the error after which SQLite may have rolled back the whole
	// transaction on its own; no further statement runs and nothing commits.
	broken error
}

// InTx on a transaction's Store nests fn in a savepoint: released when fn
// returns nil, rolled back to when fn returns an error or panics (the panic
// goes on up).
func (t *tx) InTx(ctx context.Context, fn func(paykit.Store) error) (err error) {
	if t.sqltx == nil {
		return t.db.InTx(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.state.savepoints++
	name := fmt.Sprintf("sp%d", t.state.savepoints)
	if _, err := t.exec(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	done := false
	defer func() {
		if !done {
			t.rollbackTo(name)
		}
	}()
	if err := fn(t); err != nil {
		done = true
		if rerr := t.rollbackTo(name); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	done = true
	if _, err := t.exec(ctx, "RELEASE "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// rollbackTo undoes the work since savepoint name and removes it. If that
// fails the transaction cannot be trusted, and is marked broken.
func (t *tx) rollbackTo(name string) error {
	if t.state.broken != nil {
		return t.state.broken
	}
	ctx := context.Background()
	if _, err := t.q.ExecContext(ctx, "ROLLBACK TO "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("rollback to savepoint: %w", err)
	}
	if _, err := t.q.ExecContext(ctx, "RELEASE "+name); err != nil {
		t.state.broken = err
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// ctx strips cancellation inside a transaction: SQLite answers an interrupted
// write by rolling back the whole transaction, which is every op of the batch.
func (t *tx) ctx(ctx context.Context) context.Context {
	if t.sqltx != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.state != nil && t.state.broken != nil {
		return nil, t.state.broken
	}
	res, err := t.q.ExecContext(t.ctx(ctx), query, args...)
	return res, t.check(err)
}

func (t *tx) get(ctx context.Context, dest any, query string, args ...any) error {
	if t.state != nil && t.state.broken != nil {
		return t.state.broken
	}
	return t.check(sqlx.GetContext(t.ctx(ctx), t.q, dest, query, args...))
}

func (t *tx) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	if t.state != nil && t.state.broken != nil {
		return t.state.broken
	}
	return t.check(sqlx.SelectContext(t.ctx(ctx), t.q, dest, query, args...))
}

// check marks the transaction broken after an error that may have rolled it
// back entirely (https://www.sqlite.org/lang_transaction.html, "Response To
// Errors Within A Transaction"), so that later statements cannot run outside
// it, in autocommit mode.
func (t *tx) check(err error) error {
	var se *sqlite.Error
	if err == nil || t.state == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
		t.state.broken = err
	}
	return err
}

// readTx runs fn on one snapshot: in a transaction that is the transaction, on
// the read pool a read-only transaction, so several queries agree.
func (t *tx) readTx(ctx context.Context, fn func(t *tx) error) error {
	if t.sqltx != nil {
		return fn(t)
	}
	rtx, err := t.db.reader.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer rtx.Rollback()
	return fn(&tx{db: t.db, q: rtx})
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// sqliteCode returns the extended result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// conflict maps a unique or primary key violation to an ECONFLICT with msg, and
// wraps any other error with what.
func conflict(err error, msg, what string) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return paykit.Errorf(paykit.ECONFLICT, "%s", msg)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound maps sql.ErrNoRows to an ENOTFOUND with msg, and wraps any other
// error with what.
func notFound(err error, msg, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return paykit.Errorf(paykit.ENOTFOUND, "%s", msg)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// affected returns an ENOTFOUND with msg when res changed no row.
func affected(res sql.Result, msg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	} else if n == 0 {
		return paykit.Errorf(paykit.ENOTFOUND, "%s", msg)
	}
	return nil
}

// Times are stored as INTEGER unix microseconds, UTC.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func microsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

func fromMicrosPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMicros(*v)
	return &t
}

func limit(n int) int {
	if n <= 0 {
		return paykit.DefaultLimit
	}
	return n
}
