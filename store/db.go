// Package store is paykit's Store, on SQLite (modernc.org/sqlite, pure Go, no
// cgo) by default and on PostgreSQL (pgx) for a postgres:// URL, through sqlx
// and one set of statements for both (dialect.go). Open picks the database
// by the DSN; the PostgreSQL engine is described in postgres.go, and
// WithSynchronous and WithGroupCommit, which are SQLite's, do nothing there.
//
// On SQLite, a DB keeps its connection pools on one database file: a single writer
// connection, on which every write transaction runs, and a pool of read-only
// connections, on which reads outside a transaction run. In WAL mode readers
// never wait for the writer, and the writer never waits for readers. A third,
// read-only pool serves the reads whose rows are handed out one at a time
// (FindAllPayments), which last as long as their consumer takes.
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
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/paykit/paykit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxBatch bounds how many ops one group commit takes: under a flood of
// writes, a leader's own caller and the ops it carries wait for at most one
// transaction of this size.
const maxBatch = 256

var (
	_ paykit.Store = (*DB)(nil)
	_ paykit.Tx    = (*tx)(nil)
)

// DB is a paykit.Store on one SQLite database file. It is safe for concurrent
// use, also by several processes on the same file.
type DB struct {
	*view // the reads, on the read pool

	writer *sqlx.DB   // one connection; every write transaction runs on it
	wconn  *sqlx.Conn // that connection, held for the DB's life
	// wstmts are prepared on wconn and used only by the leader of a batch, so
	// they need no lock.
	wstmts map[string]*sqlx.Stmt
	reader *sqlx.DB // query_only connections for reads outside transactions
	// streams are query_only connections for the queries whose rows are
	// handed out one at a time (FindAllPayments), kept apart so that slow
	// consumers never starve the reader pool.
	streams *sqlx.DB

	stmtsMu sync.Mutex
	stmts   map[string]*sqlx.Stmt // prepared on the read pool, kept for the DB's life

	groupCommit bool
	synchronous string

	dialect dialect
	// pg is the connection pool of a PostgreSQL database (see postgres.go);
	// the fields above are SQLite's, and stay nil.
	pg *sqlx.DB
	// maxAttempts bounds how often InTx on PostgreSQL runs its function.
	maxAttempts int
	maxConns    int
	retries     atomic.Uint64 // functions run again, for tests and benchmarks

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

// Open opens the database at dsn and applies any migration it lacks: a
// PostgreSQL database for a postgres:// or postgresql:// URL (see
// postgres.go), else the SQLite database file at dsn, a file path or a
// "file:" URI, created if needed. It does not accept ":memory:", where each
// pooled connection would get its own database.
//
// The PRAGMAs are set in the DSN so that every pooled connection gets them:
// WAL journal, foreign keys, a 10 s busy timeout (another process holding the
// write lock is waited for, never reported as "database is locked") and
// synchronous FULL unless WithSynchronous says otherwise.
func Open(dsn string, opts ...Option) (*DB, error) {
	if IsPostgres(dsn) {
		return openPostgres(dsn, opts...)
	}
	d := &DB{groupCommit: true, synchronous: "FULL", lead: make(chan struct{}, 1),
		stmts: map[string]*sqlx.Stmt{}, wstmts: map[string]*sqlx.Stmt{}}
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

	// temp_store(MEMORY) keeps the savepoint journals of group commit and
	// the sorts of the reads off the disk: no statement opens a file.
	common := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(" + d.synchronous + ")",
		"_pragma=temp_store(MEMORY)",
	}
	var err error
	// The writer sets WAL, which is persistent in the file, before any reader
	// opens. _txlock=immediate takes the write lock at BEGIN, so a
	// read-then-write transaction never fails upgrading its lock.
	d.writer, err = sqlx.Open("sqlite", withParams(dsn, append([]string{"_pragma=journal_mode(WAL)"},
		append(common, "_txlock=immediate")...)...))
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
	// Write transactions run BEGIN IMMEDIATE and COMMIT on this one held
	// connection rather than through database/sql's Tx, so that statements
	// prepared on it survive from one transaction to the next.
	if d.wconn, err = d.writer.Connx(context.Background()); err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}

	d.reader, err = sqlx.Open("sqlite", withParams(dsn, append(common, "_pragma=query_only(1)")...))
	if err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	d.streams, err = sqlx.Open("sqlite", withParams(dsn, append(common, "_pragma=query_only(1)")...))
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	for _, pool := range []*sqlx.DB{d.reader, d.streams} {
		pool.SetMaxOpenConns(n)
		pool.SetMaxIdleConns(n)
		pool.SetConnMaxIdleTime(0)
		pool.SetConnMaxLifetime(0)
		if err := openAll(pool, n); err != nil {
			d.Close()
			return nil, fmt.Errorf("open %s: %w", dsn, err)
		}
	}
	d.view = &view{db: d, q: d.reader, pooled: true}
	return d, nil
}

// openAll opens the n connections of pool now and keeps them: a pool that
// opened them on demand would open the database's files while serving a
// request, and fail (SQLITE_CANTOPEN) when clients hold every file
// descriptor the process may have. Each is pinged, so its PRAGMAs have run.
func openAll(pool *sqlx.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close() // back to the pool, idle
		}
	}()
	for range n {
		c, err := pool.Conn(context.Background())
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if err := c.PingContext(context.Background()); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the connection pools. Transactions still queued fail.
func (d *DB) Close() error {
	if d.pg != nil {
		return d.pg.Close()
	}
	var errs []error
	d.stmtsMu.Lock()
	for _, s := range d.stmts {
		errs = append(errs, s.Close())
	}
	d.stmts = nil
	d.stmtsMu.Unlock()
	if d.reader != nil {
		errs = append(errs, d.reader.Close())
	}
	if d.streams != nil {
		errs = append(errs, d.streams.Close())
	}
	// Wait for a running batch; later batches find wstmts nil and fail.
	d.lead <- struct{}{}
	for _, s := range d.wstmts {
		errs = append(errs, s.Close())
	}
	d.wstmts = nil
	if d.wconn != nil {
		errs = append(errs, d.wconn.Close())
		d.wconn = nil
	}
	<-d.lead
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

// migrate applies, in one transaction, every embedded migration not yet
// recorded (see applyMigrations).
func (d *DB) migrate(ctx context.Context) error {
	t, err := d.begin(ctx.Err)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer t.Rollback()
	if err := d.applyMigrations(ctx, t, migrations, "migrations/*.sql",
		`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return err
	}
	return t.Commit()
}

// applyMigrations applies in t, in name order, each migration of fsys that
// matches pattern and is not yet recorded in the migrations table, which
// create creates if needed, and records it. Both databases' migrations go
// through it; they differ in their files and their table's types. Migrations
// only go forward.
func (d *DB) applyMigrations(ctx context.Context, t *sqlx.Tx, fsys fs.FS, pattern, create string) error {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return err
	}
	sort.Strings(names)
	if _, err := t.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := d.dialect.statement(`SELECT COUNT(*) FROM migrations WHERE name = ?`, false)
	record := d.dialect.statement(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, false)
	for _, name := range names {
		var n int
		if err := t.GetContext(ctx, &n, applied, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		} else if n > 0 {
			continue
		}
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.ExecContext(ctx, string(buf)); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.ExecContext(ctx, record, name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
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

// beginWrite starts an immediate transaction on the writer's connection,
// retrying as begin does.
func (d *DB) beginWrite(giveUp func() error) error {
	if d.wstmts == nil {
		return errors.New("store: closed")
	}
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		_, err := d.wconn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
		if err == nil || !isBusy(err) {
			return err
		}
		if err := giveUp(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		time.Sleep(delay)
	}
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
