package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/pgtest"
	"github.com/paykit/paykit/store/storetest"
)

// MustOpenPostgres opens a DB on a new schema of the test server (see
// pgtest), or skips tb without one.
func MustOpenPostgres(tb testing.TB, opts ...store.Option) *store.DB {
	tb.Helper()
	db, err := store.Open(pgtest.DSN(tb), opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

func TestPostgres_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) paykit.Store { return MustOpenPostgres(t, store.WithMaxConns(8)) })
}
