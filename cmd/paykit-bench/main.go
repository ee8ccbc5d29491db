// Command paykit-bench measures create-token and accept-token throughput through
// the paykit Service, on SQLite files or on PostgreSQL, beside a raw-SQL
// baseline that does the writes such an operation needs at minimum (a row
// insert, a balance update and an event insert, in one transaction) on the
// same database through the same driver: modernc's SQLite with the store's
// pragmas and one writer connection, or pgx's database/sql driver with as
// many connections as the store's pool.
//
//	go run ./cmd/paykit-bench                 # SQLite; 1, 8 and 64 concurrent callers
//	go run ./cmd/paykit-bench -n 5000 -c 1,64 -sync NORMAL
//	go run ./cmd/paykit-bench -db "$PAYKIT_POSTGRES_DSN"
//
// On PostgreSQL each measurement runs in a schema of its own, created for it
// and dropped after it, so the database is left as it was.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// pgConns is the size of every PostgreSQL pool here: the store's and the
// baseline's, so that both queue their callers alike.
const pgConns = 32

func main() {
	n := flag.Int("n", 2000, "operations per measurement")
	conc := flag.String("c", "1,8,64", "comma-separated concurrency levels")
	db := flag.String("db", "", "database: empty for SQLite files in -dir, or a postgres:// URL (each measurement in a schema of its own, dropped after)")
	syncMode := flag.String("sync", "FULL", "SQLite synchronous pragma: FULL or NORMAL")
	group := flag.Bool("group-commit", true, "let the SQLite store commit concurrent operations together")
	dir := flag.String("dir", "", "directory for the SQLite database files (default: a temporary one)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}

	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		levels = append(levels, c)
	}
	var t *target
	switch {
	case strings.HasPrefix(*db, "postgres://") || strings.HasPrefix(*db, "postgresql://"):
		t = postgresTarget(*db)
	case *db == "":
		t = sqliteTarget(*dir, *syncMode, *group)
	default:
		log.Fatalf("-db %q: give a postgres:// URL, or nothing for SQLite files in -dir", *db)
	}
	defer t.close()

	fmt.Printf("paykit-bench: n=%d %s\n\n", *n, t.conditions)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcallers\tops/s\tp50\tp99\tmax\terrors\tvs baseline\t")
	for i, c := range levels {
		base := baseline(t, fmt.Sprintf("baseline-%d", i), *n, c)
		create, accept := service(t, fmt.Sprintf("service-%d", i), *n, c)
		for _, r := range []result{base, create, accept} {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%.0f%%\t\n", r.name, c, r.opsPerSec(),
				ms(r.pct(50)), ms(r.pct(99)), ms(r.pct(100)), r.errors, 100*r.opsPerSec()/base.opsPerSec())
		}
	}
	tw.Flush()
}

// target is the database the measurements run on.
type target struct {
	postgres   bool
	sync       string // SQLite's synchronous pragma
	conditions string // the store and its durability settings, as printed
	// fresh returns the DSN of a new, empty database for one measurement,
	// and what removes it when the measurement is done.
	fresh func(name string) (dsn string, drop func())
	opts  []store.Option
	close func()
}

// sqliteTarget puts each measurement in a file of its own in dir.
func sqliteTarget(dir, syncMode string, group bool) *target {
	t := &target{sync: syncMode, close: func() {}, opts: []store.Option{store.WithSynchronous(syncMode), store.WithGroupCommit(group)}}
	if dir == "" {
		d, err := os.MkdirTemp("", "paykit-bench")
		check(err)
		t.close = func() { os.RemoveAll(d) }
		dir = d
	}
	t.conditions = fmt.Sprintf("store=SQLite (modernc, WAL) synchronous=%s group-commit=%v dir=%s", syncMode, group, dir)
	t.fresh = func(name string) (string, func()) {
		return filepath.Join(dir, name+".db"), func() {}
	}
	return t
}

// postgresTarget puts each measurement in a schema of its own on the server
// of dsn, named in the search_path of the DSN the measurement opens.
func postgresTarget(dsn string) *target {
	admin, err := sql.Open("pgx", dsn)
	check(err)
	ctx := context.Background()
	show := func(setting string) string {
		var v string
		check(admin.QueryRowContext(ctx, "SHOW "+setting).Scan(&v))
		return v
	}
	u, err := url.Parse(dsn)
	check(err)
	t := &target{postgres: true, close: func() { admin.Close() }, opts: []store.Option{store.WithMaxConns(pgConns)}}
	t.conditions = fmt.Sprintf("store=PostgreSQL %s (pgx, READ COMMITTED, %d connections) fsync=%s synchronous_commit=%s host=%s",
		show("server_version"), pgConns, show("fsync"), show("synchronous_commit"), u.Host)
	t.fresh = func(name string) (string, func()) {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "bench_" + strings.ReplaceAll(name, "-", "_") + "_" + hex.EncodeToString(b)
		_, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
		check(err)
		q := u.Query()
		q.Set("search_path", schema)
		v := *u
		v.RawQuery = q.Encode()
		return v.String(), func() {
			_, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
			check(err)
		}
	}
	return t
}

type result struct {
	name      string
	elapsed   time.Duration
	latencies []time.Duration
	errors    int64
}

func (r result) opsPerSec() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r result) pct(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := (len(r.latencies)*p + 99) / 100
	return r.latencies[max(0, min(i, len(r.latencies))-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// run calls op(i) for i in [0,n) from c goroutines and times each call.
func run(name string, n, c int, op func(i int) error) result {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					if errs.Add(1) == 1 {
						log.Printf("%s: %v", name, err)
					}
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	r := result{name: name, elapsed: time.Since(start), latencies: lat, errors: errs.Load()}
	slices.Sort(r.latencies)
	return r
}

// baseline does one row insert, one balance update and one event insert per
// transaction: on SQLite through one writer connection like the store's, on
// PostgreSQL through a pool as large as the store's.
func baseline(t *target, name string, n, c int) result {
	path, drop := t.fresh(name)
	defer drop()
	var (
		db     *sql.DB
		err    error
		schema = []string{
			`CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)`,
			`CREATE TABLE tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL)`,
			`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL)`,
		}
		stmts = []string{
			`INSERT INTO tokens VALUES (?, 'a', 100, ?)`,
			`UPDATE accounts SET balance = balance + 100 WHERE id = 'a'`,
			`INSERT INTO events (id, type, data, created_at) VALUES (?, 'token.created', ?, ?)`,
		}
	)
	if t.postgres {
		db, err = sql.Open("pgx", path)
		check(err)
		db.SetMaxOpenConns(pgConns)
		db.SetMaxIdleConns(pgConns)
		schema = []string{
			`CREATE TABLE accounts (id TEXT PRIMARY KEY, balance BIGINT NOT NULL)`,
			`CREATE TABLE tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount BIGINT NOT NULL, created_at BIGINT NOT NULL)`,
			`CREATE TABLE events (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, created_at BIGINT NOT NULL)`,
		}
		stmts = []string{
			`INSERT INTO tokens VALUES ($1, 'a', 100, $2)`,
			stmts[1],
			`INSERT INTO events (id, type, data, created_at) VALUES ($1, 'token.created', $2, $3)`,
		}
	} else {
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(" + t.sync + ")&_txlock=immediate"
		db, err = sql.Open("sqlite", dsn)
		check(err)
		db.SetMaxOpenConns(1)
	}
	defer db.Close()
	for _, q := range append(schema, `INSERT INTO accounts VALUES ('a', 0)`) {
		_, err := db.Exec(q)
		check(err)
	}
	ctx := context.Background()
	return run("baseline (raw SQL)", n, c, func(i int) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		id, now := uuid.Must(uuid.NewV7()).String(), time.Now().UnixMicro()
		if _, err := tx.Exec(stmts[0], id, now); err != nil {
			return err
		}
		if _, err := tx.Exec(stmts[1]); err != nil {
			return err
		}
		if _, err := tx.Exec(stmts[2], uuid.Must(uuid.NewV7()).String(), `{"id":"`+id+`","amount":"1.00"}`, now); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// service creates n tokens, then accepts them, through the Service.
func service(t *target, name string, n, c int) (create, accept result) {
	dsn, drop := t.fresh(name)
	defer drop()
	db, err := store.Open(dsn, t.opts...)
	check(err)
	defer db.Close()
	ctx := context.Background()
	svc := paykit.New(db)
	tenant, err := svc.CreateTenant(ctx, "", "bench")
	check(err)
	src, err := svc.CreateAccount(ctx, tenant.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "payer"})
	check(err)
	dst, err := svc.CreateAccount(ctx, tenant.ID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "payee"})
	check(err)
	dep, err := svc.CreateDeposit(ctx, tenant.ID, paykit.DepositCreate{DestinationAccountID: src.ID, Amount: decimal.NewFromInt(int64(n)), AssetType: "usd"})
	check(err)
	_, err = svc.CompletePayment(ctx, tenant.ID, dep.ID)
	check(err)

	tokens := make([]string, n)
	one := decimal.NewFromInt(1)
	create = run("CreateToken (Service)", n, c, func(i int) error {
		t, err := svc.CreateToken(ctx, tenant.ID, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: one, Memo: "bench"})
		if err == nil {
			tokens[i] = t.Token
		}
		return err
	})
	accept = run("AcceptToken (Service)", n, c, func(i int) error {
		_, err := svc.AcceptToken(ctx, tenant.ID, tokens[i], dst.ID)
		return err
	})
	check(svc.CheckLedger(ctx, tenant.ID))
	return create, accept
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
