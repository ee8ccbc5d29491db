// Command paykit-bench measures create-token and accept-token throughput through
// the paykit Service on a SQLite file, beside a raw-SQL baseline that does the
// writes such an operation needs at minimum (a row insert, a balance update and
// an event insert, in one transaction) on the same driver and pragmas.
//
//	go run ./cmd/paykit-bench            # 1 and 64 concurrent callers
//	go run ./cmd/paykit-bench -n 5000 -c 1,8,64 -sync NORMAL
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
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
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

func main() {
	n := flag.Int("n", 2000, "operations per measurement")
	conc := flag.String("c", "1,64", "comma-separated concurrency levels")
	syncMode := flag.String("sync", "FULL", "SQLite synchronous pragma: FULL or NORMAL")
	group := flag.Bool("group-commit", true, "let the store commit concurrent operations together")
	dir := flag.String("dir", "", "directory for the database files (default: a temporary one)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}

	if *dir == "" {
		d, err := os.MkdirTemp("", "paykit-bench")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		levels = append(levels, c)
	}

	fmt.Printf("paykit-bench: n=%d synchronous=%s group-commit=%v dir=%s\n\n", *n, *syncMode, *group, *dir)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcallers\tops/s\tp50\tp99\tmax\terrors\tvs baseline\t")
	for i, c := range levels {
		path := func(name string) string { return filepath.Join(*dir, fmt.Sprintf("%s-%d.db", name, i)) }
		base := baseline(path("baseline"), *syncMode, *n, c)
		create, accept := service(path("service"), *syncMode, *group, *n, c)
		for _, r := range []result{base, create, accept} {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%.0f%%\t\n", r.name, c, r.opsPerSec(),
				ms(r.pct(50)), ms(r.pct(99)), ms(r.pct(100)), r.errors, 100*r.opsPerSec()/base.opsPerSec())
		}
	}
	tw.Flush()
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
// transaction, through one writer connection like the store's.
func baseline(path, syncMode string, n, c int) result {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(" + syncMode + ")&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	check(err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)`,
		`CREATE TABLE tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL)`,
		`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL)`,
		`INSERT INTO accounts VALUES ('a', 0)`,
	} {
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
		if _, err := tx.Exec(`INSERT INTO tokens VALUES (?, 'a', 100, ?)`, id, now); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE accounts SET balance = balance + 100 WHERE id = 'a'`); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO events (id, type, data, created_at) VALUES (?, 'token.created', ?, ?)`,
			uuid.Must(uuid.NewV7()).String(), `{"id":"`+id+`","amount":"1.00"}`, now); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// service creates n tokens, then accepts them, through the Service.
func service(path, syncMode string, group bool, n, c int) (create, accept result) {
	db, err := store.Open(path, store.WithSynchronous(syncMode), store.WithGroupCommit(group))
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
