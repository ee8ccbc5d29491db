// Package pgtest gives tests a PostgreSQL database of their own.
//
// Every PostgreSQL test finds its server in PAYKIT_POSTGRES_DSN (.ci/postgres
// starts a throwaway one and prints its URL). Without it the test is skipped
// with a line saying how to run it, unless PAYKIT_REQUIRE_POSTGRES=1 (as in
// CI), where it fails instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DSN returns the URL of a new, empty schema on the test server, dropped
// with everything in it when tb ends: a store opened on it migrates it as it
// would a new database.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("PAYKIT_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("PAYKIT_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("PAYKIT_REQUIRE_POSTGRES=1 but PAYKIT_POSTGRES_DSN is not set")
		}
		tb.Skip("PostgreSQL tests skipped: run `export PAYKIT_POSTGRES_DSN=$(.ci/postgres)` first to run them")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("pgtest: drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("pgtest: PAYKIT_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
