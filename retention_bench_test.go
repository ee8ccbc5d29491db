package paykit_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

var (
	storageDays      = flag.Int("storage-days", 120, "simulated days of BenchmarkStoragePerToken")
	storageTokensDay = flag.Int("storage-tokens", 120, "tokens a simulated day in BenchmarkStoragePerToken")
)

// acceptAll is a webhook receiver without a network: every delivery succeeds.
type acceptAll struct{}

func (acceptAll) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// BenchmarkStoragePerToken measures the database's bytes per token at steady
// state, with and without retention (issue 13, finding 4): a tenant creates
// -storage-tokens tokens a day for -storage-days days by the mock clock, with
// an endpoint subscribed to every event; half the tokens are accepted and
// their payments completed, the other half expire; due work runs every
// simulated hour. It reports the bytes in use per token over the whole run
// and per token created in the last 30 days (the growth at steady state).
//
//	go test . -run '^$' -bench StoragePerToken -benchtime 1x
func BenchmarkStoragePerToken(b *testing.B) {
	for _, retention := range []time.Duration{paykit.DefaultRetention, 0} {
		name := "retention=none"
		if retention > 0 {
			name = fmt.Sprintf("retention=%dd", retention/(24*time.Hour))
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "paykit.db")
			db, err := store.Open(path, store.WithSynchronous("OFF"))
			require.NoError(b, err)
			defer db.Close()
			mock := clock.NewMock()
			mock.Set(epoch)
			svc := paykit.New(db, paykit.WithClock(mock), paykit.WithRetention(retention),
				paykit.WithHTTPClient(&http.Client{Transport: acceptAll{}}))
			httpapi.RegisterSchemes(svc)
			tn, err := svc.CreateTenant(ctx, "", "Acme")
			require.NoError(b, err)
			_, err = svc.CreateEndpoint(ctx, tn.ID, paykit.EndpointCreate{URL: "https://receiver.example/hooks"})
			require.NoError(b, err)
			payer, err := svc.CreateAccount(ctx, tn.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "acme"})
			require.NoError(b, err)
			payee, err := svc.CreateAccount(ctx, tn.ID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "ada"})
			require.NoError(b, err)
			dep, err := svc.CreateDeposit(ctx, tn.ID, paykit.DepositCreate{DestinationAccountID: payer.ID,
				Amount: dec("100000000"), AssetType: "usd", ExternalStorage: "wire"})
			require.NoError(b, err)
			_, err = svc.CompletePayment(ctx, tn.ID, dep.ID)
			require.NoError(b, err)

			used := func() int64 {
				require.NoError(b, db.InTx(ctx, func(paykit.Tx) error { return nil }))
				raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
				require.NoError(b, err)
				defer raw.Close()
				var pages, free, size int64
				require.NoError(b, raw.QueryRow(`PRAGMA page_count`).Scan(&pages))
				require.NoError(b, raw.QueryRow(`PRAGMA freelist_count`).Scan(&free))
				require.NoError(b, raw.QueryRow(`PRAGMA page_size`).Scan(&size))
				return (pages - free) * size
			}
			tokens, start := 0, time.Now()
			var before int64
			for day := range *storageDays {
				if day == *storageDays-30 {
					require.NoError(b, svc.RunDue(ctx))
					before = used()
				}
				for hour := range 24 {
					for i := range *storageTokensDay / 24 {
						exp := mock.Now().Add(2 * time.Hour)
						tok, err := svc.CreateToken(ctx, tn.ID, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID,
							Amount: dec("12.50"), ExpiresAt: &exp, Memo: "Logo design, order " + strings.Repeat("7", 8)})
						require.NoError(b, err)
						tokens++
						if (hour+i)%2 == 0 {
							acc, err := svc.AcceptToken(ctx, tn.ID, tok.Token, payee.ID)
							require.NoError(b, err)
							_, err = svc.CompletePayment(ctx, tn.ID, acc.Payment.ID)
							require.NoError(b, err)
						}
					}
					mock.Add(time.Hour)
					require.NoError(b, svc.RunDue(ctx))
				}
			}
			total := used()
			last := tokens * 30 / *storageDays
			b.ReportMetric(float64(total)/float64(tokens), "B/token")
			b.ReportMetric(float64(total-before)/float64(last), "B/new-token")
			b.ReportMetric(float64(total)/(1<<20), "MiB")
			b.Logf("%d tokens over %d days: %.1f MiB in use, %.0f B/token; the last 30 days added %.0f B/token (%s)",
				tokens, *storageDays, float64(total)/(1<<20), float64(total)/float64(tokens), float64(total-before)/float64(last),
				time.Since(start).Round(time.Second))
		})
	}
}
