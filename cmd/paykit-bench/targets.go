package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/paykit/paykit/store"
)

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
