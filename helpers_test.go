package paykit_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/pgtest"
)

// epoch is where every test's mock clock starts.
var epoch = time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC)

// env is one test's world: a Service on a real SQLite file, driven by a mock clock.
type env struct {
	svc   *paykit.Service
	clock *clock.Mock
	db    *store.DB
	path  string
}

// MustOpen returns a Service on a fresh database file, with the webhook schemes
// of every dialect registered, as a server mounting them has. When the test ends it
// checks every invariant of every tenant in the database (see
// Service.CheckAllInvariants), so every test is also a test of the ledger, the
// lifecycles and the links between nouns.
func MustOpen(tb testing.TB, opts ...paykit.Option) *env {
	tb.Helper()
	e := MustOpenUnchecked(tb, opts...)
	// Cleanups run last in, first out: this one before MustOpenUnchecked's Close.
	tb.Cleanup(func() { require.NoError(tb, e.svc.CheckAllInvariants(context.Background())) })
	return e
}

// onPostgres runs the package's tests on PostgreSQL (see store/pgtest) rather
// than on a SQLite file: PAYKIT_TEST_STORE=postgres.
var onPostgres = os.Getenv("PAYKIT_TEST_STORE") == "postgres"

// MustOpenUnchecked is MustOpen without the invariants check at the end, for
// the tests that break invariants on purpose.
func MustOpenUnchecked(tb testing.TB, opts ...paykit.Option) *env {
	tb.Helper()
	mock := clock.NewMock()
	mock.Set(epoch)
	return mustOpenOn(tb, mock, opts...)
}

// mustOpenOn is MustOpenUnchecked on a given mock clock, for the tests whose
// options need the clock first (a sandbox chain's blocks are timed by it).
func mustOpenOn(tb testing.TB, mock *clock.Mock, opts ...paykit.Option) *env {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "paykit.db")
	if onPostgres {
		path = pgtest.DSN(tb)
	}
	db, err := store.Open(path)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	e := &env{clock: mock, db: db, path: path}
	e.svc = paykit.New(db, append([]paykit.Option{paykit.WithClock(mock)}, opts...)...)
	httpapi.RegisterSchemes(e.svc)
	return e
}

// MustTenant creates a tenant.
func (e *env) MustTenant(tb testing.TB) string {
	tb.Helper()
	t, err := e.svc.CreateTenant(context.Background(), "", "Test business")
	require.NoError(tb, err)
	return t.ID
}

// MustAccount opens a USD business account holding funded USD (completed deposit).
func (e *env) MustAccount(tb testing.TB, tenantID, funded string) *paykit.Account {
	tb.Helper()
	ctx := context.Background()
	a, err := e.svc.CreateAccount(ctx, tenantID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "biz-" + tb.Name()})
	require.NoError(tb, err)
	if funded != "" {
		p, err := e.svc.CreateDeposit(ctx, tenantID, paykit.DepositCreate{DestinationAccountID: a.ID, Amount: dec(funded), AssetType: "usd", ExternalStorage: "wire"})
		require.NoError(tb, err)
		_, err = e.svc.CompletePayment(ctx, tenantID, p.ID)
		require.NoError(tb, err)
	}
	return a
}

// MustUserAccount opens an empty USD account of a user identity.
func (e *env) MustUserAccount(tb testing.TB, tenantID string) *paykit.Account {
	tb.Helper()
	a, err := e.svc.CreateAccount(context.Background(), tenantID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "user-" + tb.Name()})
	require.NoError(tb, err)
	return a
}

// MustToken creates an active token for amount from src, expiring in ttl.
func (e *env) MustToken(tb testing.TB, tenantID, src, amount string, ttl time.Duration) *paykit.Token {
	tb.Helper()
	exp := e.clock.Now().Add(ttl)
	t, err := e.svc.CreateToken(context.Background(), tenantID, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src, Amount: dec(amount), ExpiresAt: &exp, Memo: "gig"})
	require.NoError(tb, err)
	return t
}

// RequireBalances checks an account's available and posted balances.
func (e *env) RequireBalances(tb testing.TB, tenantID, accountID, available, balance string) {
	tb.Helper()
	a, err := e.svc.FindAccountByID(context.Background(), tenantID, accountID)
	require.NoError(tb, err)
	require.Equal(tb, available, a.Available().Fixed(), "available of %s", accountID)
	require.Equal(tb, balance, a.Balance().Fixed(), "balance of %s", accountID)
}

// MustRunDue performs the work due now.
func (e *env) MustRunDue(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, e.svc.RunDue(context.Background()))
}

// eventTypes returns the types of the tenant's events, in order.
func (e *env) eventTypes(tb testing.TB, tenantID, subjectID string) []string {
	tb.Helper()
	f := paykit.EventFilter{Limit: 1000}
	if subjectID != "" {
		f.SubjectID = &subjectID
	}
	evs, err := e.svc.FindEvents(context.Background(), tenantID, f)
	require.NoError(tb, err)
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func requireCode(tb testing.TB, code string, err error) {
	tb.Helper()
	require.Error(tb, err)
	require.Equal(tb, code, paykit.ErrorCode(err), "error: %v", err)
}

// local lets a Service deliver webhooks to this machine: the tests' receivers
// are httptest servers on 127.0.0.1, which a Service refuses by default
// (issue 13). Every test that posts to one says so with it.
var local = paykit.WithPrivateDestinations()
