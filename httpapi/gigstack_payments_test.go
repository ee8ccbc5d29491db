package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
)

// seedPaymentKeys are the keys of the seed's payment object, in its order.
var seedPaymentKeys = []string{"id", "fid", "team", "owner", "billingAccount", "amount", "currency", "status",
	"internalStatus", "client", "clientId", "items", "discount", "exchange", "payment_form", "processor",
	"custom_method_types", "automations", "invoices", "metadata", "from", "timestamp", "created", "succeededTimestamp",
	"livemode", "shortURL", "shortUrl", "token", "hasStripe", "paymentIntent", "client_secret", "stripeGenerated",
	"payment_method_options"}

// Written counts what a failed write must leave unchanged: every team's
// events (each write appends some) and the master's payments and clients.
func (e *GigstackEnv) Written() string {
	e.tb.Helper()
	ctx := context.Background()
	var n []int
	for _, tn := range []string{"master", "sub", "vendor", "outsider"} {
		evs, err := e.Service.FindEvents(ctx, tn, paykit.EventFilter{Limit: paykit.MaxLimit})
		require.NoError(e.tb, err)
		n = append(n, len(evs))
	}
	_, payments, err := e.Service.FindPaymentPage(ctx, "master", paykit.PaymentFilter{})
	require.NoError(e.tb, err)
	_, clients, err := e.Service.FindClients(ctx, "master", paykit.ClientFilter{})
	require.NoError(e.tb, err)
	return fmt.Sprint(n, payments, clients)
}

// Sales returns the posted balance of a team's sales account in MXN, in
// cents, and 0 when it has none.
func (e *GigstackEnv) Sales(tenant string) int64 {
	e.tb.Helper()
	as, err := e.Service.FindAccounts(context.Background(), tenant, paykit.AccountFilter{Limit: paykit.MaxLimit})
	require.NoError(e.tb, err)
	for _, a := range as {
		if a.Code == "sales" && a.Currency == "MXN" {
			return a.Balance().Minor()
		}
	}
	return 0
}

// Move plays the processor: the payment moves to status.
func (e *GigstackEnv) Move(id, status string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, "POST", "/sandbox/gigstack/payments/"+id+"/"+status, "",
		append([]string{"Authorization", "Bearer master-key"}, headers...)...)
}

func TestGigstack_CreatePayment(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)

	t.Run("Basic", func(t *testing.T) {
		r := e.MustDo(200, "POST", "/v2/payments", `{
  "clientId": "`+client+`",
  "items": [
    {
      "name": "Professional Consulting Services",
      "description": "Monthly consulting retainer for business strategy",
      "quantity": 1,
      "total": 1500,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "currency": "MXN",
  "metadata": {
    "reference": "REF456789"
  }
}`)
		require.Equal(t, []string{"data", "message", "next"}, topKeys(t, r.Body))
		require.Equal(t, `"Pago registrado correctamente"`, string(r.JSON(t)["message"]))
		require.Equal(t, seedPaymentKeys, topKeys(t, r.JSON(t)["data"]))
		d := r.Data(t)
		id := str(t, d["id"])
		require.True(t, strings.HasPrefix(id, "pay_"), id)
		require.Equal(t, d["id"], d["fid"])
		require.Equal(t, "150000", string(d["amount"]))
		require.Equal(t, `"MXN"`, string(d["currency"]))
		require.Equal(t, `"requires_payment_method"`, string(d["status"]))
		require.Equal(t, d["status"], d["internalStatus"])
		require.Equal(t, `"master"`, string(d["team"]))
		require.Equal(t, `"master"`, string(d["owner"]))
		require.Equal(t, `"ba_main"`, string(d["billingAccount"]))
		require.Equal(t, `"`+client+`"`, string(d["clientId"]))
		require.Equal(t, "1", string(d["exchange"]))
		require.Equal(t, "null", string(d["payment_form"]))
		require.Equal(t, "null", string(d["succeededTimestamp"]))
		require.Equal(t, `{"reference":"REF456789"}`, string(d["metadata"]))
		require.Equal(t, `"api"`, string(d["from"]))
		require.Equal(t, `[]`, string(d["automations"]))
		require.Equal(t, fmt.Sprint(start.UnixMilli()), string(d["timestamp"]))
		link := str(t, d["shortURL"])
		require.Equal(t, "http://example.com/gigstack/pay/"+str(t, d["token"]), link)
		require.Equal(t, d["shortURL"], d["shortUrl"])
		require.True(t, strings.HasPrefix(str(t, d["paymentIntent"]), "pi_sandbox_"))
		require.True(t, strings.HasPrefix(str(t, d["client_secret"]), str(t, d["paymentIntent"])+"_secret_"))
		require.Equal(t, `"sandbox"`, string(d["processor"]))
		var raw []json.RawMessage
		require.NoError(t, json.Unmarshal(d["items"], &raw))
		require.Equal(t, []string{"id", "name", "description", "quantity", "total", "product_key", "unit_key", "unit_name",
			"taxes", "discount", "currency", "paymentType"}, topKeys(t, raw[0]))
		var items []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(d["items"], &items))
		require.Equal(t, "1500", string(items[0]["total"]))
		require.Equal(t, `{"label":"Tarifa fija","value":"fixed"}`, string(items[0]["paymentType"]))
		var cl map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(d["client"], &cl))
		require.Equal(t, `"Maria Rodriguez Santos"`, string(cl["name"]))

		// GET returns the same object.
		g := e.MustDo(200, "GET", "/v2/payments/"+id, "")
		require.Equal(t, `"Payment retrieved successfully"`, string(g.JSON(t)["message"]))
		require.JSONEq(t, string(r.JSON(t)["data"]), string(g.JSON(t)["data"]))
	})
	t.Run("InlineClientAndAutomation", func(t *testing.T) {
		d := e.MustPayment(`{
  "client": {"name": "Juan Perez", "email": "juan@example.com", "rfc": "PEJU850315QT8", "legal_name": "JUAN PEREZ",
    "tax_system": "612", "address": {"zip": "06100", "country": "MEX"}, "use": "G03"},
  "items": [{"name": "Monthly Software License", "description": "Premium SaaS subscription", "quantity": 1, "total": 1500,
    "product_key": "43232408", "unit_key": "E48", "unit_name": "Unidad de servicio",
    "taxes": [{"type": "IVA", "rate": 0.16, "factor": "Tasa"}]}],
  "currency": "MXN", "automaticInvoice": true, "avoidEmail": false, "livemode": false,
  "metadata": {"internalId": "INV-2024-001", "reference": "Monthly subscription"}
}`)
		// The tax is inside the item's total: 1500 = 1293.10 + 206.90.
		require.Equal(t, "150000", string(d["amount"]))
		var items []struct{ Taxes []map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(d["items"], &items))
		require.Equal(t, "1293.1", string(items[0].Taxes[0]["base"]))
		require.Equal(t, "206.9", string(items[0].Taxes[0]["amount"]))
		require.Equal(t, "true", string(items[0].Taxes[0]["inclusive"]))
		require.Equal(t, `[{"action":"create","ref":"payments","type":"invoice","from":"payments","trigger":"succeeded"}]`, string(d["automations"]))
		// The client was created, from the payment.
		c := e.MustDo(200, "GET", "/v2/clients/"+str(t, d["clientId"]), "").Data(t)
		require.Equal(t, `"PEJU850315QT8"`, string(c["rfc"]))
		require.Equal(t, `"payment"`, string(c["from"]))
		// An inline {"id"} names an existing client.
		d = e.MustPayment(`{"client":{"id":"` + client + `"},"items":[{"name":"x","total":1}]}`)
		require.Equal(t, `"`+client+`"`, string(d["clientId"]))
		// An email alone finds the client with it, or creates one.
		d = e.MustPayment(`{"email":"maria.rodriguez@example.com","items":[{"name":"x","total":1}]}`)
		require.Equal(t, `"`+client+`"`, string(d["clientId"]))
		d = e.MustPayment(`{"email":"new@example.com","items":[{"name":"x","total":1}]}`)
		require.NotEqual(t, `"`+client+`"`, string(d["clientId"]))
	})
	t.Run("Paid", func(t *testing.T) {
		d := e.MustPayment(`{"clientId":"` + client + `","items":[{"name":"Completed Project","quantity":1,"total":25000,
			"product_key":"84111506","unit_key":"E48","unit_name":"Unidad de servicio"}],"paid":true,"paymentMethod":"01",
			"date":"2024-01-15T10:30:00Z","automaticInvoice":true,"metadata":{"projectId":"PROJ-2024-001"}}`)
		require.Equal(t, "2500000", string(d["amount"]))
		require.Equal(t, `"succeeded"`, string(d["status"]))
		require.Equal(t, `"01"`, string(d["payment_form"]))
		require.Equal(t, "1705314600000", string(d["succeededTimestamp"]))
		require.Equal(t, "null", string(d["paymentIntent"]))
		require.Equal(t, `"api"`, string(d["processor"]))
		require.Equal(t, int64(2500000), e.Sales("master"))
	})
}

// TestGigstack_PaymentAmounts: units in, cents out, exactly; each tax rounded
// half-up to the cent once per item, computed on the item's base.
func TestGigstack_PaymentAmounts(t *testing.T) {
	e := MustGigstack(t, paykit.WithExchangeRates(paykit.FixedRates{"USD": decimal.RequireFromString("17.25")}))
	client := e.MustClient(mariaClient)
	for _, tc := range []struct {
		name, quantity, total, taxes, extra string
		amount                              string
		bases, amounts                      []string // per tax
	}{
		{"Units", "1", "1500", "", "", "150000", nil, nil},
		{"Cents", "3", "0.07", "", "", "21", nil, nil},
		{"IVAInclusive", "3", "33.33", `[{"type":"IVA","rate":0.16,"factor":"Tasa"}]`, "", "9999", []string{"86.2"}, []string{"13.79"}},
		{"IVAExclusive", "3", "33.33", `[{"type":"IVA","rate":0.16,"factor":"Tasa","inclusive":false}]`, "", "11599",
			[]string{"99.99"}, []string{"16"}},
		{"IVAAndISRWithheld", "1", "1000", `[{"type":"IVA","rate":0.16,"inclusive":false},{"type":"ISR","rate":0.10,"inclusive":false}]`,
			"", "106000", []string{"1000", "1000"}, []string{"160", "100"}},
		{"IVAAndISRInclusive", "1", "1000", `[{"type":"IVA","rate":0.16},{"type":"ISR","rate":0.10}]`,
			"", "100000", []string{"943.4", "943.4"}, []string{"150.94", "94.34"}},
		{"IEPSQuota", "3", "10", `[{"type":"IEPS","rate":0.5,"factor":"Cuota","inclusive":false}]`, "", "3150",
			[]string{"30"}, []string{"1.5"}},
		{"Exempt", "2", "500", `[{"type":"IVA","factor":"Exento"}]`, "", "100000", []string{"1000"}, []string{"0"}},
		{"FractionalQuantity", "1.5", "33.33", "", "", "5000", nil, nil}, // 49.995 → 50.00
		{"USDGiven", "1", "100", "", `,"currency":"USD","exchange":17.5`, "10000", nil, nil},
		{"USDFromSource", "1", "100", "", `,"currency":"usd"`, "10000", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.MustPayment(item(client, tc.quantity, tc.total, tc.taxes, tc.extra))
			require.Equal(t, tc.amount, string(d["amount"]))
			var items []struct{ Taxes []map[string]json.RawMessage }
			require.NoError(t, json.Unmarshal(d["items"], &items))
			require.Len(t, items[0].Taxes, len(tc.bases))
			for i := range tc.bases {
				require.Equal(t, tc.bases[i], string(items[0].Taxes[i]["base"]), "tax %d", i)
				require.Equal(t, tc.amounts[i], string(items[0].Taxes[i]["amount"]), "tax %d", i)
			}
		})
	}
	d := e.MustPayment(item(client, "1", "100", "", `,"currency":"USD"`))
	require.Equal(t, "17.25", string(d["exchange"]))
	require.Equal(t, `"USD"`, string(d["currency"]))
}

// TestGigstack_PaymentValidation: each bad input gets its code and a message
// naming the field, and nothing is written.
func TestGigstack_PaymentValidation(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	ok := `"clientId":"` + client + `","items":[{"name":"x","total":10}]`
	before := e.Written()
	for _, tc := range []struct {
		name, body   string
		status       int
		code         string
		details      map[string]string
		extraHeaders []string
	}{
		{"Empty", `{}`, 400, "VALIDATION_ERROR", map[string]string{
			"clientId": "Client ID is required (or a client object, or an email)", "items": "At least one item is required"}, nil},
		{"NoItems", `{"clientId":"` + client + `","items":[]}`, 400, "VALIDATION_ERROR", map[string]string{"items": "At least one item is required"}, nil},
		{"UnknownClient", `{"clientId":"client_nope","items":[{"name":"x","total":10}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"clientId": "The team has no client with this id."}, nil},
		{"UnprefixedClient", `{"clientId":"nope","items":[{"name":"x","total":10}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"clientId": "The team has no client with this id."}, nil},
		{"ClientAndClientID", `{"clientId":"` + client + `","client":{"name":"y"},"items":[{"name":"x","total":10}]}`, 400,
			"VALIDATION_ERROR", map[string]string{"client": "Give either clientId or a client object, not both"}, nil},
		{"InlineClientRFC", `{"client":{"name":"y","rfc":"123"},"items":[{"name":"x","total":10}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"client.rfc": "Not an RFC: 12 characters for a company, 13 for a person, like ROSM850315QT8."}, nil},
		{"BadEmail", `{"email":"nope","items":[{"name":"x","total":10}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"email": "Not an email address."}, nil},
		{"PaidWithoutMethod", `{` + ok + `,"paid":true}`, 400, "VALIDATION_ERROR",
			map[string]string{"paymentMethod": "paymentMethod is required when paid is true"}, nil},
		{"UnknownMethod", `{` + ok + `,"paid":true,"paymentMethod":"07"}`, 400, "VALIDATION_ERROR",
			map[string]string{"paymentMethod": "Not a payment form of the SAT catalog c_FormaPago, like 01 or 03."}, nil},
		{"PPDAndPaid", `{` + ok + `,"paid":true,"paymentMethod":"03","automateIncomeInvoiceAndComplement":true}`, 400, "VALIDATION_ERROR",
			map[string]string{"automateIncomeInvoiceAndComplement": "A PPD invoice and complement cannot be asked for a paid payment."}, nil},
		{"PPDAndMethod", `{` + ok + `,"paymentMethod":"03","automateIncomeInvoiceAndComplement":true}`, 400, "VALIDATION_ERROR",
			map[string]string{"automateIncomeInvoiceAndComplement": "A PPD invoice and complement cannot be asked with a payment form."}, nil},
		{"TwoInvoices", `{` + ok + `,"automaticInvoice":true,"automateInvoiceOnComplete":true}`, 400, "VALIDATION_ERROR",
			map[string]string{"request": "Ask for one invoice automation: automaticInvoice, invoiceOnComplete or incomeInvoiceAndComplement."}, nil},
		{"Currency", `{` + ok + `,"currency":"GBP"}`, 400, "VALIDATION_ERROR", map[string]string{"currency": "Currency must be one of MXN, USD, EUR."}, nil},
		{"NoRateSource", `{` + ok + `,"currency":"EUR"}`, 400, "VALIDATION_ERROR",
			map[string]string{"exchange": "Give the exchange rate: no exchange rate source is configured."}, nil},
		{"ExchangeZero", `{` + ok + `,"currency":"USD","exchange":0}`, 400, "VALIDATION_ERROR",
			map[string]string{"exchange": "An exchange rate is greater than zero."}, nil},
		{"ExchangeMXN", `{` + ok + `,"exchange":2}`, 400, "VALIDATION_ERROR", map[string]string{"exchange": "A payment in MXN has the exchange rate 1."}, nil},
		{"Quantity", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"quantity":0}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].quantity": "The quantity must be greater than zero."}, nil},
		{"NegativeTotal", `{"clientId":"` + client + `","items":[{"name":"x","total":-1}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].total": "Amount must be greater than zero."}, nil},
		{"TotalDecimals", `{"clientId":"` + client + `","items":[{"name":"x","total":10.001}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].total": "Amount has more than 2 decimals for MXN."}, nil},
		{"TotalAsString", `{"clientId":"` + client + `","items":[{"name":"x","total":"1500"}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items.total": "Must be a JSON number."}, nil},
		{"ItemName", `{"clientId":"` + client + `","items":[{"total":10}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].name": "This field is required"}, nil},
		{"ProductKey", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"product_key":"123"}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].product_key": "Not a product key of the SAT catalog c_ClaveProdServ: 8 digits, like 84111506."}, nil},
		{"UnitKey", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"unit_key":"UNIT"}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].unit_key": "Not a unit key of the SAT catalog c_ClaveUnidad: 1 to 3 letters and digits, like E48."}, nil},
		{"UnknownService", `{"clientId":"` + client + `","items":[{"id":"service_nope"}]}`, 400, "VALIDATION_ERROR",
			map[string]string{"items[0].id": "The team has no service with this id."}, nil},
		{"TaxType", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"taxes":[{"type":"VAT","rate":0.16}]}]}`, 400,
			"VALIDATION_ERROR", map[string]string{"items[0].taxes[0].type": "Tax type must be one of IVA, ISR, IEPS."}, nil},
		{"TaxRate", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"taxes":[{"type":"IVA","rate":16}]}]}`, 400,
			"VALIDATION_ERROR", map[string]string{"items[0].taxes[0].rate": "A rate is a fraction from 0 to 1, like 0.16 for 16 %."}, nil},
		{"TaxNoRate", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"taxes":[{"type":"IVA"}]}]}`, 400,
			"VALIDATION_ERROR", map[string]string{"items[0].taxes[0].rate": "This field is required"}, nil},
		{"ISRTransferred", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"taxes":[{"type":"ISR","rate":0.1,"withholding":false}]}]}`,
			400, "VALIDATION_ERROR", map[string]string{"items[0].taxes[0].withholding": "ISR is only ever withheld."}, nil},
		{"IVAQuota", `{"clientId":"` + client + `","items":[{"name":"x","total":10,"taxes":[{"type":"IVA","rate":1,"factor":"Cuota"}]}]}`,
			400, "VALIDATION_ERROR", map[string]string{"items[0].taxes[0].factor": "Only IEPS is charged per unit (Cuota)."}, nil},
		{"Metadata", `{` + ok + `,"metadata":[1]}`, 400, "VALIDATION_ERROR", map[string]string{"metadata": "Metadata must be a JSON object."}, nil},
		{"InternalIDNumber", `{` + ok + `,"metadata":{"internalId":5}}`, 400, "VALIDATION_ERROR",
			map[string]string{"metadata.internalId": "internalId is a string of 1 to 255 characters."}, nil},
		{"InvoiceConfig", `{` + ok + `,"invoiceConfig":"A"}`, 400, "VALIDATION_ERROR",
			map[string]string{"invoiceConfig": "The invoice configuration is a JSON object."}, nil},
		{"Date", `{` + ok + `,"date":"yesterday"}`, 400, "VALIDATION_ERROR",
			map[string]string{"date": "Must be an ISO 8601 date-time string like 2024-01-09T18:00:56.246Z (UTC when it has no offset)."}, nil},
		{"UnknownField", `{` + ok + `,"amount":1500}`, 400, "VALIDATION_ERROR", map[string]string{"amount": "Unknown field."}, nil},
		{"Malformed", `{"clientId":`, 400, "VALIDATION_ERROR", map[string]string{"body": "Malformed JSON: the body ends too early."}, nil},
		{"TeamNotMaster", `{` + ok + `,"team":"master"}`, 403, "FORBIDDEN",
			map[string]string{"team": "Only a master team may act for another team."}, []string{"Authorization", "Bearer sub-key"}},
		{"TeamOutside", `{` + ok + `,"team":"outsider"}`, 403, "FORBIDDEN",
			map[string]string{"team": `Team "outsider" is not a team of this billing account.`}, nil},
		{"TeamUnknown", `{` + ok + `,"team":"ghost"}`, 403, "FORBIDDEN",
			map[string]string{"team": `Team "ghost" is not a team of this billing account.`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.MustDo(tc.status, "POST", "/v2/payments", tc.body, tc.extraHeaders...)
			ge := gigstackError(t, r)
			require.Equal(t, tc.code, ge.Error.Code)
			require.Equal(t, tc.details, ge.Error.Details)
			require.Equal(t, before, e.Written())
		})
	}
}

// TestGigstack_InternalIDRace: of 50 concurrent creates with one
// metadata.internalId, exactly one succeeds; the internal ID is per team.
func TestGigstack_InternalIDRace(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	body := item(client, "1", "100", "", `,"metadata":{"internalId":"INV-RACE"}`)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			headers := []string{}
			if i%2 == 0 {
				headers = []string{"Idempotency-Key", fmt.Sprint("race-", i)}
			}
			statuses[i] = e.Do("POST", "/v2/payments", body, headers...).Status
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	require.Equal(t, map[int]int{200: 1, 409: 49}, count)
	ge := gigstackError(t, e.MustDo(409, "POST", "/v2/payments", body))
	require.Equal(t, "CONFLICT", ge.Error.Code)
	require.Equal(t, map[string]string{"metadata.internalId": "The team already has a payment with this internalId."}, ge.Error.Details)
	r := e.MustDo(200, "GET", "/v2/payments", "")
	require.Equal(t, "1", string(r.JSON(t)["totalResults"]))
	// Another team may use it: the master acting for sub, with sub's client.
	subClient := e.MustClient(mariaClient, "Authorization", "Bearer sub-key")
	e.MustPayment(item(subClient, "1", "100", "", `,"team":"sub","metadata":{"internalId":"INV-RACE"}`))
}

func TestGigstack_PaymentIdempotency(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	body := item(client, "1", "100", "", "")
	a := e.MustDo(200, "POST", "/v2/payments", body, "Idempotency-Key", "k1")
	b := e.MustDo(200, "POST", "/v2/payments", body, "Idempotency-Key", "k1")
	require.Equal(t, string(a.Body), string(b.Body))
	ge := gigstackError(t, e.MustDo(409, "POST", "/v2/payments", item(client, "2", "100", "", ""), "Idempotency-Key", "k1"))
	require.Equal(t, "CONFLICT", ge.Error.Code)
	r := e.MustDo(200, "GET", "/v2/payments", "")
	require.Equal(t, "1", string(r.JSON(t)["totalResults"]))
}

// TestGigstack_MasterTeam: a master team acts for the teams of its billing
// account, and for no other.
func TestGigstack_MasterTeam(t *testing.T) {
	e := MustGigstack(t)
	subClient := e.MustClient(mariaClient, "Authorization", "Bearer sub-key")
	// The master creates a client for sub, and a payment, with the team
	// parameter of the query and of the body.
	c2 := e.MustDo(200, "POST", "/v2/clients?team=sub", `{"name":"Made by master"}`).Data(t)
	require.Equal(t, `"sub"`, string(c2["team"]))
	d := e.MustPayment(item(subClient, "1", "2500", "", `,"team":"sub","metadata":{"masterTeamPayment":"true","internalId":"MASTER-SUB-001"}`))
	require.Equal(t, `"sub"`, string(d["team"]))
	require.Equal(t, `"master"`, string(d["owner"]))
	require.Equal(t, "250000", string(d["amount"]))
	id := str(t, d["id"])
	e.MustDo(200, "GET", "/v2/payments/"+id, "", "Authorization", "Bearer sub-key")
	e.MustDo(200, "GET", "/v2/payments/"+id+"?team=sub", "")
	e.MustDo(200, "POST", "/v2/payments?team=sub", item(subClient, "1", "1", "", ""))
	// Without the team, the master's own: sub's client is not its.
	ge := gigstackError(t, e.MustDo(400, "POST", "/v2/payments", item(subClient, "1", "10", "", "")))
	require.Equal(t, map[string]string{"clientId": "The team has no client with this id."}, ge.Error.Details)
	e.MustDo(404, "GET", "/v2/payments/"+id, "")
	ge = gigstackError(t, e.MustDo(400, "POST", "/v2/payments?team=vendor", item(subClient, "1", "10", "", `,"team":"sub"`)))
	require.Equal(t, map[string]string{"team": "The query's team and the body's differ."}, ge.Error.Details)

	// Nobody reaches outside the billing account, nor acts without being a master.
	for _, tc := range []struct{ key, path string }{
		{"master-key", "/v2/payments?team=outsider"},
		{"master-key", "/v2/clients?team=ghost"},
		{"out-key", "/v2/payments?team=sub"},
		{"out-key", "/v2/payments/" + id + "?team=sub"},
		{"sub-key", "/v2/payments?team=master"},
		{"sub-key", "/v2/ping?team=vendor"},
	} {
		ge := gigstackError(t, e.MustDo(403, "GET", tc.path, "", "Authorization", "Bearer "+tc.key))
		require.Equal(t, "FORBIDDEN", ge.Error.Code, tc.path)
		require.Equal(t, "Access denied", ge.Message)
		require.Contains(t, ge.Error.Details, "team")
	}
	// The outsider cannot see sub's payment, under any name.
	e.MustDo(404, "GET", "/v2/payments/"+id, "", "Authorization", "Bearer out-key")
}

// TestGigstack_SplitBilling: a master's payment whose metadata names a
// connected team is split when it succeeds: the master keeps its percentage,
// rounded half-up to the cent, and the connected team gets the rest, with no
// cent lost or invented.
func TestGigstack_SplitBilling(t *testing.T) {
	e := MustGigstack(t)
	ctx := context.Background()
	client := e.MustClient(mariaClient)
	configure := func(percent string) {
		t.Helper()
		_, err := e.Service.ConfigureTeam(ctx, "master", paykit.TeamSettings{BillingAccountID: "ba_main", Master: true,
			Split: paykit.SplitBilling{Enabled: true, MasterPercent: decimal.RequireFromString(percent),
				MetadataKeys: []string{"vendor_id", "vendor_code"}, MasterClient: "client", ConnectClient: "master"}})
		require.NoError(t, err)
	}
	var masterSum, vendorSum int64
	for _, tc := range []struct {
		percent, total, meta string
		master, connect      int64
		split                string
	}{
		{"10", "10000", `"vendor_id":"vendor"`, 100000, 900000, "90"},
		{"10", "100.05", `"vendor_id":"vendor"`, 1001, 9004, "90"}, // 1000.5 → 1001
		{"33.333", "0.10", `"vendor_code":"ABC123"`, 3, 7, "66.667"},
		{"12.5", "0.04", `"vendor_id":"vendor"`, 1, 3, "87.5"}, // 0.5 → 1
		{"0", "50", `"vendor_id":"vendor"`, 0, 5000, "100"},
		{"100", "50", `"vendor_id":"vendor"`, 5000, 0, "0"},
		{"7", "333.33", `"vendor_code":"ABC123","vendor_id":"vendor"`, 2333, 31000, "93"}, // 2333.31 → 2333
	} {
		t.Run(tc.percent+"of"+tc.total, func(t *testing.T) {
			configure(tc.percent)
			d := e.MustPayment(item(client, "1", tc.total, "", `,"metadata":{`+tc.meta+`,"transaction_type":"marketplace"}`))
			require.JSONEq(t, `{"destination":"vendor","split":`+tc.split+`,"splitType":{"master":"client","connect":"master"}}`,
				string(d["transfer_data"]))
			require.Equal(t, fmt.Sprint(tc.master+tc.connect), string(d["amount"]))
			// Nothing moves before success.
			require.Equal(t, masterSum, e.Sales("master"))
			require.Equal(t, vendorSum, e.Sales("vendor"))
			r := e.Move(str(t, d["id"]), "succeeded")
			require.Equal(t, 200, r.Status, "%s", r.Body)
			masterSum += tc.master
			vendorSum += tc.connect
			require.Equal(t, masterSum, e.Sales("master"))
			require.Equal(t, vendorSum, e.Sales("vendor"))
		})
	}
	configure("10")
	t.Run("Canceled", func(t *testing.T) {
		d := e.MustPayment(item(client, "1", "99", "", `,"metadata":{"vendor_id":"vendor"}`))
		r := e.Move(str(t, d["id"]), "canceled")
		require.Equal(t, 200, r.Status, "%s", r.Body)
		require.Equal(t, masterSum, e.Sales("master"))
		require.Equal(t, vendorSum, e.Sales("vendor"))
	})
	t.Run("Paid", func(t *testing.T) {
		d := e.MustPayment(item(client, "1", "10", "", `,"paid":true,"paymentMethod":"03","metadata":{"vendor_id":"vendor"}`))
		require.Equal(t, `"succeeded"`, string(d["status"]))
		require.Equal(t, masterSum+100, e.Sales("master"))
		require.Equal(t, vendorSum+900, e.Sales("vendor"))
	})
	t.Run("NoTrigger", func(t *testing.T) {
		d := e.MustPayment(item(client, "1", "10", "", `,"metadata":{"vendor":"vendor","vendor_id":""}`))
		require.NotContains(t, d, "transfer_data")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		before := e.Written()
		for meta, msg := range map[string]string{
			`"vendor_id":"outsider"`: `No team of this billing account has the id or the metadata vendor_id "outsider".`,
			`"vendor_id":"ghost"`:    `No team of this billing account has the id or the metadata vendor_id "ghost".`,
			`"vendor_code":"XYZ"`:    `No team of this billing account has the id or the metadata vendor_code "XYZ".`,
			`"vendor_id":"master"`:   "A team cannot split a payment with itself.",
		} {
			ge := gigstackError(t, e.MustDo(400, "POST", "/v2/payments", item(client, "1", "10", "", `,"metadata":{`+meta+`}`)))
			field := "metadata." + strings.Trim(strings.SplitN(meta, ":", 2)[0], `"`)
			require.Equal(t, map[string]string{field: msg}, ge.Error.Details)
		}
		require.Equal(t, before, e.Written())
	})
	t.Run("SubTeamHasNoSplit", func(t *testing.T) {
		subClient := e.MustClient(mariaClient, "Authorization", "Bearer sub-key")
		d := e.MustPayment(item(subClient, "1", "10", "", `,"team":"sub","metadata":{"vendor_id":"vendor"}`))
		require.NotContains(t, d, "transfer_data")
	})
}

// TestGigstack_ListPayments: pages by starting_after, sorted and filtered.
func TestGigstack_ListPayments(t *testing.T) {
	e := MustGigstack(t)
	maria := e.MustClient(mariaClient)
	other := e.MustClient(`{"name":"Other","rfc":"XAXX010101000"}`)
	var ids []string
	for i := range 23 {
		client := maria
		if i%4 == 0 {
			client = other
		}
		d := e.MustPayment(item(client, "1", fmt.Sprint(100+i%5), "", ""))
		ids = append(ids, str(t, d["id"]))
		e.Clock.Add(1000000) // a millisecond
	}
	e.Move(ids[3], "canceled")

	t.Run("Pages", func(t *testing.T) {
		var got []string
		path := "/v2/payments"
		for page := 0; ; page++ {
			r := e.MustDo(200, "GET", path, "")
			j := r.JSON(t)
			require.Equal(t, []string{"data", "message", "totalResults", "hasMore", "next"}, topKeys(t, r.Body))
			require.Equal(t, "23", string(j["totalResults"]))
			var data []map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(j["data"], &data))
			for _, d := range data {
				got = append(got, str(t, d["id"]))
			}
			if string(j["hasMore"]) == "false" {
				require.Equal(t, "null", string(j["next"]))
				require.Len(t, data, 3)
				break
			}
			require.Len(t, data, 10) // the default limit
			require.Equal(t, `"`+got[len(got)-1]+`"`, string(j["next"]))
			path = "/v2/payments?starting_after=" + str(t, j["next"])
		}
		want := make([]string, len(ids))
		for i, id := range ids {
			want[len(ids)-1-i] = id // newest first
		}
		require.Equal(t, want, got)
	})
	t.Run("Summary", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/v2/payments?limit=1&order_direction=asc", "")
		var data []json.RawMessage
		require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &data))
		require.Equal(t, []string{"id", "amount", "status", "clientId", "currency", "timestamp", "client", "shortURL"}, topKeys(t, data[0]))
		require.Contains(t, string(data[0]), `"client":{"name":"Other","rfc":"XAXX010101000"}`)
		require.Contains(t, string(data[0]), `"id":"`+ids[0]+`"`)
	})
	count := func(query string) string {
		t.Helper()
		return string(e.MustDo(200, "GET", "/v2/payments?"+query, "").JSON(t)["totalResults"])
	}
	t.Run("Filters", func(t *testing.T) {
		require.Equal(t, "1", count("status=canceled"))
		require.Equal(t, "22", count("status=requires_payment_method"))
		require.Equal(t, "6", count("clientId="+other))
		require.Equal(t, "6", count("rfc=xaxx010101000"))
		require.Equal(t, "17", count("clientId="+maria))
		require.Equal(t, "5", count("amount=10000"))
		require.Equal(t, "0", count("amount=100"))
		require.Equal(t, "0", count("clientId=nope"))
		require.Equal(t, "23", count("limit=100"))
	})
	t.Run("OrderByAmount", func(t *testing.T) {
		var amounts []int64
		path := "/v2/payments?order_by=amount&order_direction=asc&limit=7"
		for {
			j := e.MustDo(200, "GET", path, "").JSON(t)
			var data []struct{ Amount int64 }
			require.NoError(t, json.Unmarshal(j["data"], &data))
			for _, d := range data {
				amounts = append(amounts, d.Amount)
			}
			if string(j["hasMore"]) == "false" {
				break
			}
			path = "/v2/payments?order_by=amount&order_direction=asc&limit=7&starting_after=" + str(t, j["next"])
		}
		require.Len(t, amounts, 23)
		for i := 1; i < len(amounts); i++ {
			require.LessOrEqual(t, amounts[i-1], amounts[i])
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for query, field := range map[string]string{
			"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "order_by=name": "order_by",
			"order_direction=up": "order_direction", "amount=1.5": "amount", "status=completed": "status",
		} {
			ge := gigstackError(t, e.MustDo(400, "GET", "/v2/payments?"+query, ""))
			require.Equal(t, "VALIDATION_ERROR", ge.Error.Code)
			require.Contains(t, ge.Error.Details, field, query)
		}
	})
}

// TestGigstack_PaymentStatuses: the processor moves a payment through the
// seed's statuses as its lifecycle allows.
func TestGigstack_PaymentStatuses(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	id := str(t, e.MustPayment(item(client, "1", "100", "", ""))["id"])
	for _, st := range []string{"requires_confirmation", "requires_action", "requires_payment_method", "processing",
		"requires_capture", "succeeded"} {
		r := e.Move(id, st)
		require.Equal(t, 200, r.Status, "%s: %s", st, r.Body)
		require.Equal(t, `"`+st+`"`, string(r.Data(t)["status"]))
	}
	d := e.MustDo(200, "GET", "/v2/payments/"+id, "").Data(t)
	require.Equal(t, fmt.Sprint(start.UnixMilli()), string(d["succeededTimestamp"]))
	require.Equal(t, int64(10000), e.Sales("master"))
	ge := gigstackError(t, e.Move(id, "canceled"))
	require.Equal(t, "CONFLICT", ge.Error.Code)
	require.Equal(t, "Payment "+strings.TrimPrefix(id, "pay_")+" is succeeded and cannot become canceled", ge.Error.Message)

	id2 := str(t, e.MustPayment(item(client, "1", "100", "", ""))["id"])
	r := e.Move(id2, "processing")
	require.Equal(t, 200, r.Status)
	require.Equal(t, 409, e.Move(id2, "canceled").Status) // a processing payment cannot be canceled
	ge = gigstackError(t, e.Move(id2, "completed"))
	require.Equal(t, "VALIDATION_ERROR", ge.Error.Code)
	require.Equal(t, 404, e.Move("pay_nope", "succeeded").Status)
	require.Equal(t, 200, e.Move(id2, "requires_payment_method").Status)
	require.Equal(t, 200, e.Move(id2, "canceled").Status)
	require.Equal(t, int64(10000), e.Sales("master"))
}

// TestGigstack_GigPayUnchanged: a tenant's gigstack payments are not GigPay's
// payments: GigPay's list and get do not show them.
func TestGigstack_GigPayUnchanged(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	d := e.MustPayment(item(client, "1", "100", "", ""))
	gigpay := httpapi.NewGigPay(e.Service)
	auth := []string{"Authorization", "Bearer master-key"}
	r := serve(gigpay, "GET", "/api/v1/payments", "", auth...)
	require.Equal(t, 200, r.Status)
	require.JSONEq(t, `{"data":[],"hasMore":false,"nextCursor":null}`, string(r.Body))
	r = serve(gigpay, "GET", "/api/v1/payments?status=processing", "", auth...)
	require.JSONEq(t, `{"data":[],"hasMore":false,"nextCursor":null}`, string(r.Body))
	id := strings.TrimPrefix(str(t, d["id"]), "pay_")
	r = serve(gigpay, "GET", "/api/v1/payments/"+id, "", auth...)
	require.Equal(t, 404, r.Status, "%s", r.Body)
	r = serve(gigpay, "GET", "/api/v1/payments?type=charge", "", auth...)
	require.Equal(t, 400, r.Status)
	require.Contains(t, string(r.Body), "Type must be one of deposit, transfer, withdrawal.")
}
