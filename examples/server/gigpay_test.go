package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// The GigPay bullets of issue 9, through the example server's wiring: what a
// client written to seed 000 sends, and what it must get back.

const gigPayAuth = "Bearer demo"

// gigPay sends a GigPay request to the demo and requires the status want.
func (d *demoServer) gigPay(want int, method, path, body string) map[string]json.RawMessage {
	d.tb.Helper()
	r := d.mustDo(want, method, "/gigpay/api/v1"+path, body, "Authorization", gigPayAuth)
	var out map[string]json.RawMessage
	require.NoError(d.tb, json.Unmarshal(r.Body, &out), "%s", r.Body)
	return out
}

// mustToken creates a token of the demo business for amount with extra
// fields (`,"memo":"x"`).
func (d *demoServer) mustToken(amount, extra string) map[string]json.RawMessage {
	d.tb.Helper()
	return d.gigPay(201, "POST", "/payment-tokens",
		`{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":`+amount+extra+`}`)
}

func unquote(tb testing.TB, raw json.RawMessage) string {
	tb.Helper()
	var s string
	require.NoError(tb, json.Unmarshal(raw, &s), "%s", raw)
	return s
}

// paymentIDs returns the paymentIds of a list response, in order.
func paymentIDs(tb testing.TB, body []byte) []string {
	tb.Helper()
	var out struct{ Data []struct{ PaymentID string } }
	require.NoError(tb, json.Unmarshal(body, &out))
	ids := make([]string, len(out.Data))
	for i, p := range out.Data {
		ids[i] = p.PaymentID
	}
	return ids
}

// Bullet 1: GET /api/v1/payments without parameters returns all the tenant's
// payments ("Currently, this will return all payments"), oldest first; limit
// pages as an extension.
func TestGigPay_ListReturnsAllPayments(t *testing.T) {
	d := mustDemo(t)
	seeded := paymentIDs(t, d.mustDo(200, "GET", "/gigpay/api/v1/payments", "", "Authorization", gigPayAuth).Body)
	require.Len(t, seeded, 2) // the demo's funding deposits: the business's, the Memento payer's
	want := seeded
	for i := range 30 {
		d.clock.Add(time.Second)
		p := d.gigPay(201, "POST", "/deposits", fmt.Sprintf(
			`{"destinationAccountId":"%s","amount":%d,"assetType":"usd","externalStorage":"wire"}`, demoPayeeAccount, i+1))
		want = append(want, unquote(t, p["paymentId"]))
	}

	r := d.mustDo(200, "GET", "/gigpay/api/v1/payments", "", "Authorization", gigPayAuth)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.Equal(t, want, paymentIDs(t, r.Body), "all 32, oldest first: the newest are not missing")
	var shape struct {
		HasMore    bool
		NextCursor *string
	}
	require.NoError(t, json.Unmarshal(r.Body, &shape))
	require.False(t, shape.HasMore)
	require.Nil(t, shape.NextCursor)

	// Filters and sort without a limit: every match.
	newestFirst := make([]string, len(want))
	for i, id := range want {
		newestFirst[len(want)-1-i] = id
	}
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?type=deposit&sort=-createdAt", "", "Authorization", gigPayAuth)
	require.Equal(t, newestFirst, paymentIDs(t, r.Body))
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?accountId="+demoPayeeAccount, "", "Authorization", gigPayAuth)
	require.Equal(t, want[2:], paymentIDs(t, r.Body))
	// A cursor without a limit: everything after it.
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?startingAfter="+want[20], "", "Authorization", gigPayAuth)
	require.Equal(t, want[21:], paymentIDs(t, r.Body))

	// With a limit, pages as before.
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?limit=25", "", "Authorization", gigPayAuth)
	require.Equal(t, want[:25], paymentIDs(t, r.Body))
	require.NoError(t, json.Unmarshal(r.Body, &shape))
	require.True(t, shape.HasMore)
	require.Equal(t, want[24], *shape.NextCursor)

	// A bad parameter is still a 400 in GigPay's shape, not a broken stream.
	r = d.mustDo(400, "GET", "/gigpay/api/v1/payments?sort=date", "", "Authorization", gigPayAuth)
	require.Contains(t, string(r.Body), `"sort"`)
}

// Bullet 1 at scale: every payment, in one Store query, with the heap flat
// while the body streams. 2,000 payments always; 100,000 unless -short or
// -race.
func TestGigPay_ListStreams(t *testing.T) {
	t.Run("2k", func(t *testing.T) { testListStreams(t, 2_000) })
	t.Run("100k", func(t *testing.T) {
		if testing.Short() || raceEnabled {
			t.Skip("100,000 payments: not with -short or -race")
		}
		testListStreams(t, 100_000)
	})
}

// countingStore counts the payment list queries the Service makes.
type countingStore struct {
	paykit.Store
	finds, all atomic.Int64
}

func (c *countingStore) FindPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) ([]*paykit.Payment, error) {
	c.finds.Add(1)
	return c.Store.FindPayments(ctx, tenantID, f)
}

func (c *countingStore) FindAllPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) iter.Seq2[*paykit.Payment, error] {
	c.all.Add(1)
	return c.Store.FindAllPayments(ctx, tenantID, f)
}

func testListStreams(t *testing.T, n int) {
	ctx := context.Background()
	var counter *countingStore
	d := mustDemo(t, func(o *options) {
		o.wrapStore = func(s paykit.Store) paykit.Store { counter = &countingStore{Store: s}; return counter }
	})
	want := insertDeposits(t, d, n)

	counter.finds.Store(0)
	counter.all.Store(0)
	req, err := http.NewRequestWithContext(ctx, "GET", d.url+"/gigpay/api/v1/payments", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", gigPayAuth)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc

	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	body := &countingReader{r: resp.Body}
	dec := json.NewDecoder(body)
	for _, tok := range []json.Token{json.Delim('{'), "data", json.Delim('[')} {
		got, err := dec.Token()
		require.NoError(t, err)
		require.Equal(t, tok, got)
	}
	i := 0
	for ; dec.More(); i++ {
		var p struct {
			PaymentID    string `json:"paymentId"`
			CreatedAtUTC string `json:"createdAtUtc"`
		}
		require.NoError(t, dec.Decode(&p))
		require.Less(t, i, len(want))
		require.Equal(t, want[i], p.PaymentID, "payment %d", i)
		if i%2048 == 0 {
			// Live heap only: what the server holds for the stream (and the
			// client for its decoding), not garbage awaiting collection.
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	require.Equal(t, len(want), i, "every payment")
	for _, tok := range []json.Token{json.Delim(']'), "hasMore", false, "nextCursor", nil, json.Delim('}')} {
		got, err := dec.Token()
		require.NoError(t, err)
		require.Equal(t, tok, got)
	}
	_, err = dec.Token()
	require.ErrorIs(t, err, io.EOF)

	require.Equal(t, int64(1), counter.all.Load(), "one query")
	require.Zero(t, counter.finds.Load(), "no pages")
	// The live heap is sampled while other goroutines of the package (closing
	// servers, finalizers) come and go, so it varies from run to run: seen from
	// 1.3 to 14 MB of growth. A list held in memory would grow by more than the
	// body itself (50 MB at 100k payments, plus the decoded payments).
	const bound = 16 << 20
	growth := int64(peak) - int64(base)
	t.Logf("%d payments, %d bytes of body, live heap grew by at most %d bytes", n, body.n, growth)
	require.Less(t, growth, int64(bound), "the heap stays flat while the body streams")
	if n >= 100_000 {
		require.Greater(t, body.n, int64(3*bound), "the bound is far under the body's size")
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// insertDeposits writes n processing deposits to the demo payee, each with its
// pending transfer from the world and the balances to match, straight through
// the Store in transactions of 10,000, and returns their ids oldest first
// (after the demo's own funding deposits).
func insertDeposits(tb testing.TB, d *demoServer, n int) []string {
	tb.Helper()
	ctx := context.Background()
	world, err := d.db.FindAccountByCode(ctx, demoTenantID, "world", "USD")
	require.NoError(tb, err)
	payee, err := d.db.FindAccountByID(ctx, demoTenantID, demoPayeeAccount)
	require.NoError(tb, err)
	ids := paymentIDs(tb, d.mustDo(200, "GET", "/gigpay/api/v1/payments", "", "Authorization", gigPayAuth).Body)
	const batch = 10_000
	for start := 0; start < n; start += batch {
		err := d.db.InTx(ctx, func(tx paykit.Tx) error {
			var sum int64
			for i := start; i < min(start+batch, n); i++ {
				at := epoch.Add(time.Duration(i+1) * time.Millisecond)
				amount := paykit.MoneyFromMinor(int64(100+i%1000), "USD")
				p := &paykit.Payment{ID: uuid.Must(uuid.NewV7()).String(), TenantID: demoTenantID,
					Type: paykit.PaymentTypeDeposit, Status: paykit.PaymentStatusProcessing, Amount: amount,
					Source:      paykit.Party{ExternalStorage: "wire"},
					Destination: paykit.Party{AccountID: payee.ID, UserIdentityID: payee.UserIdentityID},
					TransferID:  uuid.Must(uuid.NewV7()).String(), SubmittedAt: &at, CreatedAt: at, UpdatedAt: at}
				err := tx.CreateTransfer(ctx, &paykit.Transfer{ID: p.TransferID, TenantID: demoTenantID,
					DebitAccountID: world.ID, CreditAccountID: payee.ID, Amount: amount.Minor(), Currency: "USD",
					Status: paykit.TransferStatusPending, Kind: "payment", Ref: p.ID, CreatedAt: at, UpdatedAt: at})
				if err != nil {
					return err
				}
				if err := tx.CreatePayment(ctx, p); err != nil {
					return err
				}
				sum += amount.Minor()
				ids = append(ids, p.ID)
			}
			now := d.clock.Now()
			if err := tx.UpdateAccountBalances(ctx, demoTenantID, world.ID, paykit.BalanceDelta{DebitsPending: sum}, now); err != nil {
				return err
			}
			return tx.UpdateAccountBalances(ctx, demoTenantID, payee.ID, paykit.BalanceDelta{CreditsPending: sum}, now)
		})
		require.NoError(tb, err)
	}
	return ids
}

// Bullet 2: an *AtUtc without an offset, as a .NET client sends a DateTime of
// unspecified kind, is UTC.
func TestGigPay_TimesWithoutOffsetAreUTC(t *testing.T) {
	d := mustDemo(t)
	for _, in := range []string{
		"2030-01-09T18:00:56.246",     // the doc's example without its Z
		"2030-01-09T18:00:56.2460000", // .NET's round-trip format of an unspecified DateTime
		"2030-01-09T18:00:56.246Z",
		"2030-01-09T19:00:56.246+01:00",
	} {
		tok := d.mustToken("1", `,"expiresAtUtc":"`+in+`"`)
		require.Equal(t, `"2030-01-09T18:00:56.246Z"`, string(tok["expiresAtUtc"]), in)
	}
	batch := d.gigPay(201, "POST", "/payment-tokens/batch", `{"tokens":[{"assetType":"usd","sourceAccountId":"`+
		demoBusinessAccount+`","amount":1,"expiresAtUtc":"2030-01-09T18:00:56.246"}]}`)
	require.Contains(t, string(batch["data"]), `"expiresAtUtc":"2030-01-09T18:00:56.246Z"`)

	// The list's time filters read them alike.
	d.clock.Add(time.Minute)
	d.gigPay(201, "POST", "/deposits", `{"destinationAccountId":"`+demoPayeeAccount+`","amount":1,"assetType":"usd"}`)
	r := d.mustDo(200, "GET", "/gigpay/api/v1/payments?createdFrom=2026-01-09T12:00:30", "", "Authorization", gigPayAuth)
	require.Len(t, paymentIDs(t, r.Body), 1)
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?createdUntil="+url.QueryEscape("2026-01-09 12:00:30"), "", "Authorization", gigPayAuth)
	require.Len(t, paymentIDs(t, r.Body), 2) // the demo's own

	// What is not a date-time is still a 400 naming the field.
	r = d.mustDo(400, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+
		demoBusinessAccount+`","amount":1,"expiresAtUtc":"2030-01-09"}`, "Authorization", gigPayAuth)
	require.Contains(t, string(r.Body), `"expiresAtUtc"`)
}

// utcMillis is GigPay's time on the wire, as its document shows it.
var utcMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// requireMillis requires every *AtUtc string in v, at any depth, to be a UTC
// time to the millisecond, and returns how many it saw.
func requireMillis(tb testing.TB, v any) int {
	tb.Helper()
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && strings.HasSuffix(k, "AtUtc") {
				require.Regexp(tb, utcMillis, s, k)
				n++
			} else {
				n += requireMillis(tb, x)
			}
		}
	case []any:
		for _, x := range v {
			n += requireMillis(tb, x)
		}
	}
	return n
}

// gigPayObjects returns every GigPay object the demo shows after a token is
// created and accepted, and its payment completes: token, accept response,
// payment, list, accounts.
func gigPayObjects(t *testing.T, d *demoServer, tokenExtra string) map[string]any {
	tok := d.mustToken("1", tokenExtra)
	acc := d.gigPay(200, "POST", "/payment-tokens/"+unquote(t, tok["token"])+"/accept",
		`{"destinationAccountId":"`+demoPayeeAccount+`"}`)
	var accepted struct{ Payment struct{ PaymentID string } }
	raw, err := json.Marshal(acc)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &accepted))
	d.mustDo(200, "POST", "/sandbox/payments/"+accepted.Payment.PaymentID+"/complete", "", "Authorization", gigPayAuth)
	out := map[string]any{}
	for name, path := range map[string]string{
		"token":    "/gigpay/api/v1/payment-tokens/" + unquote(t, tok["token"]),
		"payment":  "/gigpay/api/v1/payments/" + accepted.Payment.PaymentID,
		"list":     "/gigpay/api/v1/payments",
		"page":     "/gigpay/api/v1/payments?limit=10",
		"business": "/gigpay/api/v1/accounts/" + demoBusinessAccount,
		"payee":    "/gigpay/api/v1/accounts/" + demoPayeeAccount,
	} {
		var v any
		require.NoError(t, json.Unmarshal(d.mustDo(200, "GET", path, "", "Authorization", gigPayAuth).Body, &v))
		out[name] = v
	}
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	out["accepted"] = v
	return out
}

// Bullet 3: times on the wire to the millisecond, as the doc shows them
// (2024-01-09T19:19:27.693Z), even when the clock has a finer part.
func TestGigPay_TimesToTheMillisecond(t *testing.T) {
	d := mustDemo(t)
	d.clock.Add(123456789 * time.Nanosecond)
	tok := d.mustToken("1", `,"expiresAtUtc":"2030-01-09T18:00:56.2467891Z"`)
	require.Equal(t, `"2026-01-09T12:00:00.123Z"`, string(tok["createdAtUtc"]))
	require.Equal(t, `"2030-01-09T18:00:56.246Z"`, string(tok["expiresAtUtc"]), "truncated, never later than the real time")
	d.clock.Add(time.Microsecond)
	objs := gigPayObjects(t, d, "")
	require.Greater(t, requireMillis(t, objs), 20)

	// A createdAtUtc given back as createdFrom finds its payment.
	var list struct {
		Data []struct{ PaymentID, CreatedAtUTC string }
	}
	r := d.mustDo(200, "GET", "/gigpay/api/v1/payments?sort=-createdAt&limit=1", "", "Authorization", gigPayAuth)
	require.NoError(t, json.Unmarshal(r.Body, &list))
	newest := list.Data[0]
	r = d.mustDo(200, "GET", "/gigpay/api/v1/payments?createdFrom="+newest.CreatedAtUTC, "", "Authorization", gigPayAuth)
	require.Equal(t, []string{newest.PaymentID}, paymentIDs(t, r.Body))
}

// requireNoEmptyStrings requires that no string in v, at any depth, is "".
func requireNoEmptyStrings(tb testing.TB, v any, path string) {
	tb.Helper()
	switch v := v.(type) {
	case string:
		require.NotEmpty(tb, v, "%s is \"\", not null", path)
	case map[string]any:
		for k, x := range v {
			requireNoEmptyStrings(tb, x, path+"."+k)
		}
	case []any:
		for i, x := range v {
			requireNoEmptyStrings(tb, x, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// Bullet 4: "Empty values are null": an absent or empty memo, and every other
// optional string of GigPay's objects, is null, never "".
func TestGigPay_EmptyValuesAreNull(t *testing.T) {
	for _, extra := range []string{``, `,"memo":""`, `,"memo":null`} {
		t.Run("memo"+extra, func(t *testing.T) {
			d := mustDemo(t)
			tok := d.mustToken("1", extra)
			require.Equal(t, `null`, string(tok["memo"]))
			objs := gigPayObjects(t, d, extra)
			requireNoEmptyStrings(t, objs, "")
			var token struct{ Memo *string }
			raw, err := json.Marshal(objs["token"])
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &token))
			require.Nil(t, token.Memo)
		})
	}
	d := mustDemo(t)
	tok := d.mustToken("1", `,"memo":"string"`)
	require.Equal(t, `"string"`, string(tok["memo"]))
}

// Bullet 5: the demo's businessAccountId and userIdentityId are UUIDs, as in
// the doc's examples, so a client that types them as Guid parses them.
func TestGigPay_DemoOwnersAreUUIDs(t *testing.T) {
	d := mustDemo(t)
	requireUUID := func(raw json.RawMessage, what string) {
		t.Helper()
		s := unquote(t, raw)
		u, err := uuid.Parse(s)
		require.NoError(t, err, "%s %q", what, s)
		require.Equal(t, s, u.String(), "%s in the canonical 8-4-4-4-12 form", what)
	}
	biz := d.gigPay(200, "GET", "/accounts/"+demoBusinessAccount, "")
	requireUUID(biz["id"], "business account id")
	requireUUID(biz["businessAccountId"], "businessAccountId")
	payee := d.gigPay(200, "GET", "/accounts/"+demoPayeeAccount, "")
	requireUUID(payee["id"], "payee account id")
	requireUUID(payee["userIdentityId"], "userIdentityId")

	// And in the payments that name them.
	tok := d.mustToken("1", "")
	acc := d.gigPay(200, "POST", "/payment-tokens/"+unquote(t, tok["token"])+"/accept",
		`{"destinationAccountId":"`+demoPayeeAccount+`"}`)
	var p struct {
		Source      map[string]json.RawMessage
		Destination map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(acc["payment"], &p))
	requireUUID(p.Source["businessAccountId"], "source.businessAccountId")
	requireUUID(p.Destination["userIdentityId"], "destination.userIdentityId")
}
