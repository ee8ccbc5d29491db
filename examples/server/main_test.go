package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/stretchr/testify/require"
)

func TestSeedDemo(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "paykit.db"))
	require.NoError(t, err)
	defer db.Close()
	svc := paykit.New(db)
	ctx := context.Background()
	for range 2 { // seeding again changes nothing
		require.NoError(t, seedDemo(ctx, svc, "demo"))
	}
	tn, err := svc.Authenticate(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, demoTenantID, tn.ID)
	a, err := svc.FindAccountByID(ctx, demoTenantID, demoBusinessAccount)
	require.NoError(t, err)
	require.Equal(t, "10000.00 USD", a.Available().String())
	a, err = svc.FindAccountByID(ctx, demoTenantID, demoPayeeAccount)
	require.NoError(t, err)
	require.Equal(t, "demo-payee", a.UserIdentityID)
	require.NoError(t, svc.CheckLedger(ctx, demoTenantID))
}

func TestRun_Shutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "paykit.db"), "-demo"}, &logs)
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
}
