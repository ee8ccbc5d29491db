package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/pgtest"
)

// TestRun_Postgres: two servers, started as `go run ./examples/server -db
// postgres://…` is, share one PostgreSQL database and one sealing key file; a
// token created through one is read through the other, and it is in the
// database. The log says which store, without the URL's password.
func TestRun_Postgres(t *testing.T) {
	u, err := url.Parse(pgtest.DSN(t))
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), "s3cret") // the test server trusts; the log must not show it
	dsn := u.String()
	key := filepath.Join(t.TempDir(), "sealing.key")
	a := mustRun(t, "-db", dsn, "-sealing-key-file", key, "-demo")
	b := mustRun(t, "-db", dsn, "-sealing-key-file", key, "-demo")

	call := func(addr string, want int, method, path, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+"/gigpay/api/v1"+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer demo")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, want, res.StatusCode, "%s %s: %s", method, path, raw)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
		return out
	}
	tok := call(a.addr, 201, "POST", "/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":12.5}`)
	token, _ := tok["token"].(string)
	require.NotEmpty(t, token)
	got := call(b.addr, 200, "GET", "/payment-tokens/"+token, "")
	require.Equal(t, tok["id"], got["id"])
	require.Equal(t, "active", got["status"])

	require.NoError(t, a.stop())
	require.NoError(t, b.stop())
	for _, rs := range []*runningServer{a, b} {
		logs := rs.logs.String()
		require.Contains(t, logs, "store=postgres")
		require.NotContains(t, logs, "s3cret")
	}

	db, err := store.Open(dsn)
	require.NoError(t, err)
	defer db.Close()
	svc := paykit.New(db)
	stored, err := svc.FindTokenByToken(context.Background(), demoTenantID, token)
	require.NoError(t, err)
	require.Equal(t, "12.50 USD", stored.Amount.String())
	require.NoError(t, svc.CheckAllInvariants(context.Background()))
}

// TestRun_PostgresNeedsSealingKeyFile: with a PostgreSQL URL there is no
// file to keep the key beside, and servers sharing the database must share
// the key, so the server asks for -sealing-key-file before it connects.
func TestRun_PostgresNeedsSealingKeyFile(t *testing.T) {
	var logs bytes.Buffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", "postgres://paykit:s3cret@127.0.0.1:1/paykit"}, &logs, nil)
	require.ErrorContains(t, err, "-sealing-key-file")
	require.NotContains(t, err.Error()+logs.String(), "s3cret")
}
