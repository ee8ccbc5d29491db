package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/storetest"
)

// MustOpen opens a DB on a new file in t's temporary directory.
func MustOpen(tb testing.TB, opts ...store.Option) *store.DB {
	tb.Helper()
	return MustOpenFile(tb, filepath.Join(tb.TempDir(), "paykit.db"), opts...)
}

// MustOpenFile opens a DB on path and closes it when tb ends.
func MustOpenFile(tb testing.TB, path string, opts ...store.Option) *store.DB {
	tb.Helper()
	db, err := store.Open(path, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

func TestDB_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) paykit.Store { return MustOpen(t) })
}

func TestDB_ConformanceWithoutGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T) paykit.Store { return MustOpen(t, store.WithGroupCommit(false)) })
}

// TestDB_WritesOnlyInTx checks the shape that makes a write outside a
// transaction fail to compile: neither paykit.Store nor *store.DB has a write
// method (only reads, InTx, Close and the counters export_test.go adds), and
// every method paykit.Tx adds to Store is a write.
func TestDB_WritesOnlyInTx(t *testing.T) {
	isRead := func(name string) bool { return strings.HasPrefix(name, "Find") || name == "LedgerSums" }
	for _, typ := range []reflect.Type{reflect.TypeFor[paykit.Store](), reflect.TypeFor[*store.DB]()} {
		for m := range typ.Methods() {
			require.True(t, isRead(m.Name) || slices.Contains([]string{"InTx", "Close", "QueueLen", "Batches", "PoolStats"}, m.Name),
				"%s has %s, a write that would run outside a transaction", typ, m.Name)
		}
	}
	st, tx := reflect.TypeFor[paykit.Store](), reflect.TypeFor[paykit.Tx]()
	writes := 0
	for m := range tx.Methods() {
		if _, ok := st.MethodByName(m.Name); !ok {
			require.False(t, isRead(m.Name), "Tx has the read %s, which Store lacks", m.Name)
			writes++
		}
	}
	require.Greater(t, writes, 30, "the writes are on Tx")
}

func TestOpen(t *testing.T) {
	t.Run("MigrationsIdempotent", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "paykit.db")
		db, err := store.Open(path)
		require.NoError(t, err)
		tn := storetest.MustTenant(t, db)
		require.NoError(t, db.Close())

		for range 2 {
			db, err = store.Open("file:"+path, store.WithSynchronous("normal"))
			require.NoError(t, err)
			got, err := db.FindTenantByID(context.Background(), tn.ID)
			require.NoError(t, err)
			require.Equal(t, tn, got)
			require.NoError(t, db.Close())
		}
	})
	t.Run("MigratesEventTypes", func(t *testing.T) {
		// A database whose Gigapay events, deliveries and subscriptions have
		// Gigapay's names, as before 005_event_types, gets paykit's.
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "paykit.db")
		db, err := store.Open(path)
		require.NoError(t, err)
		tn := storetest.MustTenant(t, db)
		ep := storetest.MustEndpoint(t, db, tn.ID, func(e *paykit.Endpoint) {
			e.Events = []string{"Payout.accepted", "thing.happened", "Invoice.paid"}
		})
		ev := storetest.MustEvent(t, db, tn.ID, "Payout.accepted", storetest.NewID())
		other := storetest.MustEvent(t, db, tn.ID, paykit.EventTokenCreated, storetest.NewID())
		d := storetest.MustDelivery(t, db, ev, ep)
		require.NoError(t, db.Close())
		raw, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		_, err = raw.Exec(`DELETE FROM migrations WHERE name = 'migrations/005_event_types.sql'`)
		require.NoError(t, err)
		require.NoError(t, raw.Close())

		db = MustOpenFile(t, path)
		got, err := db.FindEndpointByID(ctx, tn.ID, ep.ID)
		require.NoError(t, err)
		require.Equal(t, []string{paykit.EventPayoutAccepted, "thing.happened", paykit.EventInvoicePaid}, got.Events)
		evs, err := db.FindEvents(ctx, tn.ID, paykit.EventFilter{Limit: 10})
		require.NoError(t, err)
		require.Len(t, evs, 2)
		require.Equal(t, []string{paykit.EventPayoutAccepted, other.Type}, []string{evs[0].Type, evs[1].Type})
		gotD, err := db.FindDeliveryByID(ctx, tn.ID, d.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.EventPayoutAccepted, gotD.EventType)
	})
	t.Run("MigratesStandardSecrets", func(t *testing.T) {
		// Endpoints made before 006_standard_secrets, without a Standard
		// Webhooks secret, get one: a standard endpoint its own secret, the
		// others a new one each, a well-formed whsec_ secret.
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "paykit.db")
		db, err := store.Open(path)
		require.NoError(t, err)
		tn := storetest.MustTenant(t, db)
		noSecret := func(e *paykit.Endpoint) { e.StandardSecret = "" }
		a := storetest.MustEndpoint(t, db, tn.ID, noSecret)
		b := storetest.MustEndpoint(t, db, tn.ID, noSecret)
		std := storetest.MustEndpoint(t, db, tn.ID, noSecret, func(e *paykit.Endpoint) {
			e.Scheme, e.Secret = paykit.SchemeStandard, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		})
		kept := storetest.MustEndpoint(t, db, tn.ID)
		require.NoError(t, db.Close())
		raw, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		_, err = raw.Exec(`DELETE FROM migrations WHERE name = 'migrations/006_standard_secrets.sql'`)
		require.NoError(t, err)
		require.NoError(t, raw.Close())

		db = MustOpenFile(t, path)
		secrets := map[string]string{}
		for _, ep := range []*paykit.Endpoint{a, b, std, kept} {
			got, err := db.FindEndpointByID(ctx, tn.ID, ep.ID)
			require.NoError(t, err)
			require.NoError(t, signing.CheckStandardSecret(got.StandardSecret), got.StandardSecret)
			require.True(t, strings.HasPrefix(got.StandardSecret, "whsec_"))
			secrets[ep.ID] = got.StandardSecret
		}
		require.NotEqual(t, secrets[a.ID], secrets[b.ID], "one secret each")
		require.Equal(t, std.Secret, secrets[std.ID])
		require.Equal(t, kept.StandardSecret, secrets[kept.ID], "a secret it had is kept")
	})
	t.Run("ErrMemory", func(t *testing.T) {
		_, err := store.Open(":memory:")
		require.Error(t, err)
	})
	t.Run("ErrSynchronous", func(t *testing.T) {
		_, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.WithSynchronous("sometimes"))
		require.Error(t, err)
	})
}

// newTenant returns a tenant to create, for transactions that need a write.
func newTenant() *paykit.Tenant {
	return &paykit.Tenant{ID: storetest.NewID(), Name: "t", CreatedAt: storetest.Base}
}

func requireTenant(tb testing.TB, s paykit.Store, id string, exists bool) {
	tb.Helper()
	_, err := s.FindTenantByID(context.Background(), id)
	if exists {
		require.NoError(tb, err)
	} else {
		storetest.RequireCode(tb, err, paykit.ENOTFOUND)
	}
}

// A burst of concurrent write transactions all succeed: none sees "database is
// locked", however many arrive at once.
func TestDB_InTx_Concurrent(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("GroupCommit=%v", group), func(t *testing.T) {
			db := MustOpen(t, store.WithGroupCommit(group))
			ctx := context.Background()
			tn := storetest.MustTenant(t, db)
			acct := storetest.MustAccount(t, db, tn.ID, paykit.AccountKindUser, "USD")
			const goroutines, rounds = 64, 4
			for range rounds {
				var wg sync.WaitGroup
				errs := make(chan error, goroutines)
				start := make(chan struct{})
				for range goroutines {
					wg.Go(func() {
						<-start
						errs <- db.InTx(ctx, func(tx paykit.Tx) error {
							if _, err := tx.FindAccountByID(ctx, tn.ID, acct.ID); err != nil {
								return err
							}
							if err := tx.UpdateAccountBalances(ctx, tn.ID, acct.ID, paykit.BalanceDelta{CreditsPosted: 1}, storetest.Base); err != nil {
								return err
							}
							return tx.AppendEvent(ctx, &paykit.Event{ID: storetest.NewID(), TenantID: tn.ID, Type: "t", CreatedAt: storetest.Base})
						})
					})
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
			}
			got, err := db.FindAccountByID(ctx, tn.ID, acct.ID)
			require.NoError(t, err)
			require.Equal(t, int64(goroutines*rounds), got.CreditsPosted)
			events, err := db.FindEvents(ctx, tn.ID, paykit.EventFilter{Limit: 1000})
			require.NoError(t, err)
			require.Len(t, events, goroutines*rounds)
			t.Logf("%d transactions in %d batches", goroutines*rounds, db.Batches())
		})
	}
}

// A read outside a transaction runs on the read pool: it neither waits for an
// open write transaction nor sees its uncommitted writes.
func TestDB_ReadDuringWrite(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	before := storetest.MustTenant(t, db)
	during := newTenant()
	written, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, during); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	<-written

	read := make(chan error, 1)
	go func() {
		if _, err := db.FindTenantByID(ctx, before.ID); err != nil {
			read <- err
			return
		}
		_, err := db.FindTenantByID(ctx, during.ID)
		if paykit.ErrorCode(err) != paykit.ENOTFOUND {
			read <- fmt.Errorf("uncommitted tenant: got %v, want not found", err)
			return
		}
		_, _, err = db.LedgerSums(ctx, before.ID)
		read <- err
	}()
	select {
	case err := <-read:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("read blocked behind an open write transaction")
	}

	close(release)
	require.NoError(t, <-done)
	requireTenant(t, db, during.ID, true)
}

// Two DBs on one file stand for two processes: the busy timeout makes each
// wait for the other's write lock instead of failing.
func TestDB_TwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	dbs := []*store.DB{MustOpenFile(t, path), MustOpenFile(t, path)}
	ctx := context.Background()
	tn := storetest.MustTenant(t, dbs[0])
	acct := storetest.MustAccount(t, dbs[1], tn.ID, paykit.AccountKindUser, "USD")
	const goroutines, rounds = 16, 5
	var wg sync.WaitGroup
	errs := make(chan error, 2*goroutines*rounds)
	for _, db := range dbs {
		for range goroutines {
			wg.Go(func() {
				for range rounds {
					errs <- db.InTx(ctx, func(tx paykit.Tx) error {
						return tx.UpdateAccountBalances(ctx, tn.ID, acct.ID, paykit.BalanceDelta{CreditsPosted: 1}, storetest.Base)
					})
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, db := range dbs {
		got, err := db.FindAccountByID(ctx, tn.ID, acct.ID)
		require.NoError(t, err)
		require.Equal(t, int64(2*goroutines*rounds), got.CreditsPosted)
	}
}

// hold runs a transaction on db that blocks until the returned release is
// called, so that InTx calls made meanwhile queue up for one batch.
func hold(t *testing.T, db *store.DB) (release func()) {
	t.Helper()
	started, unblock, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(context.Background(), func(tx paykit.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return func() {
		close(unblock)
		require.NoError(t, <-done)
	}
}

func waitQueue(t *testing.T, db *store.DB, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return db.QueueLen() == n }, 5*time.Second, time.Millisecond)
}

// In one group commit, an op that fails, panics or breaks a constraint is
// rolled back to its savepoint; the others' writes commit.
func TestDB_InTx_GroupCommitIsolation(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	dup := storetest.MustTenant(t, db)
	release := hold(t, db)
	batchesBefore := db.Batches()

	type result struct {
		name    string
		tenant  *paykit.Tenant
		err     error
		panic   any
		success bool
	}
	ops := []struct {
		name    string
		success bool
		fn      func(tx paykit.Tx, tn *paykit.Tenant) error
	}{
		{"ok1", true, func(tx paykit.Tx, tn *paykit.Tenant) error { return tx.CreateTenant(ctx, tn) }},
		{"error", false, func(tx paykit.Tx, tn *paykit.Tenant) error {
			if err := tx.CreateTenant(ctx, tn); err != nil {
				return err
			}
			return errors.New("changed my mind")
		}},
		{"ok2", true, func(tx paykit.Tx, tn *paykit.Tenant) error { return tx.CreateTenant(ctx, tn) }},
		{"panic", false, func(tx paykit.Tx, tn *paykit.Tenant) error {
			if err := tx.CreateTenant(ctx, tn); err != nil {
				return err
			}
			panic("boom")
		}},
		{"conflict", false, func(tx paykit.Tx, tn *paykit.Tenant) error {
			if err := tx.CreateTenant(ctx, tn); err != nil {
				return err
			}
			return tx.CreateTenant(ctx, dup)
		}},
		{"ok3", true, func(tx paykit.Tx, tn *paykit.Tenant) error {
			if err := tx.CreateTenant(ctx, tn); err != nil {
				return err
			}
			// A failed nested savepoint inside a successful op.
			_ = tx.InTx(ctx, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, dup) })
			return nil
		}},
	}
	results := make(chan result, len(ops))
	for i, o := range ops {
		go func() {
			r := result{name: o.name, tenant: newTenant(), success: o.success}
			defer func() {
				r.panic = recover()
				results <- r
			}()
			r.err = db.InTx(ctx, func(tx paykit.Tx) error { return o.fn(tx, r.tenant) })
		}()
		waitQueue(t, db, i+1) // queue in order
	}
	release()

	for range ops {
		r := <-results
		t.Run(r.name, func(t *testing.T) {
			if r.success {
				require.NoError(t, r.err)
				require.Nil(t, r.panic)
			} else if r.name == "panic" {
				var pe *store.PanicError
				require.ErrorAs(t, r.panic.(error), &pe)
				require.Equal(t, "boom", pe.Value)
			} else {
				require.Error(t, r.err)
			}
			requireTenant(t, db, r.tenant.ID, r.success)
		})
	}
	require.Equal(t, batchesBefore+1, db.Batches(), "the queued ops ran as one batch")
}

// An op whose context ends while it waits in the queue returns the context's
// error, and its function never runs.
func TestDB_InTx_CanceledWhileQueued(t *testing.T) {
	db := MustOpen(t)
	release := hold(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx paykit.Tx) error { ran <- struct{}{}; return nil })
	}()
	waitQueue(t, db, 1)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	release()
	require.Empty(t, ran)
	require.Equal(t, 0, db.QueueLen())
}

// A panic raised in a function the leader ran reaches the caller as a
// *PanicError carrying the value.
func TestDB_InTx_PanicError(t *testing.T) {
	db := MustOpen(t)
	errBoom := errors.New("boom")
	defer func() {
		r := recover()
		pe, ok := r.(*store.PanicError)
		require.True(t, ok, "recovered %T", r)
		require.Equal(t, errBoom, pe.Value)
		require.ErrorIs(t, pe, errBoom)
		require.Contains(t, string(pe.Stack), "db_test.go")
	}()
	_ = db.InTx(context.Background(), func(tx paykit.Tx) error { panic(errBoom) })
}

func BenchmarkDB_InTx(b *testing.B) {
	for _, group := range []bool{true, false} {
		for _, sync := range []string{"FULL", "NORMAL"} {
			b.Run(fmt.Sprintf("GroupCommit=%v/Synchronous=%s", group, sync), func(b *testing.B) {
				db := MustOpen(b, store.WithGroupCommit(group), store.WithSynchronous(sync))
				ctx := context.Background()
				tn := storetest.MustTenant(b, db)
				b.SetParallelism(16)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						err := db.InTx(ctx, func(tx paykit.Tx) error {
							return tx.AppendEvent(ctx, &paykit.Event{ID: storetest.NewID(), TenantID: tn.ID, Type: "bench",
								Data: []byte(`{}`), CreatedAt: storetest.Base})
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/float64(max(db.Batches(), 1)), "ops/batch")
			})
		}
	}
}

// BenchmarkDB_AppendEvent appends events of a token's size, 500 to a
// transaction: what an event costs the writer, its commit shared out.
func BenchmarkDB_AppendEvent(b *testing.B) {
	db := MustOpen(b)
	ctx := context.Background()
	tn := storetest.MustTenant(b, db)
	data := []byte(`{"id":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c10","token":"` + strings.Repeat("x", 32) +
		`","sourceAccountId":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c11","amount":{"amount":"1.00","currency":"USD"},` +
		`"memo":"bench","status":"active","expiresAt":"2030-01-01T00:00:00Z","createdAt":"2026-01-01T00:00:00Z"}`)
	const perTx = 500
	for b.Loop() {
		err := db.InTx(ctx, func(tx paykit.Tx) error {
			for range perTx {
				err := tx.AppendEvent(ctx, &paykit.Event{ID: storetest.NewID(), TenantID: tn.ID, Type: "token.created",
					SubjectID: storetest.NewID(), Data: data, CreatedAt: storetest.Base})
				if err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perTx), "µs/event")
}

// BenchmarkDB_Statement runs the two commonest statements of a write, 500 to
// a transaction: an account's read and a balance update. Each row is one
// page the cache holds, so what is measured is mostly the statement's way
// through database/sql and the driver.
func BenchmarkDB_Statement(b *testing.B) {
	db := MustOpen(b)
	ctx := context.Background()
	tn := storetest.MustTenant(b, db)
	acct := storetest.MustAccount(b, db, tn.ID, paykit.AccountKindUser, "USD")
	const perTx = 500
	for _, bc := range []struct {
		name string
		run  func(tx paykit.Tx) error
	}{
		{"FindAccountByID", func(tx paykit.Tx) error { _, err := tx.FindAccountByID(ctx, tn.ID, acct.ID); return err }},
		{"UpdateAccountBalances", func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, acct.ID, paykit.BalanceDelta{CreditsPosted: 1}, storetest.Base)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, db.InTx(ctx, func(tx paykit.Tx) error {
					for range perTx {
						if err := bc.run(tx); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*perTx), "µs/statement")
		})
	}
}

func BenchmarkDB_FindTokenByID(b *testing.B) {
	db := MustOpen(b)
	ctx := context.Background()
	tn := storetest.MustTenant(b, db)
	tk := storetest.MustToken(b, db, tn.ID)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.FindTokenByID(ctx, tn.ID, tk.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDB_Transfer runs the statements of a ledger transfer: two account
// reads, a transfer insert, two balance updates and an event.
func BenchmarkDB_Transfer(b *testing.B) {
	db := MustOpen(b)
	ctx := context.Background()
	tn := storetest.MustTenant(b, db)
	world := storetest.MustAccount(b, db, tn.ID, paykit.AccountKindExternal, "USD")
	user := storetest.MustAccount(b, db, tn.ID, paykit.AccountKindUser, "USD")
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.InTx(ctx, func(tx paykit.Tx) error {
				debit, err := tx.FindAccountByID(ctx, tn.ID, world.ID)
				if err != nil {
					return err
				}
				credit, err := tx.FindAccountByID(ctx, tn.ID, user.ID)
				if err != nil {
					return err
				}
				tr := &paykit.Transfer{ID: storetest.NewID(), TenantID: tn.ID, DebitAccountID: debit.ID, CreditAccountID: credit.ID,
					Amount: 100, Currency: "USD", Status: paykit.TransferStatusPosted, Kind: "deposit",
					CreatedAt: storetest.Base, UpdatedAt: storetest.Base}
				if err := tx.CreateTransfer(ctx, tr); err != nil {
					return err
				}
				if err := tx.UpdateAccountBalances(ctx, tn.ID, debit.ID, paykit.BalanceDelta{DebitsPosted: 100}, storetest.Base); err != nil {
					return err
				}
				if err := tx.UpdateAccountBalances(ctx, tn.ID, credit.ID, paykit.BalanceDelta{CreditsPosted: 100}, storetest.Base); err != nil {
					return err
				}
				return tx.AppendEvent(ctx, &paykit.Event{ID: storetest.NewID(), TenantID: tn.ID, Type: "transfer.created",
					SubjectID: tr.ID, Data: []byte(`{}`), CreatedAt: storetest.Base})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/float64(max(db.Batches(), 1)), "ops/batch")
}

// TestDB_NoFilePerRequest (issue 13): the read and stream pools open their
// connections when the DB opens and keep them, so serving reads and streamed
// lists, however many at once, opens no file: a process whose clients hold
// every file descriptor it may have still reads its database (it used to
// answer "unable to open database file").
func TestDB_NoFilePerRequest(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	tn := storetest.MustTenant(t, db)
	reader, streams := db.PoolStats()
	require.Equal(t, reader.MaxOpenConnections, reader.OpenConnections, "opened up front")
	require.Equal(t, streams.MaxOpenConnections, streams.OpenConnections, "opened up front")
	fds := openFiles(t)

	var wg sync.WaitGroup
	for range 4 * reader.MaxOpenConnections {
		wg.Go(func() {
			for range 20 {
				_, err := db.FindTenantByID(ctx, tn.ID)
				require.NoError(t, err)
				for _, err := range db.FindAllPayments(ctx, tn.ID, paykit.PaymentFilter{}) {
					require.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
	for _, s := range func() []sql.DBStats { r, s := db.PoolStats(); return []sql.DBStats{r, s} }() {
		require.Equal(t, s.MaxOpenConnections, s.OpenConnections)
		require.Zero(t, s.MaxIdleClosed+s.MaxIdleTimeClosed+s.MaxLifetimeClosed, "no connection was closed, so none reopened")
	}
	require.Equal(t, fds, openFiles(t), "no file was opened")
}

// openFiles counts the process's open file descriptors (Linux), or skips.
func openFiles(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(ents)
}
