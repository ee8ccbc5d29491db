package httpapi_test

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
	"github.com/paykit/paykit/httpapi"
)

// TestGigapay_EventBodies: events record canonical snapshots, and the Gigapay
// scheme NewGigapay registers posts the Gigapay object of each, byte for byte.
func TestGigapay_EventBodies(t *testing.T) {
	e := MustGigapay(t, local)
	ctx := context.Background()
	var mu sync.Mutex
	bodies := map[string]string{} // by the type the receiver tells from the body
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if bytes.Contains(b, []byte(`"ocr_number"`)) {
			bodies["Invoice.paid"] = string(b)
		} else {
			bodies["Payout.accepted"] = string(b)
		}
	}))
	defer rcv.Close()
	e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"url":"`+rcv.URL+`","events":["Invoice.paid","Payout.accepted"]}`)

	e.At("2024-01-09T12:00:00Z")
	e.MustEmployee("67", "Albin Lindskog")
	p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"123","amount":"1000","currency":"SEK","description":"Lön genom Gigapay","employee":"67"}`).JSON(t)
	inv := str(t, p["invoice"])
	e.At("2024-01-09T12:01:00Z")
	e.Sandbox("/invoices/" + inv + "/pay/")
	e.MustVerify("67")
	e.Sandbox("/payouts/123/accept/")
	e.MustDo(204, "POST", "/sandbox/gigapay/run-due/", "")

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, `{"id":"123","amount":"1000.00","invoiced_amount":"1314.20","cost":"1379.91","currency":"SEK",`+
		`"description":"Lön genom Gigapay","employee":"67","full_salary_specification":false,"invoice":"`+inv+`",`+
		`"metadata":{},"start_at":null,"end_at":null,"created_at":"2024-01-09T12:00:00.000000Z",`+
		`"notified_at":"2024-01-09T12:01:00.000000Z","accepted_at":"2024-01-09T12:01:00.000000Z"}`, bodies["Payout.accepted"])
	api := e.MustDo(200, "GET", "/gigapay/v2/invoices/"+inv+"/", "").Body
	require.Equal(t, strings.TrimSuffix(string(api), "\n"), bodies["Invoice.paid"], "GET /invoices/{id}/, byte for byte")

	// The outbox holds the canonical snapshot, which the renderer turns into
	// the body.
	evs, err := e.Service.FindEvents(ctx, e.Tenant, paykit.EventFilter{Limit: 1000})
	require.NoError(t, err)
	ev := evs[len(evs)-1]
	require.Equal(t, paykit.EventPayoutAccepted, ev.Type)
	var snap paykit.Payout
	require.NoError(t, json.Unmarshal(ev.Data, &snap))
	require.Equal(t, "1314.20 SEK", snap.InvoicedAmount.String())
	require.Equal(t, paykit.PayoutStatusAccepted, snap.Status)
	require.Contains(t, string(ev.Data), `"invoicedAmount":{"amount":"1314.20","currency":"SEK"}`)
	body, err := httpapi.RenderGigapayEvent(ev, "")
	require.NoError(t, err)
	require.Equal(t, bodies["Payout.accepted"], string(body))

	// An event of another noun is posted as its snapshot.
	other := &paykit.Event{ID: "ev", Type: paykit.EventEndpointUpdated, Data: json.RawMessage(`{"id":"wh","url":"https://x.se/&"}`)}
	body, err = httpapi.RenderGigapayEvent(other, "")
	require.NoError(t, err)
	require.Equal(t, string(other.Data), string(body))
}

// TestGigapay_Words: the root names fields and speaks as paykit does; the
// dialect's one table gives them Gigapay's names and Django REST Framework's
// words, before the Swedish translation.
func TestGigapay_Words(t *testing.T) {
	e := MustGigapay(t)
	e.MustEmployee("67", "Albin Lindskog")
	long := strings.Repeat("n", 256)
	for _, tc := range []struct {
		name, method, path, body, lang, want string
	}{
		{"Employee", "POST", "/gigapay/v2/employees/", `{"name":"` + long + `","email":"bad","cellphone_number":"12","country":"Sweden"}`, "",
			`{"cellphone_number":["Enter a valid phone number with its country code, like +46703000000."],` +
				`"country":["\"SWEDEN\" is not a valid choice: give an ISO 3166-1 alpha-3 code like SWE."],` +
				`"email":["Enter a valid email address."],"name":["Ensure this field has no more than 255 characters."]}`},
		{"EmployeeSwedish", "POST", "/gigapay/v2/employees/", `{"name":"` + long + `","email":"bad","country":"SWE"}`, "sv",
			`{"email":["Ange en giltig e-postadress."],"name":["Se till att detta fält inte har fler än 255 tecken."]}`},
		{"EmployeeInput", "POST", "/gigapay/v2/employees/", `{"name":"x","country":""}`, "",
			`{"country":["This field may not be blank."],"non_field_errors":["Either email or cellphone_number is required."]}`},
		{"Payout", "POST", "/gigapay/v2/payouts/", `{"id":"1","amount":"1","cost":"1","currency":"","description":"` + long + `","employee":"nobody","end_at":"2020-01-01T00:00:00Z","start_at":"2020-01-02T00:00:00Z"}`, "",
			`{"currency":["This field may not be blank."],"description":["Ensure this field has no more than 255 characters."],` +
				`"employee":["Object with id \"nobody\" does not exist."],"end_at":["The gig cannot end before it starts."],` +
				`"non_field_errors":["Exactly one of amount, invoiced_amount and cost is required."]}`},
		{"PayoutSwedish", "POST", "/gigapay/v2/payouts/", `{"amount":"1","cost":"1","currency":"","description":"d","employee":"67"}`, "sv",
			`{"currency":["Det här fältet får inte vara blankt."],"non_field_errors":["Exakt ett av amount, invoiced_amount och cost krävs."]}`},
		{"InvoicedAmount", "POST", "/gigapay/v2/payouts/", `{"invoiced_amount":"0","currency":"SEK","description":"d","employee":"67"}`, "",
			`{"invoiced_amount":["Amount must be greater than zero."]}`},
		{"Bulk", "POST", "/gigapay/v2/payouts/", `[{"id":"b","amount":"1","currency":"SEK","description":"a","employee":"67"},` +
			`{"id":"b","amount":"1","currency":"SEK","description":"a","employee":{"name":"","country":"SWE","cellphone_number":"x"}}]`, "",
			`[{},{"employee":{"cellphone_number":["Enter a valid phone number with its country code, like +46703000000."],` +
				`"name":["This field may not be blank."]},"id":["payout with this id already exists."]}]`},
		{"Filters", "GET", "/gigapay/v2/payouts/?employee=x&invoice=y", "", "",
			`{"employee":["Select a valid choice. That choice is not one of the available choices."],` +
				`"invoice":["Select a valid choice. That choice is not one of the available choices."]}`},
		{"Integration", "POST", "/gigapay/v2/integrations/", `{"id":"` + gpIntegration + `","name":"N","logo":"https://x.se/` + strings.Repeat("l", 2048) + `",` +
			`"email":"a@b.se","recipient":"r","address_line_1":"","address_line_2":"` + long + `","zip_code":"","city":"c"}`, "",
			`{"address_line_1":["This field may not be blank."],"address_line_2":["Ensure this field has no more than 255 characters."],` +
				`"id":["integration with this id already exists."],"logo":["Ensure this URL has no more than 2048 characters."],` +
				`"zip_code":["This field may not be blank."]}`},
		{"Settings", "POST", "/sandbox/gigapay/settings/", `{"income_tax":"2"}`, "",
			`{"income_tax":["Rates are fractions from 0 to 1 with at most 6 decimals."]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.MustDo(400, tc.method, tc.path, tc.body, "Accept-Language", tc.lang)
			require.JSONEq(t, tc.want, string(r.Body))
		})
	}
}

// TestGigapay_StoreWords: the store's conflict when two requests race for one
// id is paykit's sentence, and Gigapay's wire says it as Django REST Framework
// does, like the Service's own check of the id.
func TestGigapay_StoreWords(t *testing.T) {
	for msg, want := range map[string]string{
		"An employee with this ID already exists.":    "employee with this id already exists.",
		"An invoice with this ID already exists.":     "invoice with this id already exists.",
		"An integration with this ID already exists.": "integration with this id already exists.",
		"This id is taken by another employee.":       "employee with this id already exists.",
	} {
		require.Equal(t, want, httpapi.GigapayMessage(msg), msg)
	}
}
