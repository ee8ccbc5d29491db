package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// seedPaymentKeys are the keys of the seed's payment object, in its order.
var seedPaymentKeys = []string{"id", "fid", "team", "owner", "billingAccount", "amount", "currency", "status",
	"internalStatus", "client", "clientId", "items", "discount", "exchange", "payment_form", "processor",
	"custom_method_types", "automations", "invoices", "metadata", "from", "timestamp", "created", "succeededTimestamp",
	"livemode", "shortURL", "shortUrl", "token", "hasStripe", "paymentIntent", "client_secret", "stripeGenerated",
	"payment_method_options"}

// keys returns the top-level keys of a JSON object, in order.
func keys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(tb, err)
	require.Equal(tb, json.Delim('{'), tok)
	var out []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(tb, err)
		out = append(out, k.(string))
		var skip json.RawMessage
		require.NoError(tb, dec.Decode(&skip))
	}
	return out
}

// gigstackData is the data of a gigstack envelope, by key, and its raw JSON.
func gigstackData(tb testing.TB, r response) (map[string]json.RawMessage, json.RawMessage) {
	tb.Helper()
	var env struct {
		Data    json.RawMessage `json:"data"`
		Message string          `json:"message"`
		Next    json.RawMessage `json:"next"`
	}
	require.NoError(tb, json.Unmarshal(r.Body, &env), "%s", r.Body)
	require.Equal(tb, []string{"data", "message", "next"}, keys(tb, r.Body))
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(env.Data, &m))
	return m, env.Data
}

// TestDemo_GigstackSeed sends every request body of the gigstack seed, as
// written, to the demo server, and checks the documented response: the
// payment object's keys in order, the amount in cents, the team, and the
// transfer_data of the split billing examples.
func TestDemo_GigstackSeed(t *testing.T) {
	d := mustDemo(t)
	auth := []string{"Authorization", "Bearer demo"}
	for _, tc := range []struct {
		name, body, team, amount, status, transferData string
	}{
		{"Basic", seedBasic, "demo", "150000", "requires_payment_method", ""},
		{"Advanced", seedAdvanced, "demo", "150000", "requires_payment_method", ""},
		{"MasterTeam", seedMasterTeam, "team_9ZwE3pF8qKmJ7xL", "500000", "requires_payment_method", ""},
		{"Connect", seedConnect, "demo", "1000000", "requires_payment_method",
			`{"destination":"team_connectPartner123","split":90,"splitType":{"master":"client","connect":"client"}}`},
		{"Paid", seedPaid, "demo", "2500000", "succeeded", ""},
		{"MasterTeamExample", seedMasterExample, "team_subsidiary123", "250000", "requires_payment_method", ""},
		{"SplitExample", seedSplitExample, "demo", "1000000", "requires_payment_method",
			`{"destination":"team_vendor456","split":90,"splitType":{"master":"client","connect":"client"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := d.mustDo(200, "POST", "/gigstack/v2/payments", tc.body, auth...)
			p, raw := gigstackData(t, r)
			want := seedPaymentKeys
			if tc.transferData != "" {
				want = append(append([]string{}, seedPaymentKeys...), "transfer_data")
				require.JSONEq(t, tc.transferData, string(p["transfer_data"]))
			}
			require.Equal(t, want, keys(t, raw))
			require.Equal(t, tc.amount, string(p["amount"]))
			require.Equal(t, `"`+tc.status+`"`, string(p["status"]))
			require.Equal(t, `"`+tc.team+`"`, string(p["team"]))
			require.Equal(t, `"demo"`, string(p["owner"]))
			require.Equal(t, `"ba_xzpRdFw2KSmVtQm"`, string(p["billingAccount"]))
			require.Equal(t, `"MXN"`, string(p["currency"]))
			require.True(t, strings.HasPrefix(string(p["shortURL"]), `"http://127.0.0.1:8080/gigstack/pay/`), "%s", p["shortURL"]) // under -public-url

			// GET by id returns it, for its team.
			id := strings.Trim(string(p["id"]), `"`)
			path := "/gigstack/v2/payments/" + id
			if tc.team != "demo" {
				path += "?team=" + tc.team
			}
			g, graw := gigstackData(t, d.mustDo(200, "GET", path, "", auth...))
			require.JSONEq(t, string(raw), string(graw))
			require.Equal(t, p["id"], g["id"])
		})
	}
	// The advanced example's client was created, and its internalId is taken.
	r := d.mustDo(409, "POST", "/gigstack/v2/payments", seedAdvanced, auth...)
	require.Contains(t, string(r.Body), `"metadata.internalId"`)

	// The list, as the seed's cURL section filters it.
	r = d.mustDo(200, "GET", "/gigstack/v2/payments?limit=10&status=requires_payment_method&clientId=client_7kL2mX9pNqR4eWs&rfc=ROSM850315QT8", "", auth...)
	require.Equal(t, []string{"data", "message", "totalResults", "hasMore", "next"}, keys(t, r.Body))
	var list struct {
		Data         []json.RawMessage `json:"data"`
		TotalResults int               `json:"totalResults"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &list))
	require.Equal(t, 2, list.TotalResults) // Basic and Connect; Advanced has its own client, Paid succeeded
	require.Equal(t, []string{"id", "amount", "status", "clientId", "currency", "timestamp", "client", "shortURL"}, keys(t, list.Data[0]))
}

// TestDemo_GigstackSplitAndWebhook: the split example succeeds through the
// hosted page's sandbox pay; the ledger gives the vendor 90 % and the demo
// master 10 %; a webhook receiver gets payment.succeeded, signed.
func TestDemo_GigstackSplitAndWebhook(t *testing.T) {
	d := mustDemo(t, allowPrivate)
	auth := []string{"Authorization", "Bearer demo"}
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get("X-Gigstack-Signature"))
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	wh, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/webhooks",
		`{"url":"`+rcv.URL+`","events":["payment.succeeded"]}`, auth...))
	var secret string
	require.NoError(t, json.Unmarshal(wh["secret"], &secret))

	p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments", seedSplitExample, auth...))
	var link string
	require.NoError(t, json.Unmarshal(p["shortURL"], &link))
	page := d.submit(link, "pay-form") // the client follows the 303 back to the page
	require.Equal(t, 200, page.Status)
	require.Contains(t, string(page.Body), "10,000.00 MXN")
	require.Contains(t, string(page.Body), "Pagado")
	d.runDue()

	sales := func(tenant string) int64 {
		as, err := d.svc.FindAccounts(context.Background(), tenant, paykit.AccountFilter{})
		require.NoError(t, err)
		for _, a := range as {
			if a.Code == "sales" {
				return a.Balance().Minor()
			}
		}
		return 0
	}
	require.Equal(t, int64(100000), sales(demoTenantID))
	require.Equal(t, int64(900000), sales("team_vendor456"))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 1)
	require.NoError(t, signing.VerifyGigstack(sigs[0], bodies[0], secret))
	var ev struct {
		Event string                     `json:"event"`
		Data  map[string]json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(bodies[0], &ev))
	require.Equal(t, "payment.succeeded", ev.Event)
	require.Equal(t, p["id"], ev.Data["id"])
	require.Equal(t, "1000000", string(ev.Data["amount"]))
	require.Equal(t, `"succeeded"`, string(ev.Data["status"]))
}

// TestDemo_GigstackSeedIdempotent: seeding twice changes nothing.
func TestDemo_GigstackSeedIdempotent(t *testing.T) {
	d := mustDemo(t)
	ctx := context.Background()
	before, err := d.svc.FindEvents(ctx, demoTenantID, paykit.EventFilter{Limit: paykit.MaxLimit})
	require.NoError(t, err)
	require.NoError(t, seedDemo(ctx, d.svc, "demo"))
	after, err := d.svc.FindEvents(ctx, demoTenantID, paykit.EventFilter{Limit: paykit.MaxLimit})
	require.NoError(t, err)
	for _, ev := range after[len(before):] {
		require.NotRegexp(t, `^(team|client|payment)\.`, ev.Type) // the other dialects' seeds are theirs
	}
	for _, tn := range []string{"team_vendor456", "team_9ZwE3pF8qKmJ7xL"} {
		evs, err := d.svc.FindEvents(ctx, tn, paykit.EventFilter{})
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		require.NoError(t, seedDemo(ctx, d.svc, "demo"))
		again, err := d.svc.FindEvents(ctx, tn, paykit.EventFilter{})
		require.NoError(t, err)
		require.Len(t, again, len(evs))
	}
}
