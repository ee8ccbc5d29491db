package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// GigstackEnv is a Service with the gigstack dialect and its sandbox mounted
// as the example server mounts them, and teams:
//
//   - master (key "master-key"): the master team of billing account ba_main,
//     splitting payments whose metadata has vendor_id or vendor_code, keeping
//     10 %;
//   - sub and vendor (metadata vendor_code ABC123), teams of ba_main; sub's
//     key is "sub-key";
//   - outsider (key "out-key"): the master team of another billing account.
//
// Every team but outsider has a fiscal identity (RFC, legal name, tax system
// 601, postal code 06100), so it can invoice.
type GigstackEnv struct {
	tb      testing.TB
	Clock   *clock.Mock
	Service *paykit.Service
	Handler http.Handler
}

// MustGigstack returns a ready GigstackEnv; opts configure its Service.
func MustGigstack(tb testing.TB, opts ...paykit.Option) *GigstackEnv {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(start)
	svc := paykit.New(db, append([]paykit.Option{paykit.WithClock(clk)}, opts...)...)
	tb.Cleanup(func() {
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	mux := http.NewServeMux()
	mux.Handle("/gigstack/", http.StripPrefix("/gigstack", httpapi.NewGigstack(svc)))
	mux.Handle("/sandbox/gigstack/", http.StripPrefix("/sandbox/gigstack", httpapi.NewGigstackSandbox(svc)))
	e := &GigstackEnv{tb: tb, Clock: clk, Service: svc, Handler: mux}

	ctx := context.Background()
	for _, b := range []string{"ba_main", "ba_other"} {
		_, err := svc.CreateBillingAccount(ctx, b, b)
		require.NoError(tb, err)
	}
	split := paykit.SplitBilling{Enabled: true, MasterPercent: decimal.NewFromInt(10), MetadataKeys: []string{"vendor_id", "vendor_code"},
		MasterClient: paykit.SplitClientClient, ConnectClient: paykit.SplitClientClient}
	for _, tm := range []struct {
		id, key string
		in      paykit.TeamSettings
	}{
		{"master", "master-key", paykit.TeamSettings{BillingAccountID: "ba_main", Master: true, Split: split}},
		{"sub", "sub-key", paykit.TeamSettings{BillingAccountID: "ba_main"}},
		{"vendor", "", paykit.TeamSettings{BillingAccountID: "ba_main", Metadata: json.RawMessage(`{"vendor_code":"ABC123"}`)}},
		{"outsider", "out-key", paykit.TeamSettings{BillingAccountID: "ba_other", Master: true}},
	} {
		_, err := svc.CreateTenant(ctx, tm.id, strings.ToUpper(tm.id[:1])+tm.id[1:])
		require.NoError(tb, err)
		if tm.key != "" {
			_, err = svc.CreateAPIKey(ctx, tm.id, tm.key)
			require.NoError(tb, err)
		}
		_, err = svc.ConfigureTeam(ctx, tm.id, tm.in)
		require.NoError(tb, err)
		if tm.id != "outsider" {
			_, err = svc.ConfigureFiscalIdentity(ctx, tm.id, paykit.FiscalIdentity{RFC: teamRFCs[tm.id],
				LegalName: strings.ToUpper(tm.id) + " SERVICIOS", TaxSystem: "601", Zip: "06100"})
			require.NoError(tb, err)
		}
	}
	return e
}

// teamRFCs are the RFCs of the GigstackEnv's teams.
var teamRFCs = map[string]string{"master": "MAS190101AB1", "sub": "SUB190101AB2", "vendor": "VEN190101AB3"}

// Do sends a request to the gigstack dialect with the master's key; headers
// are name/value pairs ("Authorization", "" removes the key).
func (e *GigstackEnv) Do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, method, "/gigstack"+path, body, append([]string{"Authorization", "Bearer master-key"}, headers...)...)
}

// MustDo is Do that requires the status want.
func (e *GigstackEnv) MustDo(want int, method, path, body string, headers ...string) Response {
	e.tb.Helper()
	r := e.Do(method, path, body, headers...)
	require.Equal(e.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// Data returns the data of an envelope.
func (r Response) Data(tb testing.TB) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(r.JSON(tb)["data"], &m), "body: %s", r.Body)
	return m
}

// gsError is gigstack's error body.
type gsError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Details map[string]string `json:"details"`
	} `json:"error"`
	Message string `json:"message"`
}

func gigstackError(tb testing.TB, r Response) gsError {
	tb.Helper()
	var e gsError
	require.NoError(tb, json.Unmarshal(r.Body, &e), "body: %s", r.Body)
	return e
}

// MustClient creates a client of the master team and returns its wire ID.
func (e *GigstackEnv) MustClient(body string, headers ...string) string {
	e.tb.Helper()
	r := e.MustDo(200, "POST", "/v2/clients", body, headers...)
	return str(e.tb, r.Data(e.tb)["id"])
}

// MustPayment creates a payment and returns its data.
func (e *GigstackEnv) MustPayment(body string, headers ...string) map[string]json.RawMessage {
	e.tb.Helper()
	return e.MustDo(200, "POST", "/v2/payments", body, headers...).Data(e.tb)
}

// item returns a payment body for client with one item of quantity × total
// and the taxes' JSON (or none), and extra top-level fields.
func item(client string, quantity, total, taxes, extra string) string {
	if taxes == "" {
		taxes = "[]"
	}
	return `{"clientId":"` + client + `","items":[{"name":"Thing","quantity":` + quantity + `,"total":` + total +
		`,"product_key":"84111506","unit_key":"E48","taxes":` + taxes + `}]` + extra + `}`
}

const mariaClient = `{"name":"Maria Rodriguez Santos","email":"maria.rodriguez@example.com","rfc":"ROSM850315QT8",
	"legal_name":"MARIA RODRIGUEZ SANTOS","tax_system":"612","address":{"zip":"06100","country":"MEX"},"use":"G01"}`

func TestGigstack_Ping(t *testing.T) {
	e := MustGigstack(t)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		d := e.MustDo(200, m, "/v2/ping", "").Data(t)
		require.Equal(t, `"`+m+`"`, string(d["method"]))
		require.Equal(t, `"master"`, string(d["team"]))
		require.Equal(t, "true", string(d["pong"]))
	}
	r := e.MustDo(200, "GET", "/v2/ping?team=sub", "")
	require.Equal(t, `"sub"`, string(r.Data(t)["team"]))
	require.Equal(t, `"pong"`, string(r.JSON(t)["message"]))
	require.Equal(t, "null", string(r.JSON(t)["next"]))

	t.Run("ErrUnauthorized", func(t *testing.T) {
		for _, auth := range []string{"", "Bearer nope", "Token master-key"} {
			r := e.MustDo(401, "GET", "/v2/ping", "", "Authorization", auth)
			ge := gigstackError(t, r)
			require.Equal(t, "UNAUTHORIZED", ge.Error.Code)
			require.Equal(t, "Authentication failed", ge.Message)
			require.Equal(t, `Bearer realm="gigstack"`, r.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("ErrRoute", func(t *testing.T) {
		ge := gigstackError(t, e.MustDo(404, "GET", "/v2/nothing", ""))
		require.Equal(t, "NOT_FOUND", ge.Error.Code)
		ge = gigstackError(t, e.MustDo(405, "PATCH", "/v2/ping", ""))
		require.Equal(t, "METHOD_NOT_ALLOWED", ge.Error.Code)
	})
}

// TestGigstack_ErrorShapes: the seed's two error examples, key for key.
func TestGigstack_ErrorShapes(t *testing.T) {
	e := MustGigstack(t)
	r := e.MustDo(404, "GET", "/v2/payments/pay_0192f0c8-0000-7000-8000-000000000000", "")
	require.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"Payment not found"},"message":"The requested payment does not exist"}`, string(r.Body))
	r = e.MustDo(400, "POST", "/v2/payments", `{"items":[{"name":"x","total":0}]}`)
	require.Equal(t, []string{"error", "error.code", "error.message", "error.details", "error.details.clientId",
		"error.details.items[0].total", "message"}, objectKeys(t, r.Body))
	require.JSONEq(t, `{"error":{"code":"VALIDATION_ERROR","message":"Invalid request parameters","details":{
		"clientId":"Client ID is required (or a client object, or an email)",
		"items[0].total":"Amount must be greater than zero."}},"message":"Request validation failed"}`, string(r.Body))
}

func TestGigstack_Clients(t *testing.T) {
	e := MustGigstack(t)
	id := e.MustClient(mariaClient)
	require.True(t, strings.HasPrefix(id, "client_"), id)

	t.Run("Get", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/v2/clients/"+id, "")
		require.Equal(t, []string{"id", "billingAccount", "metadata", "owner", "email", "from", "team", "name", "rfc",
			"legal_name", "timestamp", "livemode", "tax_system", "address", "phone", "use", "zip"}, topKeys(t, r.JSON(t)["data"]))
		d := r.Data(t)
		require.Equal(t, `"ROSM850315QT8"`, string(d["rfc"]))
		require.Equal(t, `"ba_main"`, string(d["billingAccount"]))
		require.Equal(t, `{"zip":"06100","country":"MEX"}`, string(d["address"]))
		require.Equal(t, `"06100"`, string(d["zip"]))
		require.Equal(t, `"api"`, string(d["from"]))
		require.Equal(t, fmt.Sprint(start.UnixMilli()), string(d["timestamp"]))
		// Another team's client is not found, even for a master without team.
		e.MustDo(404, "GET", "/v2/clients/"+id, "", "Authorization", "Bearer sub-key")
		e.MustDo(404, "GET", "/v2/clients/nope", "")
	})
	t.Run("Update", func(t *testing.T) {
		d := e.MustDo(200, "PUT", "/v2/clients/"+id, `{"phone":"+52 55 1234 5678","use":"g03"}`).Data(t)
		require.Equal(t, `"+52 55 1234 5678"`, string(d["phone"]))
		require.Equal(t, `"G03"`, string(d["use"]))
		require.Equal(t, `"ROSM850315QT8"`, string(d["rfc"]))
		ge := gigstackError(t, e.MustDo(400, "PUT", "/v2/clients/"+id, `{"tax_system":"605"}`))
		require.Equal(t, "CFDI use G03 is not allowed for tax system 605.", ge.Error.Details["use"])
	})
	t.Run("List", func(t *testing.T) {
		for i := range 3 {
			e.MustClient(fmt.Sprintf(`{"name":"C%d","email":"c%d@example.com"}`, i, i))
		}
		r := e.MustDo(200, "GET", "/v2/clients?limit=2", "")
		j := r.JSON(t)
		require.Equal(t, "4", string(j["totalResults"]))
		require.Equal(t, "true", string(j["hasMore"]))
		var page []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(j["data"], &page))
		require.Len(t, page, 2)
		require.Equal(t, `"C2"`, string(page[0]["name"]))
		r = e.MustDo(200, "GET", "/v2/clients?limit=2&starting_after="+str(t, j["next"]), "")
		require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &page))
		require.Len(t, page, 2)
		require.Equal(t, "false", string(r.JSON(t)["hasMore"]))
		require.Equal(t, `"`+id+`"`, string(page[1]["id"]))
		r = e.MustDo(200, "GET", "/v2/clients?rfc=rosm850315qt8", "")
		require.Equal(t, "1", string(r.JSON(t)["totalResults"]))
		r = e.MustDo(200, "GET", "/v2/clients?q=maria", "")
		require.Equal(t, "1", string(r.JSON(t)["totalResults"]))
	})
	t.Run("Delete", func(t *testing.T) {
		other := e.MustClient(`{"name":"Gone"}`)
		d := e.MustDo(200, "DELETE", "/v2/clients/"+other, "").Data(t)
		require.Equal(t, "true", string(d["deleted"]))
		e.MustDo(404, "GET", "/v2/clients/"+other, "")
		e.MustDo(404, "DELETE", "/v2/clients/"+other, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		before := string(e.MustDo(200, "GET", "/v2/clients", "").JSON(t)["totalResults"])
		for _, tc := range []struct{ body, field, msg string }{
			{`{}`, "name", "Give a name or a legal name."},
			{`{"name":"x","rfc":"ROSM850315"}`, "rfc", "Not an RFC: 12 characters for a company, 13 for a person, like ROSM850315QT8."},
			{`{"name":"x","rfc":"ROSM851315QT8"}`, "rfc", "Not an RFC: 12 characters for a company, 13 for a person, like ROSM850315QT8."},
			{`{"name":"x","tax_system":"600"}`, "tax_system", "Not a tax system of the SAT catalog c_RegimenFiscal, like 601."},
			{`{"name":"x","use":"G99"}`, "use", "Not a CFDI use of the SAT catalog c_UsoCFDI, like G03."},
			{`{"name":"x","tax_system":"605","use":"G03"}`, "use", "CFDI use G03 is not allowed for tax system 605."},
			{`{"name":"x","email":"not-an-email"}`, "email", "Not an email address."},
			{`{"name":"x","address":{"zip":"6100"}}`, "address.zip", "A Mexican postal code has 5 digits."},
			{`{"name":"x","metadata":[1]}`, "metadata", "Metadata must be a JSON object."},
			{`{"name":"x","nickname":"y"}`, "nickname", "Unknown field."},
			{`{"name":5}`, "name", "Must be a string."},
		} {
			r := e.MustDo(400, "POST", "/v2/clients", tc.body)
			ge := gigstackError(t, r)
			require.Equal(t, "VALIDATION_ERROR", ge.Error.Code, tc.body)
			require.Equal(t, map[string]string{tc.field: tc.msg}, ge.Error.Details, tc.body)
		}
		// Nothing was written.
		require.Equal(t, before, string(e.MustDo(200, "GET", "/v2/clients", "").JSON(t)["totalResults"]))
		// Generic RFCs and a company's RFC with a company's tax system.
		e.MustClient(`{"name":"Público","rfc":"XAXX010101000","tax_system":"616","use":"S01"}`)
		e.MustClient(`{"legal_name":"Servicios Integrales López S.A. de C.V.","tax_id":"SIL850612AB2","tax_system":"601","use":"G03"}`)
	})
}

func TestGigstack_Services(t *testing.T) {
	e := MustGigstack(t)
	d := e.MustDo(200, "POST", "/v2/services", `{"name":"Monthly Software License","description":"Premium SaaS","total":1500,
		"product_key":"43232408","unit_key":"E48","taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa"}]}`).Data(t)
	id := str(t, d["id"])
	require.True(t, strings.HasPrefix(id, "service_"))
	require.Equal(t, "1500", string(d["total"]))
	require.Equal(t, `"MXN"`, string(d["currency"]))
	require.Equal(t, `"Unidad de servicio"`, string(d["unit_name"]))
	require.Equal(t, `[{"type":"IVA","rate":0.16,"factor":"Tasa","inclusive":true,"withholding":false}]`, string(d["taxes"]))
	require.Equal(t, d, e.MustDo(200, "GET", "/v2/services/"+id, "").Data(t))
	e.MustDo(404, "GET", "/v2/services/"+id, "", "Authorization", "Bearer sub-key")
	r := e.MustDo(200, "GET", "/v2/services", "")
	require.Equal(t, "1", string(r.JSON(t)["totalResults"]))

	// A payment's item takes the service's fields: 2 × 1500, IVA inside.
	client := e.MustClient(mariaClient)
	p := e.MustPayment(`{"clientId":"` + client + `","items":[{"id":"` + id + `","quantity":2}]}`)
	require.Equal(t, "300000", string(p["amount"]))
	var items []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(p["items"], &items))
	require.Equal(t, `"`+id+`"`, string(items[0]["id"]))
	require.Equal(t, `"Monthly Software License"`, string(items[0]["name"]))
	require.Equal(t, `"43232408"`, string(items[0]["product_key"]))

	for _, tc := range []struct{ body, field, msg string }{
		{`{"total":10}`, "name", "This field is required"},
		{`{"name":"x"}`, "total", "This field is required"},
		{`{"name":"x","total":10.001}`, "total", "Amount has more than 2 decimals for MXN."},
		{`{"name":"x","total":10,"currency":"GBP"}`, "currency", "Currency must be one of MXN, USD, EUR."},
		{`{"name":"x","total":10,"product_key":"8411"}`, "product_key", "Not a product key of the SAT catalog c_ClaveProdServ: 8 digits, like 84111506."},
		{`{"name":"x","total":10,"unit_key":"E-48"}`, "unit_key", "Not a unit key of the SAT catalog c_ClaveUnidad: 1 to 3 letters and digits, like E48."},
		{`{"name":"x","total":10,"taxes":[{"type":"VAT","rate":0.16}]}`, "taxes[0].type", "Tax type must be one of IVA, ISR, IEPS."},
	} {
		ge := gigstackError(t, e.MustDo(400, "POST", "/v2/services", tc.body))
		require.Equal(t, map[string]string{tc.field: tc.msg}, ge.Error.Details, tc.body)
	}
}

func TestGigstack_Catalogs(t *testing.T) {
	e := MustGigstack(t)
	r := e.MustDo(200, "GET", "/v2/catalogs", "")
	var list []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &list))
	var ids []string
	for _, c := range list {
		ids = append(ids, str(t, c["id"]))
	}
	require.Equal(t, []string{"c_RegimenFiscal", "c_UsoCFDI", "c_FormaPago", "c_Impuesto", "c_TipoFactor", "c_Moneda",
		"c_ClaveUnidad", "c_ClaveProdServ"}, ids)
	d := e.MustDo(200, "GET", "/v2/catalogs/c_FormaPago", "").Data(t)
	var entries []struct{ Code, Description string }
	require.NoError(t, json.Unmarshal(d["entries"], &entries))
	require.Len(t, entries, 22) // the seed's table
	require.Equal(t, "01", entries[0].Code)
	require.Equal(t, "99", entries[21].Code)
	d = e.MustDo(200, "GET", "/v2/catalogs/c_RegimenFiscal", "").Data(t)
	require.Contains(t, string(d["entries"]), `{"code":"601","description":"General de Ley Personas Morales","moral":true,"physical":false}`)
	e.MustDo(404, "GET", "/v2/catalogs/c_Nope", "")
}

// TestGigstack_Teams: the master team sees its billing account's teams and
// acts for them; no other team, and no team outside, is reachable.
func TestGigstack_Teams(t *testing.T) {
	e := MustGigstack(t)
	r := e.MustDo(200, "GET", "/v2/teams", "")
	var list []struct {
		ID           string `json:"id"`
		IsMasterTeam bool   `json:"isMasterTeam"`
	}
	require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &list))
	require.Equal(t, []string{"master", "sub", "vendor"}, []string{list[0].ID, list[1].ID, list[2].ID})
	require.True(t, list[0].IsMasterTeam)
	d := e.MustDo(200, "GET", "/v2/teams/master", "").Data(t)
	require.JSONEq(t, `{"split_billing":true,"split_amount":10,"metadata_split_keys":["vendor_id","vendor_code"],
		"split_billing_type":"client","split_billing_type_connect":"client"}`, string(d["split"]))
	e.MustDo(200, "GET", "/v2/teams/vendor", "")
	e.MustDo(404, "GET", "/v2/teams/outsider", "")
	// A team that is not a master sees itself only.
	r = e.MustDo(200, "GET", "/v2/teams", "", "Authorization", "Bearer sub-key")
	require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &list))
	require.Len(t, list, 1)
	e.MustDo(404, "GET", "/v2/teams/master", "", "Authorization", "Bearer sub-key")
}
