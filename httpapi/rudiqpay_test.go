package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/sandbox"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// The RudiqPay test world's fixed ids.
const (
	rqNetwork  = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	rqCurrency = "a3bb189e-8bf9-3888-9912-ace4e6543002"
	rqContract = "0b7c7d46-5b26-4b5e-9d3c-1f2f4c8b9a10"
	rqRoot     = "550e8400-e29b-41d4-a716-446655440000"
	rqShop     = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	rqOther    = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
	rqToken    = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
	rqPayee    = "0x71C7656EC7ab88b098defB751B7401B5f6d8976F"
	rqOwnerKey = "rq-owner" // the tenant's key: every node
	rqShopKey  = "rq-shop"  // an integration of rqShop
)

// rqEnv is a Service on a SQLite file with a sandbox chain, the RudiqPay
// dialect at /rudiqpay and its sandbox at /sandbox/rudiqpay, and a tenant
// whose tree is rqRoot with the children rqShop and rqOther.
type rqEnv struct {
	tb      testing.TB
	Clock   *clock.Mock
	Service *paykit.Service
	Chain   *sandbox.Chain
	Handler http.Handler
}

func mustRQ(tb testing.TB, opts ...sandbox.Option) *rqEnv {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(start)
	ch := sandbox.New(append([]sandbox.Option{sandbox.WithClock(clk)}, opts...)...)
	svc := paykit.New(db, paykit.WithClock(clk), paykit.WithChain(rqNetwork, ch))
	tb.Cleanup(func() {
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	mux := http.NewServeMux()
	mux.Handle("/rudiqpay/", http.StripPrefix("/rudiqpay", httpapi.NewRudiqPay(svc)))
	mux.Handle("/sandbox/rudiqpay/", http.StripPrefix("/sandbox/rudiqpay",
		httpapi.NewRudiqPaySandbox(svc, map[string]httpapi.RudiqPaySandboxChain{rqNetwork: ch})))

	ctx := context.Background()
	_, err = svc.CreateNetwork(ctx, paykit.NetworkCreate{ID: rqNetwork, ChainID: sandbox.DefaultChainID, Name: "Sandbox"})
	require.NoError(tb, err)
	_, err = svc.CreateChainCurrency(ctx, paykit.ChainCurrencyCreate{ID: rqCurrency, NetworkID: rqNetwork, Symbol: "USDT",
		TokenAddress: rqToken, Decimals: 6})
	require.NoError(tb, err)
	_, err = svc.CreateChainContract(ctx, paykit.ChainContractCreate{ID: rqContract, NetworkID: rqNetwork, Address: sandbox.DefaultContract})
	require.NoError(tb, err)
	_, err = svc.CreateTenant(ctx, "acme", "Acme")
	require.NoError(tb, err)
	for _, n := range []paykit.NodeCreate{{ID: rqRoot, Name: "Acme"}, {ID: rqShop, ParentID: rqRoot, Name: "Shop"},
		{ID: rqOther, ParentID: rqRoot, Name: "Other"}} {
		_, err := svc.CreateNode(ctx, "acme", n)
		require.NoError(tb, err)
	}
	_, err = svc.CreateAPIKey(ctx, "acme", rqOwnerKey)
	require.NoError(tb, err)
	_, err = svc.CreateNodeAPIKey(ctx, "acme", rqShop, rqShopKey)
	require.NoError(tb, err)
	_, err = svc.CreateTenant(ctx, "other", "Other")
	require.NoError(tb, err)
	_, err = svc.CreateAPIKey(ctx, "other", "other-key")
	require.NoError(tb, err)
	return &rqEnv{tb: tb, Clock: clk, Service: svc, Chain: ch, Handler: mux}
}

// Do sends a request with the shop's integration key unless headers say
// otherwise.
func (e *rqEnv) Do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, method, path, body, append([]string{"Authorization", "Bearer " + rqShopKey}, headers...)...)
}

func (e *rqEnv) MustDo(want int, method, path, body string, headers ...string) Response {
	e.tb.Helper()
	r := e.Do(method, path, body, headers...)
	require.Equal(e.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// seedBody is a create body with every field of the seed's table, as its
// types say; edit changes the decoded object before it is sent again.
func (e *rqEnv) seedBody(externalID string, edit ...func(map[string]any)) string {
	e.tb.Helper()
	body := `{
  "external_id": "` + externalID + `",
  "node_id": "` + rqShop + `",
  "chain_id": "9b2f6c5e-6d1a-4f7e-8a3b-2c4d5e6f7a8b",
  "network_id": "` + rqNetwork + `",
  "wallet_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
  "member_id": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
  "member": {"external_id": "m-1", "name": "Ada", "surname": "Lovelace", "email": "ada@example.com"},
  "currency_id": "` + rqCurrency + `",
  "price": 100.0,
  "paid_price": 100.0,
  "payment_method": "web3",
  "payment_group": "product",
  "payment_address": "` + rqPayee + `",
  "items": [{"name": "Pro plan", "price": 100.0, "external_id": "item-1"}],
  "metadata": "{\"order\":42}",
  "expires_at": "` + e.Clock.Now().Add(time.Hour).Format(time.RFC3339) + `",
  "retry": false,
  "retry_count": 0,
  "client_ip": "203.0.113.7"
}`
	if len(edit) == 0 {
		return body
	}
	var m map[string]any
	require.NoError(e.tb, json.Unmarshal([]byte(body), &m))
	for _, f := range edit {
		f(m)
	}
	b, err := json.Marshal(m)
	require.NoError(e.tb, err)
	return string(b)
}

// create creates a payment and returns its JSON.
func (e *rqEnv) create(externalID string, edit ...func(map[string]any)) map[string]json.RawMessage {
	e.tb.Helper()
	return e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody(externalID, edit...)).JSON(e.tb)
}

func (e *rqEnv) runDue() {
	e.tb.Helper()
	require.NoError(e.tb, e.Service.RunDue(context.Background()))
}

func (e *rqEnv) status(id string) string {
	e.tb.Helper()
	return str(e.tb, e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id, "").JSON(e.tb)["status"])
}

// total returns how many payments the node has, and how many events the
// tenant has: what a refused create must leave as it was.
func (e *rqEnv) written() string {
	e.tb.Helper()
	l := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop, "").JSON(e.tb)
	evs, err := e.Service.FindEvents(context.Background(), "acme", paykit.EventFilter{Limit: paykit.MaxLimit})
	require.NoError(e.tb, err)
	return fmt.Sprintf("%s payments, %d events", l["total"], len(evs))
}

func TestRudiqPay_Create(t *testing.T) {
	e := mustRQ(t)
	r := e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody("order-1"))
	require.Equal(t, []string{"id", "external_id", "node_id", "chain_id", "network_id", "wallet_id", "member_id", "member",
		"member.email", "member.external_id", "member.name", "member.surname", "currency_id", "currency", "price",
		"paid_price", "payment_method", "payment_group", "payment_address", "items", "items.[]name", "items.[]price",
		"items.[]external_id", "metadata", "expires_at", "retry", "retry_count", "client_ip", "status", "deal_id",
		"transaction_hash", "failure_reason", "access_token", "created_at", "updated_at"}, objectKeys(t, r.Body))
	p := r.JSON(t)
	require.Equal(t, `"pending"`, string(p["status"]))
	require.Equal(t, `100`, string(p["price"]))
	require.Equal(t, `"USDT"`, string(p["currency"]))
	require.Equal(t, `1`, string(p["deal_id"]))
	require.Equal(t, `null`, string(p["transaction_hash"]))
	require.Equal(t, `"{\"order\":42}"`, string(p["metadata"]))
	token := str(t, p["access_token"])
	require.True(t, strings.HasPrefix(token, "at_"))

	got := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+str(t, p["id"]), "").JSON(t)
	require.Equal(t, token, str(t, got["access_token"]))

	t.Run("Conflict", func(t *testing.T) {
		r := e.MustDo(409, "POST", "/rudiqpay/api/v1/payments", e.seedBody("order-1"))
		require.JSONEq(t, `{"error":{"code":"conflict","message":"The node has a payment with this external id.",
			"fields":{"external_id":"The node has a payment with this external id."}}}`, string(r.Body))
	})
	t.Run("NotFound", func(t *testing.T) {
		for field, id := range map[string]string{"node_id": "00000000-0000-4000-8000-000000000000",
			"currency_id": "00000000-0000-4000-8000-000000000000", "network_id": "00000000-0000-4000-8000-000000000000"} {
			r := e.MustDo(404, "POST", "/rudiqpay/api/v1/payments", e.seedBody("nf", func(m map[string]any) { m[field] = id }))
			require.Contains(t, string(r.JSON(t)["error"]), `"`+field+`"`)
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		r := e.MustDo(403, "POST", "/rudiqpay/api/v1/payments", e.seedBody("f", func(m map[string]any) { m["node_id"] = rqOther }))
		require.Contains(t, string(r.Body), `"code":"forbidden"`)
		// The owner's key reaches every node.
		e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody("f", func(m map[string]any) { m["node_id"] = rqOther }),
			"Authorization", "Bearer "+rqOwnerKey)
	})
	t.Run("Unauthorized", func(t *testing.T) {
		for _, h := range []string{"", "Bearer nope", "Basic cnEtc2hvcDo=", "Bearer other-key"} {
			r := e.Do("POST", "/rudiqpay/api/v1/payments", e.seedBody("u"), "Authorization", h)
			if h == "Bearer other-key" {
				// Another tenant's key: its tenant has no such node.
				require.Equal(t, 404, r.Status, "%s", r.Body)
				continue
			}
			require.Equal(t, 401, r.Status, "%q: %s", h, r.Body)
			require.Contains(t, string(r.Body), `"code":"unauthorized"`)
			require.Equal(t, `Bearer realm="rudiqpay"`, r.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("UpperCaseEnums", func(t *testing.T) {
		p := e.create("upper", func(m map[string]any) { m["payment_method"], m["payment_group"] = "WEB3", "LISTING_OR_SUBSCRIPTION" })
		require.Equal(t, `"listing_or_subscription"`, string(p["payment_group"]))
	})
}

// TestRudiqPay_Validation: each bad field is a 400 naming it, and nothing is
// written.
func TestRudiqPay_Validation(t *testing.T) {
	e := mustRQ(t)
	before := e.written()
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	past := e.Clock.Now().Add(-time.Second).Format(time.RFC3339)
	for _, tt := range []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"external_id missing", del("external_id"), "external_id"},
		{"external_id blank", set("external_id", "  "), "external_id"},
		{"external_id long", set("external_id", strings.Repeat("x", 256)), "external_id"},
		{"node_id missing", del("node_id"), "node_id"},
		{"node_id not a uuid", set("node_id", "shop"), "node_id"},
		{"network_id missing", del("network_id"), "network_id"},
		{"network_id not a uuid", set("network_id", "1"), "network_id"},
		{"currency_id missing", del("currency_id"), "currency_id"},
		{"chain_id not a uuid", set("chain_id", "eth"), "chain_id"},
		{"wallet_id not a uuid", set("wallet_id", "w"), "wallet_id"},
		{"member_id not a uuid", set("member_id", "m"), "member_id"},
		{"price missing", del("price"), "price"},
		{"price zero", set("price", 0), "price"},
		{"price negative", set("price", -1), "price"},
		{"price a string", set("price", "100"), "price"},
		{"price too many decimals", set("price", 1.0000001), "price"},
		{"paid_price missing", del("paid_price"), "paid_price"},
		{"paid_price too many decimals", set("paid_price", 0.0000001), "paid_price"},
		{"payment_method missing", del("payment_method"), "payment_method"},
		{"payment_method unknown", set("payment_method", "cash"), "payment_method"},
		{"payment_group missing", del("payment_group"), "payment_group"},
		{"payment_group unknown", set("payment_group", "service"), "payment_group"},
		{"payment_address missing", del("payment_address"), "payment_address"},
		{"payment_address short", set("payment_address", "0x12345"), "payment_address"},
		{"payment_address not an address for web3", set("payment_address", "TR330006100519786457841326"), "payment_address"},
		{"expires_at missing", del("expires_at"), "expires_at"},
		{"expires_at not rfc 3339", set("expires_at", "2030-01-09 18:00"), "expires_at"},
		{"expires_at past", set("expires_at", past), "expires_at"},
		{"expires_at now", set("expires_at", e.Clock.Now().Format(time.RFC3339)), "expires_at"},
		{"client_ip v6", set("client_ip", "2001:db8::1"), "client_ip"},
		{"client_ip junk", set("client_ip", "localhost"), "client_ip"},
		{"metadata an object", set("metadata", map[string]any{"order": 42}), "metadata"},
		{"member not an object", set("member", "Ada"), "member"},
		{"member email", set("member", map[string]any{"email": "ada"}), "member.email"},
		{"items not a list", set("items", "x"), "items"},
		{"item without a name", set("items", []any{map[string]any{"price": 1}}), "items[0].name"},
		{"item without a price", set("items", []any{map[string]any{"name": "x"}}), "items[0].price"},
		{"item price too many decimals", set("items", []any{map[string]any{"name": "x", "price": 1}, map[string]any{"name": "y", "price": 0.0000001}}), "items[1].price"},
		{"retry_count negative", set("retry_count", -1), "retry_count"},
		{"retry not a bool", set("retry", "yes"), "retry"},
		{"unknown field", set("amount", 1), "amount"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.MustDo(400, "POST", "/rudiqpay/api/v1/payments", e.seedBody("v", tt.edit))
			var body struct {
				Error struct {
					Code   string
					Fields map[string]string
				}
			}
			require.NoError(t, json.Unmarshal(r.Body, &body), "%s", r.Body)
			require.Equal(t, "bad_request", body.Error.Code)
			require.Contains(t, body.Error.Fields, tt.field, "%s", r.Body)
			require.Equal(t, before, e.written())
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		e.MustDo(400, "POST", "/rudiqpay/api/v1/payments", `{"external_id":`)
		require.Equal(t, before, e.written())
	})
}

// TestRudiqPay_CreateRace: 50 identical creates at once make one payment:
// one 201 and 49 409.
func TestRudiqPay_CreateRace(t *testing.T) {
	e := mustRQ(t)
	body := e.seedBody("race")
	statuses := make([]int, 50)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = serve(e.Handler, "POST", "/rudiqpay/api/v1/payments", body, "Authorization", "Bearer "+rqShopKey).Status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	require.Equal(t, map[int]int{201: 1, 409: 49}, count)
	require.Equal(t, `1`, string(e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop, "").JSON(t)["total"]))
}

func TestRudiqPay_List(t *testing.T) {
	e := mustRQ(t)
	wallet := "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"
	for i := range 12 {
		e.create(fmt.Sprintf("o-%02d", i), func(m map[string]any) {
			if i%3 != 0 {
				delete(m, "wallet_id")
			}
		})
		e.Clock.Add(time.Second)
	}
	r := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop, "")
	var l struct {
		Items   []rqItem
		Page    int
		PerPage int `json:"per_page"`
		Total   int
	}
	require.NoError(t, json.Unmarshal(r.Body, &l))
	require.ElementsMatch(t, []string{"items", "page", "per_page", "total"}, mapKeys(r.JSON(t)))
	require.Len(t, l.Items, 10, "per_page defaults to 10")
	require.Equal(t, "o-11", l.Items[0].ExternalID, "newest first")
	require.Equal(t, 12, l.Total)

	r = e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop+"&page=2&per_page=5", "")
	require.NoError(t, json.Unmarshal(r.Body, &l))
	require.Equal(t, []string{"o-06", "o-05", "o-04", "o-03", "o-02"}, externalIDs(l.Items))
	require.Equal(t, 2, l.Page)
	require.Equal(t, 5, l.PerPage)

	r = e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop+"&wallet_id="+wallet+"&network_id="+rqNetwork, "")
	require.NoError(t, json.Unmarshal(r.Body, &l))
	require.Equal(t, 4, l.Total)

	for q, field := range map[string]string{"": "node_id", "node_id=" + rqShop + "&per_page=101": "per_page",
		"node_id=" + rqShop + "&per_page=0": "per_page", "node_id=" + rqShop + "&page=0": "page", "node_id=" + rqShop + "&page=x": "page"} {
		r := e.MustDo(400, "GET", "/rudiqpay/api/v1/payments?"+q, "")
		require.Contains(t, string(r.Body), `"`+field+`"`, q)
	}
	e.MustDo(403, "GET", "/rudiqpay/api/v1/payments?node_id="+rqRoot, "")
	e.MustDo(200, "GET", "/rudiqpay/api/v1/payments?node_id="+rqRoot, "", "Authorization", "Bearer "+rqOwnerKey)
	e.MustDo(404, "GET", "/rudiqpay/api/v1/payments?node_id="+rqShop, "", "Authorization", "Bearer other-key")
}

type rqItem struct {
	ExternalID string `json:"external_id"`
}

func externalIDs(items []rqItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ExternalID)
	}
	return out
}

func withoutABI(keys []string) []string {
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, "contract.abi.") {
			out = append(out, k)
		}
	}
	return out
}

func mapKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRudiqPay_Flow: create → deal on the sandbox chain → the payer deposits
// with exactly the widget's arguments → completed with transaction_hash; the
// logs tell it newest first.
func TestRudiqPay_Flow(t *testing.T) {
	e := mustRQ(t)
	p := e.create("order-1")
	id, token := str(t, p["id"]), str(t, p["access_token"])
	e.runDue()
	require.Equal(t, "processing", e.status(id))

	w := e.MustDo(200, "GET", "/rudiqpay/api/v1/widget/payments/"+id, "", "Authorization", "Bearer "+token)
	require.Equal(t, []string{"payment_id", "external_id", "node_id", "network_id", "deal_id", "price", "price_decimals",
		"payment_address", "diamond_address", "currency", "token_address", "contract", "contract.abi", "contract.function_name",
		"contract.arguments", "status", "expires_at"}, withoutABI(objectKeys(t, w.Body)))
	wj := w.JSON(t)
	require.Equal(t, fmt.Sprint(sandbox.DefaultChainID), string(wj["network_id"]))
	require.Equal(t, `1`, string(wj["deal_id"]))
	require.Equal(t, `100`, string(wj["price"]))
	require.Equal(t, `6`, string(wj["price_decimals"]))
	require.Equal(t, `"`+sandbox.DefaultContract+`"`, string(wj["diamond_address"]))
	require.Equal(t, `"`+rqToken+`"`, string(wj["token_address"]))
	require.Equal(t, `"USDT"`, string(wj["currency"]))
	var contract struct {
		ABI          []map[string]any `json:"abi"`
		FunctionName string           `json:"function_name"`
		Arguments    []string         `json:"arguments"`
	}
	require.NoError(t, json.Unmarshal(wj["contract"], &contract))
	require.Equal(t, "deposit", contract.FunctionName)
	require.Equal(t, []string{"1", "100000000"}, contract.Arguments)
	require.NotEmpty(t, contract.ABI)

	tx, err := e.Chain.Deposit("0x00000000000000000000000000000000000000c3", contract.Arguments...)
	require.NoError(t, err)
	e.runDue()
	got := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id, "").JSON(t)
	require.Equal(t, `"completed"`, string(got["status"]))
	require.Equal(t, `"`+tx.Hash+`"`, string(got["transaction_hash"]))

	logs := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id+"/logs?per_page=2", "")
	var l struct {
		Items []struct {
			EventType       string  `json:"event_type"`
			ActorType       string  `json:"actor_type"`
			Message         string  `json:"message"`
			Status          string  `json:"status"`
			TransactionHash *string `json:"transaction_hash"`
		}
		Total int
	}
	require.NoError(t, json.Unmarshal(logs.Body, &l))
	require.Equal(t, 4, l.Total)
	require.Equal(t, "completed", l.Items[0].EventType)
	require.Equal(t, "chain", l.Items[0].ActorType)
	require.Equal(t, tx.Hash, *l.Items[0].TransactionHash)
	require.Equal(t, "deal_created", l.Items[1].EventType)
	logs = e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id+"/logs?per_page=2&page=2", "")
	require.NoError(t, json.Unmarshal(logs.Body, &l))
	require.Equal(t, []string{"sent_to_consumer", "created"}, []string{l.Items[0].EventType, l.Items[1].EventType})
	require.Equal(t, "integration", l.Items[1].ActorType)
	require.Equal(t, []string{"items.[]id", "items.[]payment_id", "items.[]event_type", "items.[]message", "items.[]actor_type",
		"items.[]status", "items.[]transaction_hash", "items.[]created_at"}, objectKeys(t, logs.Body)[1:9])

	e.MustDo(401, "GET", "/rudiqpay/api/v1/payments/"+id+"/logs", "", "Authorization", "Bearer "+rqShopKey+"x")
	e.MustDo(404, "GET", "/rudiqpay/api/v1/payments/"+id+"/logs", "", "Authorization", "Bearer other-key")
}

func TestRudiqPay_Widget(t *testing.T) {
	e := mustRQ(t)
	p := e.create("order-1")
	q := e.create("order-2")
	id, token := str(t, p["id"]), str(t, p["access_token"])
	widget := func(auth string) Response {
		return e.Do("GET", "/rudiqpay/api/v1/widget/payments/"+id, "", "Authorization", auth)
	}
	require.Equal(t, 200, widget("Bearer "+token).Status)
	for _, auth := range []string{"", "Bearer " + rqShopKey, "Bearer " + str(t, q["access_token"]), "Bearer " + token + "x"} {
		r := widget(auth)
		require.Equal(t, 401, r.Status, "%q: %s", auth, r.Body)
		require.Contains(t, string(r.Body), `"code":"unauthorized"`)
	}
	e.Clock.Add(time.Hour - time.Second)
	require.Equal(t, 200, widget("Bearer "+token).Status)
	e.Clock.Add(time.Second)
	r := widget("Bearer " + token)
	require.Equal(t, 401, r.Status, "expired with the payment: %s", r.Body)
	require.Contains(t, string(r.Body), "expired")
}

func TestRudiqPay_Cancel(t *testing.T) {
	e := mustRQ(t, sandbox.WithManualMining())
	id := str(t, e.create("order-1")["id"])
	e.runDue()
	e.Chain.Mine(1)
	e.runDue()
	require.Equal(t, "processing", e.status(id))

	r := e.MustDo(202, "POST", "/rudiqpay/api/v1/payments/"+id+"/cancel", "")
	require.Equal(t, "{\"status\":\"accepted\"}\n", string(r.Body))
	require.Equal(t, "cancelling", e.status(id))
	e.MustDo(202, "POST", "/rudiqpay/api/v1/payments/"+id+"/cancel", "") // again: nothing changes
	e.runDue()                                                           // cancelDeal sent
	require.Equal(t, "cancelling", e.status(id))
	e.Chain.Mine(1)
	e.runDue()
	require.Equal(t, "cancelled", e.status(id))
	e.MustDo(202, "POST", "/rudiqpay/api/v1/payments/"+id+"/cancel", "")

	other := e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody("o", func(m map[string]any) { m["node_id"] = rqOther }),
		"Authorization", "Bearer "+rqOwnerKey).JSON(t)
	r = e.MustDo(403, "POST", "/rudiqpay/api/v1/payments/"+str(t, other["id"])+"/cancel", "")
	require.Contains(t, string(r.Body), `"code":"forbidden"`)
	e.MustDo(403, "GET", "/rudiqpay/api/v1/payments/"+str(t, other["id"]), "")
	e.MustDo(202, "POST", "/rudiqpay/api/v1/payments/"+str(t, other["id"])+"/cancel", "", "Authorization", "Bearer "+rqOwnerKey)
	r = e.MustDo(404, "POST", "/rudiqpay/api/v1/payments/00000000-0000-4000-8000-000000000000/cancel", "")
	require.Contains(t, string(r.Body), `"code":"not_found"`)
	e.MustDo(404, "POST", "/rudiqpay/api/v1/payments/"+id+"/cancel", "", "Authorization", "Bearer other-key")

	expired := str(t, e.create("expired")["id"])
	e.Clock.Add(time.Hour)
	r = e.MustDo(409, "POST", "/rudiqpay/api/v1/payments/"+expired+"/cancel", "")
	require.Contains(t, string(r.Body), `"code":"conflict"`)
}

func TestRudiqPay_RetrySend(t *testing.T) {
	e := mustRQ(t, sandbox.WithManualMining())
	id := str(t, e.create("order-1")["id"])
	r := e.MustDo(400, "POST", "/rudiqpay/api/v1/payments/"+id+"/retry-send", "")
	require.Contains(t, string(r.Body), "not eligible for retry")

	e.Chain.RevertNext()
	e.runDue()
	e.Chain.Mine(1)
	e.Clock.Add(time.Minute) // the next look at the sent creation
	e.runDue()
	p := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id, "").JSON(t)
	require.Equal(t, `"pending"`, string(p["status"]))
	require.Equal(t, `"The deal's creation reverted: Reverted"`, string(p["failure_reason"]))

	p = e.MustDo(200, "POST", "/rudiqpay/api/v1/payments/"+id+"/retry-send", "").JSON(t)
	require.Equal(t, `"pending"`, string(p["status"]))
	require.Equal(t, `true`, string(p["retry"]))
	require.Equal(t, `1`, string(p["retry_count"]))
	require.Equal(t, `null`, string(p["failure_reason"]))
	e.MustDo(400, "POST", "/rudiqpay/api/v1/payments/"+id+"/retry-send", "") // queued already
	e.runDue()
	e.Chain.Mine(1)
	e.runDue()
	require.Equal(t, "processing", e.status(id))
	e.MustDo(400, "POST", "/rudiqpay/api/v1/payments/"+id+"/retry-send", "")
	e.MustDo(404, "POST", "/rudiqpay/api/v1/payments/00000000-0000-4000-8000-000000000000/retry-send", "")

	card := str(t, e.create("card", func(m map[string]any) { m["payment_method"] = "credit_card" })["id"])
	e.MustDo(400, "POST", "/rudiqpay/api/v1/payments/"+card+"/retry-send", "")
	other := e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody("o", func(m map[string]any) { m["node_id"] = rqOther }),
		"Authorization", "Bearer "+rqOwnerKey).JSON(t)
	e.MustDo(403, "POST", "/rudiqpay/api/v1/payments/"+str(t, other["id"])+"/retry-send", "")
}

func TestRudiqPay_Routes(t *testing.T) {
	e := mustRQ(t)
	r := e.MustDo(405, "DELETE", "/rudiqpay/api/v1/payments", "")
	require.Contains(t, string(r.Body), `"code":"method_not_allowed"`)
	require.NotEmpty(t, r.Header.Get("Allow"))
	r = e.MustDo(404, "GET", "/rudiqpay/api/v1/nope", "")
	require.Contains(t, string(r.Body), `"code":"not_found"`)
}

// TestRudiqPaySandbox: the sandbox's payer and miners drive a payment to
// completed through HTTP alone.
func TestRudiqPaySandbox(t *testing.T) {
	e := mustRQ(t, sandbox.WithManualMining())
	id := str(t, e.create("order-1")["id"])
	e.MustDo(204, "POST", "/sandbox/rudiqpay/run-due", "")
	r := e.MustDo(200, "POST", "/sandbox/rudiqpay/mine", `{"blocks":2}`)
	require.JSONEq(t, `{"network_id":"`+rqNetwork+`","block":2}`, string(r.Body))
	e.MustDo(204, "POST", "/sandbox/rudiqpay/run-due", "")
	r = e.MustDo(200, "POST", "/sandbox/rudiqpay/payments/"+id+"/deposit", `{"arguments":["1","1"]}`)
	require.Equal(t, `"pending"`, string(r.JSON(t)["status"]))
	e.MustDo(200, "POST", "/sandbox/rudiqpay/mine", "")
	e.MustDo(204, "POST", "/sandbox/rudiqpay/run-due", "")
	require.Equal(t, "processing", e.status(id), "a reverted deposit moves nothing")
	r = e.MustDo(200, "POST", "/sandbox/rudiqpay/payments/"+id+"/deposit", "")
	hash := str(t, r.JSON(t)["transaction_hash"])
	e.MustDo(200, "POST", "/sandbox/rudiqpay/mine", "")
	e.MustDo(204, "POST", "/sandbox/rudiqpay/run-due", "")
	p := e.MustDo(200, "GET", "/rudiqpay/api/v1/payments/"+id, "").JSON(t)
	require.Equal(t, `"completed"`, string(p["status"]))
	require.Equal(t, hash, str(t, p["transaction_hash"]))
}
