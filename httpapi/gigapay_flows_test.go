package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/signing"
)

// seedExpanded is the documentation's example of GET /payouts/123/?expand=employee.
const seedExpanded = `{
    "id": "123",
    "amount": "1000.00",
    "currency": "SEK",
    "description": "Lön genom Gigapay",
    "employee": {
        "id": "67",
        "name": "Albin Lindskog",
        "cellphone_number": "+46703000000",
        "email": null,
        "metadata": {},
        "created_at": "2020-02-11T12:21:27.267591Z",
        "verified_at": "2020-02-26T14:52:58.287693Z"
    },
    "invoice": "32",
    "metadata": {},
    "start_at": null,
    "end_at": null,
    "created_at": "2020-02-11T20:10:45.398264Z",
    "notified_at": null,
    "accepted_at": null
}`

func TestGigapay_Expand(t *testing.T) {
	e := MustGigapay(t)
	// The documentation's example, request by request, at its times.
	e.At("2020-02-11T12:21:27.267591Z")
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	e.At("2020-02-11T20:10:45.398264Z")
	created := e.MustDo(201, "POST", "/gigapay/v2/payouts/?expand=employee",
		`{"id": "123", "amount": "1000.00", "currency": "SEK", "description": "Lön genom Gigapay", "employee": "67"}`)
	// expand works on creates: the employee is inline in the 201.
	require.Equal(t, `"Albin Lindskog"`, string(mustObject(t, created.JSON(t)["employee"])["name"]))
	inv := str(t, e.MustDo(200, "GET", "/gigapay/v2/payouts/123/", "").JSON(t)["invoice"])
	e.MustDo(200, "PATCH", "/gigapay/v2/invoices/"+inv+"/", `{"id": "32"}`)
	e.At("2020-02-20T09:00:00Z")
	e.Sandbox("/employees/67/notify/")
	e.Sandbox("/employees/67/claim/")
	e.At("2020-02-26T14:52:58.287693Z")
	e.Sandbox("/employees/67/verify/")

	r := e.MustDo(200, "GET", "/gigapay/v2/payouts/123/?expand=employee", "")
	requireDocShape(t, seedExpanded, string(r.Body))
	// What the example leaves out, the API always sends.
	require.Equal(t, []string{"id", "amount", "invoiced_amount", "cost", "currency", "description", "employee",
		"full_salary_specification", "invoice", "metadata", "start_at", "end_at", "created_at", "notified_at", "accepted_at"},
		gpTopKeys(t, r.Body))
	require.Equal(t, []string{"id", "name", "cellphone_number", "email", "country", "metadata", "created_at",
		"notified_at", "claimed_at", "verified_at"}, gpTopKeys(t, r.JSON(t)["employee"]))

	// expand is repeatable, and works on lists.
	r = e.MustDo(200, "GET", "/gigapay/v2/payouts/?expand=employee&expand=invoice", "")
	var list struct{ Results []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(r.Body, &list))
	require.Equal(t, `"32"`, string(mustObject(t, list.Results[0]["invoice"])["id"]))
	require.Equal(t, `"67"`, string(mustObject(t, list.Results[0]["employee"])["id"]))
	r = e.MustDo(200, "GET", "/gigapay/v2/payouts/123/?expand=invoice", "")
	require.Equal(t, `"67"`, string(r.JSON(t)["employee"]))
	require.Equal(t, []string{"id", "app", "pdf", "created_at", "paid_at", "currency", "metadata", "ocr_number", "open", "price"},
		gpTopKeys(t, r.JSON(t)["invoice"]))

	// An inline employee is created with the payout, or reused.
	r = e.MustDo(201, "POST", "/gigapay/v2/payouts/?expand=employee", `{"amount": "100", "currency": "SEK", "description": "Gig",
		"employee": {"name": "Karl Karlsson", "email": "karl.karlsson@gmail.com", "country": "SWE", "metadata": {"user_id": 3}}}`)
	karl := mustObject(t, r.JSON(t)["employee"])
	require.Equal(t, `{"user_id":3}`, string(karl["metadata"]))
	r = e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"amount": "200", "currency": "SEK", "description": "Gig 2",
		"employee": {"name": "Karl K.", "email": "karl.karlsson@gmail.com", "country": "SWE"}}`)
	require.Equal(t, string(karl["id"]), string(r.JSON(t)["employee"]))
	require.Equal(t, "2", string(e.MustDo(200, "GET", "/gigapay/v2/employees/", "").JSON(t)["count"]))
}

func mustObject(tb testing.TB, raw json.RawMessage) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(raw, &m), "not an object: %s", raw)
	return m
}

func TestGigapay_BulkCreate(t *testing.T) {
	e := MustGigapay(t)
	e.MustEmployee("1", "Ett")
	e.MustEmployee("2", "Två")
	before := e.MustDo(200, "GET", "/gigapay/v2/invoices/", "").Body
	// All or nothing: nothing of a failed bulk request remains.
	e.MustDo(400, "POST", "/gigapay/v2/payouts/", `[{"amount":"100","currency":"SEK","employee":"1","description":"a"},
		{"amount":"100","currency":"EUR","employee":"2","description":"b"}]`)
	require.Equal(t, string(before), string(e.MustDo(200, "GET", "/gigapay/v2/invoices/", "").Body))
	require.Equal(t, "0", string(e.MustDo(200, "GET", "/gigapay/v2/payouts/", "").JSON(t)["count"]))

	r := e.MustDo(201, "POST", "/gigapay/v2/payouts/?expand=employee", `[
		{"id":"b1","amount":"1000","currency":"SEK","employee":"1","description":"a"},
		{"id":"b2","invoiced_amount":"1000","currency":"SEK","employee":2,"description":"b"},
		{"id":"b3","cost":"1000","currency":"SEK","employee":"2","description":"c"}]`)
	var ps []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &ps))
	require.Len(t, ps, 3)
	for _, p := range ps {
		require.Equal(t, string(ps[0]["invoice"]), string(p["invoice"]), "one invoice for the whole request")
		require.Equal(t, "{", string(p["employee"][:1]))
	}
	require.Equal(t, `false`, string(ps[0]["full_salary_specification"]))
	require.Equal(t, `true`, string(ps[1]["full_salary_specification"]))
	require.Equal(t, `"1000.00"`, string(ps[2]["cost"]))
	inv := e.MustDo(200, "GET", "/gigapay/v2/invoices/"+str(t, ps[0]["invoice"])+"/", "").JSON(t)
	// price = the sum of the payouts' cost: 1379.91 + 1050.00 + 1000.00.
	require.Equal(t, `"3429.91"`, string(inv["price"]))
	require.Equal(t, `false`, string(inv["open"]), "without batching the request's invoice is closed when it ends")
	ocr := str(t, inv["ocr_number"])
	require.Len(t, ocr, 12)
	require.True(t, paykit.ValidOCR(ocr))
	require.True(t, strings.HasPrefix(str(t, inv["app"]), "https://app.gigapay.se/i/"))

	// The next request gets an invoice of its own.
	p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"amount":"10","currency":"SEK","employee":"1","description":"d"}`).JSON(t)
	require.NotEqual(t, string(ps[0]["invoice"]), string(p["invoice"]))
}

func TestGigapay_Pricing(t *testing.T) {
	e := MustGigapay(t)
	e.MustEmployee("67", "Albin Lindskog")
	price := func(body string) map[string]json.RawMessage {
		t.Helper()
		return e.MustDo(200, "POST", "/gigapay/v2/pricing/", body).JSON(t)
	}
	// The documentation's examples at the default 5 % fee (see TestPrice for
	// the vectors and the examples' inconsistencies).
	r := e.MustDo(200, "POST", "/gigapay/v2/pricing/", `{"id": "1", "amount": "1000.00", "currency": "SEK", "description": "Lön",
		"employee": "67", "metadata": {"order": 7}}`)
	require.Equal(t, `{"id":"1","amount":"1000.00","invoiced_amount":"1314.20","cost":"1379.91","currency":"SEK",`+
		`"fee":"65.71","payroll":"314.20","tax":"300.00","vat":"344.98","health_insurance":null,"pension":null,"metadata":{"order":7}}`+"\n", string(r.Body))
	b := r.JSON(t)
	b = price(`{"amount": 3000, "currency": "SEK", "description": "Lön", "employee": "67"}`)
	require.Equal(t, `"4139.73"`, string(b["cost"]))
	require.Equal(t, `null`, string(b["id"]))
	b = price(`{"amount": "100", "currency": "SEK", "description": "Lön", "employee": 67, "full_salary_specification": true}`)
	require.Equal(t, `"137.99"`, string(b["cost"]))

	// A bulk calculation, an array in and out.
	r = e.MustDo(200, "POST", "/gigapay/v2/pricing/", `[{"amount":"1000","currency":"SEK","description":"a","employee":"67"},
		{"cost":"1379.91","currency":"SEK","description":"b","employee":"67"}]`)
	var bs []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &bs))
	require.Equal(t, string(bs[0]["amount"]), string(bs[1]["amount"]))
	// The calculator validates like /payouts/, an inline employee included,
	// and creates nothing.
	r = e.MustDo(400, "POST", "/gigapay/v2/pricing/", `[{"amount":"1","currency":"SEK","description":"a","employee":"67"},{"amount":"1"}]`)
	require.JSONEq(t, `[{},{"currency":["This field is required."],"description":["This field is required."],"employee":["This field is required."]}]`, string(r.Body))
	price(`{"amount":"1","currency":"SEK","description":"a","employee":{"name":"New Person","email":"new@example.com","country":"SWE"}}`)
	require.Equal(t, "1", string(e.MustDo(200, "GET", "/gigapay/v2/employees/", "").JSON(t)["count"]))
	require.Equal(t, "0", string(e.MustDo(200, "GET", "/gigapay/v2/payouts/", "").JSON(t)["count"]))

	// With the 2 % fee the documentation's invoiced_amount examples use.
	e.MustDo(200, "POST", "/sandbox/gigapay/settings/", `{"fee": "0.02"}`)
	b = price(`{"invoiced_amount": "1000", "currency": "SEK", "description": "Lön", "employee": "67"}`)
	require.Equal(t, []string{`"760.92"`, `"20.00"`, `"1020.00"`, `"255.00"`, `"228.28"`},
		[]string{string(b["amount"]), string(b["fee"]), string(b["cost"]), string(b["vat"]), string(b["tax"])})
	b = price(`{"invoiced_amount": "2500", "currency": "SEK", "description": "Lön", "employee": "67"}`)
	require.Equal(t, []string{`"1902.30"`, `"50.00"`, `"2550.00"`, `"637.50"`},
		[]string{string(b["amount"]), string(b["fee"]), string(b["cost"]), string(b["vat"])})

	// The breakdowns of existing payouts: one, and the list with the payout filters.
	e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"p1","amount":"1000","currency":"SEK","description":"a","employee":"67"}`)
	b = e.MustDo(200, "GET", "/gigapay/v2/pricing/p1/", "").JSON(t)
	require.Equal(t, `"1340.48"`, string(b["cost"]), "the documentation's invoice price")
	inv := str(t, e.MustDo(200, "GET", "/gigapay/v2/payouts/p1/", "").JSON(t)["invoice"])
	require.Equal(t, `"1340.48"`, string(e.MustDo(200, "GET", "/gigapay/v2/invoices/"+inv+"/", "").JSON(t)["price"]))
	r = e.MustDo(200, "GET", "/gigapay/v2/pricing/?employee=67", "")
	require.Equal(t, "1", string(r.JSON(t)["count"]))
	e.MustDo(404, "GET", "/gigapay/v2/pricing/nope/", "")
}

func TestGigapay_Filters(t *testing.T) {
	e := MustGigapay(t)
	e.At("2020-03-01T10:00:00Z")
	e.MustEmployee("12", "Albin Lindskog")
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"13","name":"Karl Karlsson","email":"karl@example.com","country":"SWE"}`)
	e.MustVerify("12")
	e.At("2020-03-02T10:00:00Z")
	a := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"a","amount":"100","currency":"SEK","employee":"12","description":"Städning",
		"start_at":"2020-03-05T08:00:00Z","end_at":"2020-03-05T17:00:00+02:00"}`).JSON(t)
	require.Equal(t, `"2020-03-05T15:00:00.000000Z"`, string(a["end_at"]))
	e.At("2020-03-03T10:00:00Z")
	e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"b","amount":"200","currency":"SEK","employee":"12","description":"Flytt"}`)
	e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"c","amount":"300","currency":"SEK","employee":"13","description":"Målning"}`)
	e.At("2020-03-04T10:00:00Z")
	e.Sandbox("/invoices/" + str(t, a["invoice"]) + "/pay/")
	e.MustDo(200, "POST", "/sandbox/gigapay/payouts/a/accept/", "")

	ids := func(path string) []string {
		t.Helper()
		var out struct{ Results []struct{ ID string } }
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", path, "").Body, &out))
		var s []string
		for _, r := range out.Results {
			s = append(s, r.ID)
		}
		return s
	}
	// The documentation's example.
	require.Equal(t, []string{"b"}, ids("/gigapay/v2/payouts/?employee=12&accepted_at_null=True"))
	require.Equal(t, []string{"a"}, ids("/gigapay/v2/payouts/?employee=12&accepted_at_null=False"))
	require.Equal(t, []string{"c", "b", "a"}, ids("/gigapay/v2/payouts/"))
	require.Equal(t, []string{"a"}, ids("/gigapay/v2/payouts/?invoice="+str(t, a["invoice"])))
	require.Equal(t, []string{"c", "b"}, ids("/gigapay/v2/payouts/?created_at_after=2020-03-03T10:00:00Z"))
	require.Equal(t, []string{"a"}, ids("/gigapay/v2/payouts/?created_at_before=2020-03-02T10:00:00.000000Z"))
	require.Equal(t, []string{"a"}, ids("/gigapay/v2/payouts/?notified_at_null=false"))
	require.Equal(t, []string{"a"}, ids("/gigapay/v2/payouts/?start_at_after=2020-03-05T00:00:00%2B01:00&end_at_before=2020-03-06T00:00:00Z"))
	require.Equal(t, []string{"c"}, ids("/gigapay/v2/payouts/?search=karl"))
	require.Equal(t, []string{"b"}, ids("/gigapay/v2/payouts/?search=flytt"))
	require.Equal(t, []string{"c", "b", "a"}, ids("/gigapay/v2/payouts/?search="))
	require.Equal(t, []string{"13", "12"}, ids("/gigapay/v2/employees/"))
	require.Equal(t, []string{"12"}, ids("/gigapay/v2/employees/?verified_at_null=False"))
	require.Equal(t, []string{"13"}, ids("/gigapay/v2/employees/?search=KARL%40"))
	require.Equal(t, []string{"12"}, ids("/gigapay/v2/employees/?search=%2B4670"))
	require.Len(t, ids("/gigapay/v2/invoices/?paid_at_null=True"), 2)
	require.Len(t, ids("/gigapay/v2/invoices/?paid_at_after=2020-03-04T00:00:00Z"), 1)

	r := e.MustDo(400, "GET", "/gigapay/v2/payouts/?employee=99&invoice=nope", "")
	require.JSONEq(t, `{"employee":["Select a valid choice. That choice is not one of the available choices."],
		"invoice":["Select a valid choice. That choice is not one of the available choices."]}`, string(r.Body))
	r = e.MustDo(400, "GET", "/gigapay/v2/payouts/?created_at_after=yesterday&accepted_at_null=maybe", "")
	require.JSONEq(t, `{"created_at_after":["Enter a valid date/time."],
		"accepted_at_null":["Select a valid choice. maybe is not one of the available choices."]}`, string(r.Body))
}

func TestGigapay_Resend(t *testing.T) {
	e := MustGigapay(t)
	e.MustEmployee("67", "Albin Lindskog")
	p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"123","amount":"100","currency":"SEK","employee":"67","description":"d"}`).JSON(t)
	e.MustVerify("67")
	e.Sandbox("/invoices/" + str(t, p["invoice"]) + "/pay/")
	// The documentation's example uses PUT, its "HTTP Request" line PATCH:
	// both work, and both take an Idempotency-Key.
	r := e.MustDo(429, "PUT", "/gigapay/v2/payouts/123/resend/", "")
	require.Equal(t, `{"detail":"The notification can be resent once every 24 hours. Expected available in 86400 seconds."}`+"\n", string(r.Body))
	e.Clock.Add(24 * time.Hour)
	r = e.MustDo(204, "PATCH", "/gigapay/v2/payouts/123/resend/", "", "Idempotency-Key", "r1")
	require.Empty(t, r.Body)
	e.Clock.Add(time.Hour)
	e.MustDo(204, "PUT", "/gigapay/v2/payouts/123/resend/", "", "Idempotency-Key", "r1")
	e.MustDo(429, "PUT", "/gigapay/v2/payouts/123/resend/", "", "Idempotency-Key", "r2")
	e.MustDo(200, "POST", "/sandbox/gigapay/payouts/123/accept/", "")
	e.Clock.Add(24 * time.Hour)
	e.MustDo(409, "PATCH", "/gigapay/v2/payouts/123/resend/", "")
	// An employee's invitation, once claimed, is not resent.
	e.MustDo(409, "PATCH", "/gigapay/v2/employees/67/resend/", "")
}

func TestGigapay_Webhooks(t *testing.T) {
	e := MustGigapay(t)
	r := e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"url":"https://gigatron.se/webhooks/employees/","events":["Employee.verified"]}`)
	w := r.JSON(t)
	require.Equal(t, []string{"id", "url", "events", "secret_key", "metadata"}, gpTopKeys(t, r.Body))
	require.Len(t, str(t, w["secret_key"]), 32)
	require.Equal(t, `{}`, string(w["metadata"]))
	id := str(t, w["id"])

	r = e.MustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"not a url","events":["Employee.fired"]}`)
	require.JSONEq(t, `{"url":["Give an absolute http or https URL."],"events":["\"Employee.fired\" is not a known event."]}`, string(r.Body))
	r = e.MustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"https://x.se/","events":[]}`)
	require.JSONEq(t, `{"events":["This list may not be empty."]}`, string(r.Body))
	r = e.MustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"https://x.se/"}`)
	require.JSONEq(t, `{"events":["This field is required."]}`, string(r.Body))

	r = e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"id":"all","url":"https://gigatron.se/webhooks/","events":["Payout.created","Payout.accepted"],
		"secret_key":"a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4","metadata":{"team":"ops"}}`)
	require.Equal(t, `"a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"`, string(r.JSON(t)["secret_key"]))
	e.MustDo(400, "POST", "/gigapay/v2/webhooks/", `{"id":"all","url":"https://x.se/","events":["Invoice.paid"]}`)

	// PATCH changes any field, the id included; PUT redraws an omitted secret.
	r = e.MustDo(200, "PATCH", "/gigapay/v2/webhooks/all/", `{"id":"renamed","events":["Invoice.paid"]}`)
	require.Equal(t, `"renamed"`, string(r.JSON(t)["id"]))
	require.Equal(t, `["Invoice.paid"]`, string(r.JSON(t)["events"]))
	require.Equal(t, `{"team":"ops"}`, string(r.JSON(t)["metadata"]))
	e.MustDo(404, "GET", "/gigapay/v2/webhooks/all/", "")
	r = e.MustDo(200, "PUT", "/gigapay/v2/webhooks/renamed/", `{"url":"https://gigatron.se/new/","events":["Invoice.created"]}`)
	require.Len(t, str(t, r.JSON(t)["secret_key"]), 32)
	require.NotEqual(t, `"a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"`, string(r.JSON(t)["secret_key"]))
	require.Equal(t, `{}`, string(r.JSON(t)["metadata"]))
	e.MustDo(400, "PUT", "/gigapay/v2/webhooks/renamed/", `{"events":["Invoice.created"]}`)

	r = e.MustDo(200, "GET", "/gigapay/v2/webhooks/?page_size=1", "")
	require.Equal(t, "2", string(r.JSON(t)["count"]))
	next := str(t, r.JSON(t)["next"])
	r = e.MustDo(200, "GET", strings.TrimPrefix(next, "http://example.com"), "")
	require.Contains(t, string(r.JSON(t)["results"]), id)
	e.MustDo(204, "DELETE", "/gigapay/v2/webhooks/renamed/", "")
	e.MustDo(404, "DELETE", "/gigapay/v2/webhooks/renamed/", "")
	require.Equal(t, "1", string(e.MustDo(200, "GET", "/gigapay/v2/webhooks/", "").JSON(t)["count"]))
}

// delivery is a notification as a receiver got it.
type delivery struct {
	path, signature string
	body            []byte
}

// TestGigapay_EventsFlowchart drives the events flowchart through the API and
// the sandbox in its typical order (the employee is created with the first
// payout, and onboards while the invoice is paid), delivering every event to
// a receiver that verifies its Gigapay-Signature: Employee.created,
// Invoice.created, Payout.created, Employee.notified, Employee.claimed,
// Invoice.paid, Employee.verified, Payout.notified, Payout.accepted, then the
// disbursement, which has no event.
func TestGigapay_EventsFlowchart(t *testing.T) {
	e := MustGigapay(t, local)
	var mu sync.Mutex
	var got []delivery
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.URL.Path, r.Header.Get(signing.GigapayHeader), b})
		mu.Unlock()
	}))
	defer rcv.Close()
	var all []string
	for _, ev := range httpapi.GigapayEvents {
		all = append(all, `"`+ev+`"`)
	}
	secret := str(t, e.MustDo(201, "POST", "/gigapay/v2/webhooks/",
		`{"url":"`+rcv.URL+`/webhooks/","events":[`+strings.Join(all, ",")+`]}`).JSON(t)["secret_key"])
	// Like the Laravel client, one URL for one event: only Employee.verified.
	verifiedSecret := str(t, e.MustDo(201, "POST", "/gigapay/v2/webhooks/",
		`{"url":"`+rcv.URL+`/webhooks/employees/","events":["Employee.verified"]}`).JSON(t)["secret_key"])

	steps := []struct {
		at     string
		do     func()
		events []string
	}{
		{"2019-05-20T15:33:08.974624Z", func() {
			e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"p1","amount":"1000","currency":"SEK","description":"Lön genom Gigapay",
				"employee":{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","email":"karl.karlsson@gmail.com",
				"country":"SWE","metadata":{"user_id":3}}}`)
		}, []string{paykit.EventEmployeeCreated, paykit.EventInvoiceCreated, paykit.EventPayoutCreated}},
		{"2019-05-20T15:33:12.581720Z", func() { e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/notify/") }, []string{paykit.EventEmployeeNotified}},
		{"2019-05-21T09:13:32.575721Z", func() { e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/claim/") }, []string{paykit.EventEmployeeClaimed}},
		{"2019-05-21T09:13:40Z", func() {
			inv := str(t, e.MustDo(200, "GET", "/gigapay/v2/payouts/p1/", "").JSON(t)["invoice"])
			e.Sandbox("/invoices/" + inv + "/pay/")
		}, []string{paykit.EventInvoicePaid}},
		{"2019-05-21T09:13:48.625263Z", func() { e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/verify/") },
			[]string{paykit.EventEmployeeVerified, paykit.EventPayoutNotified}},
		{"2019-05-21T10:00:00Z", func() { e.Sandbox("/payouts/p1/accept/") }, []string{paykit.EventPayoutAccepted}},
		{"2019-05-21T11:00:00Z", func() { e.Sandbox("/payouts/p1/disburse/") }, nil},
	}
	// Each step's events are delivered before the next step; within a step
	// the engine may post them in any order (Gigapay promises none), so a
	// receiver tells them apart by their bodies.
	// The outbox names the events as paykit does; the webhooks subscribed to
	// them by Gigapay's names.
	gigapayTypes := map[string]bool{}
	for _, typ := range httpapi.GigapayEventTypes {
		gigapayTypes[typ] = true
	}
	var want []string
	var main, verified []delivery
	ctx := context.Background()
	seen := 0
	for _, s := range steps {
		e.At(s.at)
		s.do()
		e.MustDo(204, "POST", "/sandbox/gigapay/run-due/", "")
		evs, err := e.Service.FindEvents(ctx, e.Tenant, paykit.EventFilter{Limit: 1000})
		require.NoError(t, err)
		var types, bodies []string
		for _, ev := range evs[seen:] {
			if gigapayTypes[ev.Type] {
				types = append(types, ev.Type)
				// The event records a canonical snapshot; the Gigapay scheme
				// posts the Gigapay object of it.
				body, err := httpapi.RenderGigapayEvent(ev, secret)
				require.NoError(t, err)
				bodies = append(bodies, string(body))
			}
		}
		seen = len(evs)
		require.Equal(t, s.events, types, "events of the step at %s", s.at)
		want = append(want, types...)

		mu.Lock()
		var step []string
		for _, d := range got {
			// The body is the bare object, exactly as the Gigapay scheme renders
			// the event recorded, and the signature verifies with the webhook's
			// secret_key.
			require.Regexp(t, `^t=\d+,v1=[0-9a-f]{64}$`, d.signature)
			if d.path == "/webhooks/employees/" {
				require.NoError(t, signing.VerifyGigapay(d.signature, d.body, verifiedSecret, e.Clock.Now(), 0))
				require.Error(t, signing.VerifyGigapay(d.signature, d.body, secret, e.Clock.Now(), 0))
				verified = append(verified, d)
				continue
			}
			require.NoError(t, signing.VerifyGigapay(d.signature, d.body, secret, e.Clock.Now(), 0))
			main = append(main, d)
			step = append(step, string(d.body))
		}
		got = nil
		mu.Unlock()
		require.ElementsMatch(t, bodies, step, "deliveries of the step at %s", s.at)
	}
	require.Equal(t, []string{paykit.EventEmployeeCreated, paykit.EventInvoiceCreated, paykit.EventPayoutCreated,
		paykit.EventEmployeeNotified, paykit.EventEmployeeClaimed, paykit.EventInvoicePaid, paykit.EventEmployeeVerified,
		paykit.EventPayoutNotified, paykit.EventPayoutAccepted}, want)
	require.Len(t, main, len(want))

	// The documentation's example of an Employee.verified notification, byte
	// for byte, with the country the documented create requires.
	require.Len(t, verified, 1)
	require.Equal(t, `{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","cellphone_number":null,`+
		`"email":"karl.karlsson@gmail.com","country":"SWE","metadata":{"user_id":3},"created_at":"2019-05-20T15:33:08.974624Z",`+
		`"notified_at":"2019-05-20T15:33:12.581720Z","claimed_at":"2019-05-21T09:13:32.575721Z",`+
		`"verified_at":"2019-05-21T09:13:48.625263Z"}`, string(verified[0].body))

	// The last notification carries what the API shows for the payout.
	last := main[len(main)-1].body
	require.Contains(t, string(last), `"accepted_at":"2019-05-21T10:00:00.000000Z"`)
	require.JSONEq(t, string(last), string(e.MustDo(200, "GET", "/gigapay/v2/payouts/p1/", "").Body))
	// Byte for byte, too, even where the object holds characters that
	// encoding/json escapes for HTML by default (the & of the pdf link).
	inv := str(t, e.MustDo(200, "GET", "/gigapay/v2/payouts/p1/", "").JSON(t)["invoice"])
	api := bytes.TrimSpace(e.MustDo(200, "GET", "/gigapay/v2/invoices/"+inv+"/", "").Body)
	require.Contains(t, string(api), "&language=")
	i := slices.IndexFunc(main, func(d delivery) bool { return bytes.Contains(d.body, []byte(`"paid_at":"2019`)) })
	require.GreaterOrEqual(t, i, 0, "the Invoice.paid notification")
	require.Equal(t, string(api), string(main[i].body))

	// The money went through the ledger: in from the world when the invoice
	// was paid, out to the employee, the tax authority, payroll and the fee.
	balances := map[string]string{}
	as, err := e.Service.FindAccounts(context.Background(), e.Tenant, paykit.AccountFilter{Limit: 100})
	require.NoError(t, err)
	for _, a := range as {
		code := a.Code
		if strings.HasPrefix(code, "employee:") {
			code = "employee"
		}
		balances[code] = a.Balance().Fixed()
	}
	require.Equal(t, map[string]string{"world": "-1379.91", "gigapay_client": "0.00", "employee": "700.00",
		"income_tax": "300.00", "payroll_tax": "314.20", "gigapay_fee": "65.71"}, balances)
	require.NoError(t, e.Service.CheckLedger(context.Background(), e.Tenant))
}
