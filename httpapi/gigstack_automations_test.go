package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

// gigstackHook is a webhook receiver of the master team: it verifies every
// delivery's X-Gigstack-Signature and keeps the bodies.
type gigstackHook struct {
	e      *GigstackEnv
	mu     sync.Mutex
	bodies []struct {
		Event string                     `json:"event"`
		Data  map[string]json.RawMessage `json:"data"`
	}
}

// mustHook subscribes a receiver to events.
func (e *GigstackEnv) mustHook(events string) *gigstackHook {
	e.tb.Helper()
	h := &gigstackHook{e: e}
	var secret string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := signing.VerifyGigstack(r.Header.Get("X-Gigstack-Signature"), b, secret); err != nil {
			e.tb.Errorf("delivery %s: %v", b, err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies = append(h.bodies, struct {
			Event string                     `json:"event"`
			Data  map[string]json.RawMessage `json:"data"`
		}{})
		if err := json.Unmarshal(b, &h.bodies[len(h.bodies)-1]); err != nil {
			e.tb.Errorf("delivery %s: %v", b, err)
		}
	}))
	e.tb.Cleanup(rcv.Close)
	secret = str(e.tb, e.MustDo(200, "POST", "/v2/webhooks", `{"url":"`+rcv.URL+`","events":`+events+`}`).Data(e.tb)["secret"])
	return h
}

// events delivers what is due and returns the events received so far, each
// with its data's id (a payment's, an invoice's or a receipt's) and status.
func (h *gigstackHook) events() [][3]string {
	h.e.tb.Helper()
	require.NoError(h.e.tb, h.e.Service.RunDue(context.Background()))
	h.mu.Lock()
	defer h.mu.Unlock()
	var out [][3]string
	for _, b := range h.bodies {
		id := b.Data["id"]
		if id == nil {
			id = b.Data["payment"]
		}
		out = append(out, [3]string{b.Event, str(h.e.tb, id), string(b.Data["status"])})
	}
	return out
}

// invoices returns the uuids of a payment's invoices.
func invoicesOf(tb testing.TB, d map[string]json.RawMessage) []string {
	tb.Helper()
	var ids []string
	require.NoError(tb, json.Unmarshal(d["invoices"], &ids))
	return ids
}

func TestGigstack_Automations(t *testing.T) {
	e := MustGigstack(t, local)
	client := e.MustClient(mariaClient)
	hook := e.mustHook(`["invoice.created","invoice.canceled","invoice.failed","receipt.created","receipt.updated","receipt.deleted"]`)
	iva := `[{"type":"IVA","rate":0.16,"factor":"Tasa"}]`

	t.Run("AutomaticInvoice", func(t *testing.T) {
		// Unpaid: the PUE invoice waits for the payment.
		p := e.MustPayment(item(client, "3", "33.33", iva, `,"automaticInvoice":true`))
		id := str(t, p["id"])
		require.Empty(t, invoicesOf(t, p))
		d := e.Move(id, "succeeded").Data(t)
		inv := invoicesOf(t, d)
		require.Len(t, inv, 1)
		require.Equal(t, inv, invoicesOf(t, e.MustDo(200, "GET", "/v2/payments/"+id, "").Data(t)))
		i := e.MustDo(200, "GET", "/v2/invoices/income/"+inv[0], "").Data(t)
		// 3 × 33.33 with IVA inside: 99.99 = 86.20 + 13.79, the payment's 9999 cents.
		require.Equal(t, "9999", string(d["amount"]))
		require.Equal(t, [3]string{"86.2", "99.99", "0"}, invoiceTotals(t, i))
		require.Equal(t, []string{`"PUE"`, `"31"`, `"` + id + `"`, `"invoice"`},
			[]string{string(i["payment_method"]), string(i["payment_form"]), string(i["payment"]), string(i["automation"])})
		requireSums(t, e.mustCFDI("/v2/invoices/income/"+inv[0]))
		var autos []map[string]string
		require.NoError(t, json.Unmarshal(d["automations"], &autos))
		require.Equal(t, inv[0], autos[0]["invoice"])

		// Paid: issued at creation, in its payment form.
		p = e.MustPayment(item(client, "1", "25000", "", `,"paid":true,"paymentMethod":"01","automateInvoiceOnComplete":true`))
		inv = invoicesOf(t, p)
		require.Len(t, inv, 1)
		i = e.MustDo(200, "GET", "/v2/invoices/income/"+inv[0], "").Data(t)
		require.Equal(t, [3]string{"25000", "25000", "0"}, invoiceTotals(t, i))
		require.Equal(t, `"01"`, string(i["payment_form"]))

		// A canceled payment gets none.
		p = e.MustPayment(item(client, "1", "10", "", `,"automateInvoiceOnComplete":true,"invoiceConfig":{"series":"W"}`))
		d = e.Move(str(t, p["id"]), "canceled").Data(t)
		require.Empty(t, invoicesOf(t, d))
		// invoiceConfig's series is the invoice's.
		p = e.MustPayment(item(client, "1", "10", "", `,"automaticInvoice":true,"invoiceConfig":{"series":"W","use":"G03"}`))
		inv = invoicesOf(t, e.Move(str(t, p["id"]), "succeeded").Data(t))
		i = e.MustDo(200, "GET", "/v2/invoices/income/"+inv[0], "").Data(t)
		require.Equal(t, []string{`"W"`, "1", `"G03"`}, []string{string(i["series"]), string(i["folio_number"]), string(i["use"])})
	})

	t.Run("PPDAndComplement", func(t *testing.T) {
		p := e.MustPayment(item(client, "1", "1160", `[{"type":"IVA","rate":0.16,"factor":"Tasa"}]`,
			`,"automateIncomeInvoiceAndComplement":true`))
		id := str(t, p["id"])
		inv := invoicesOf(t, p)
		require.Len(t, inv, 1)
		ppd := e.MustDo(200, "GET", "/v2/invoices/income/"+inv[0], "").Data(t)
		require.Equal(t, [3]string{"1000", "1160", "1160"}, invoiceTotals(t, ppd))
		require.Equal(t, []string{`"PPD"`, `"99"`}, []string{string(ppd["payment_method"]), string(ppd["payment_form"])})
		doc := e.mustCFDI("/v2/invoices/income/" + inv[0])
		require.Equal(t, []string{"PPD", "99"}, []string{doc.MetodoPago, doc.FormaPago})

		d := e.Move(id, "succeeded").Data(t)
		inv = invoicesOf(t, d)
		require.Len(t, inv, 2)
		cp := e.MustDo(200, "GET", "/v2/invoices/payment/"+inv[1], "").Data(t)
		require.Equal(t, `"P"`, string(cp["invoice_type"]))
		require.Equal(t, `"P"`, string(cp["series"]))
		require.Equal(t, [3]string{"0", "0", "0"}, invoiceTotals(t, cp))
		var c map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(cp["complement"], &c))
		require.Equal(t, []string{`"` + inv[0] + `"`, "1160", "1160", "0", "1", `"31"`}, []string{string(c["invoice_uuid"]),
			string(c["amount"]), string(c["previous_balance"]), string(c["balance"]), string(c["installment"]), string(c["payment_form"])})
		require.Equal(t, "0", mustGet(t, e, "/v2/invoices/income/"+inv[0], "last_balance"))
		// The complement's XML: type P, CP01, Pagos 2.0 with the invoice paid and its taxes.
		doc = e.mustCFDI("/v2/invoices/payment/" + inv[1])
		require.Equal(t, []string{"P", "0", "0", "XXX", "", "", "CP01"}, []string{doc.TipoDeComprobante, doc.SubTotal, doc.Total,
			doc.Moneda, doc.MetodoPago, doc.FormaPago, doc.Receptor.UsoCFDI})
		require.NotNil(t, doc.Complemento.Pagos)
		pg := doc.Complemento.Pagos.Pago
		require.Equal(t, []string{"2.0", "1160.00", "1000.00", "160.00"}, []string{doc.Complemento.Pagos.Version, doc.Complemento.Pagos.Totales.MontoTotalPagos,
			doc.Complemento.Pagos.Totales.TotalTrasladosBaseIVA16, doc.Complemento.Pagos.Totales.TotalTrasladosImpuestoIVA16})
		require.Equal(t, []string{"31", "MXN", "1160.00"}, []string{pg.FormaDePagoP, pg.MonedaP, pg.Monto})
		require.Equal(t, []string{inv[0], "A", "1", "1160.00", "1160.00", "0.00", "02"}, []string{pg.Docto.IdDocumento, pg.Docto.Serie,
			pg.Docto.NumParcialidad, pg.Docto.ImpSaldoAnt, pg.Docto.ImpPagado, pg.Docto.ImpSaldoInsoluto, pg.Docto.ObjetoImpDR})
		require.Equal(t, "160.00", pg.Docto.TrasladosDR[0].ImporteDR)
		require.Equal(t, "1000.00", pg.TrasladosP[0].BaseP)

		// The PPD invoice cannot be canceled while its complement is valid;
		// canceling the complement gives its balance back.
		ge := gigstackError(t, e.MustDo(409, "DELETE", "/v2/invoices/income/"+inv[0], `{"motive":"02"}`))
		require.Equal(t, "CONFLICT", ge.Error.Code)
		e.MustDo(200, "DELETE", "/v2/invoices/payment/"+inv[1], `{"motive":"02"}`)
		require.Equal(t, "1160", mustGet(t, e, "/v2/invoices/income/"+inv[0], "last_balance"))
		d = e.MustDo(200, "DELETE", "/v2/invoices/"+inv[0]+"?motive=02", "").Data(t)
		require.Equal(t, `"cancelled"`, string(d["status"]))

		// A payment canceled before it is paid cancels its PPD invoice: motive 03.
		p = e.MustPayment(item(client, "1", "50", "", `,"automateIncomeInvoiceAndComplement":true`))
		inv = invoicesOf(t, p)
		e.Move(str(t, p["id"]), "canceled")
		d = e.MustDo(200, "GET", "/v2/invoices/income/"+inv[0], "").Data(t)
		require.Equal(t, `"cancelled"`, string(d["status"]))
		require.JSONEq(t, `{"motive":"03","substitution_uuid":null,"canceled_at":`+string(d["created_at"])+`}`, string(d["cancellation"]))
	})

	t.Run("ComplementFails", func(t *testing.T) {
		// The PPD invoice canceled by hand: the complement cannot be issued,
		// the payment succeeds anyway, and invoice.failed says why.
		p := e.MustPayment(item(client, "1", "70", "", `,"automateIncomeInvoiceAndComplement":true`))
		id, inv := str(t, p["id"]), invoicesOf(t, p)
		e.MustDo(200, "DELETE", "/v2/invoices/income/"+inv[0], `{"motive":"02"}`)
		d := e.Move(id, "succeeded").Data(t)
		require.Equal(t, `"succeeded"`, string(d["status"]))
		require.Equal(t, inv, invoicesOf(t, d))
		require.Contains(t, string(d["automations"]), `"failure":"The PPD invoice `)
		require.Contains(t, hook.events(), [3]string{"invoice.failed", id, ""})
	})

	t.Run("ForceReceipt", func(t *testing.T) {
		p := e.MustPayment(item(client, "2", "100", iva, `,"forceReceipt":true`))
		id := str(t, p["id"])
		r := e.MustDo(200, "GET", "/v2/receipts?payment_id="+id, "").JSON(t)
		require.Equal(t, "1", string(r["total_results"]))
		var rs []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(r["data"], &rs))
		rid := str(t, rs[0]["id"])
		require.Equal(t, []string{`"pending"`, "200", `"` + id + `"`}, []string{string(rs[0]["status"]), string(rs[0]["total"]), string(rs[0]["payment"])})
		e.Move(id, "succeeded")
		d := e.MustDo(200, "GET", "/v2/receipts/"+rid, "").Data(t)
		require.Equal(t, []string{`"open"`, `"31"`}, []string{string(d["status"]), string(d["payment_form"])})
		// The client invoices it: PUE of the payment's lines.
		i := e.MustDo(200, "POST", "/v2/receipts/"+rid+"/stamp", "").Data(t)
		require.Equal(t, [3]string{"172.41", "200", "0"}, invoiceTotals(t, i)) // 172.41 + 27.59
		require.Equal(t, []string{`"` + rid + `"`, `"` + id + `"`}, []string{string(i["receipt"]), string(i["payment"])})
		require.Equal(t, `"invoiced"`, mustGet(t, e, "/v2/receipts/"+rid, "status"))

		// Canceled with its payment.
		p = e.MustPayment(item(client, "1", "5", "", `,"forceReceipt":true,"automaticInvoice":true`))
		id = str(t, p["id"])
		e.Move(id, "canceled")
		r = e.MustDo(200, "GET", "/v2/receipts?payment_id="+id, "").JSON(t)
		require.Contains(t, string(r["data"]), `"status":"cancelled"`)
		// A paid one is open at once; with an invoice of its payment, it cannot be stamped.
		p = e.MustPayment(item(client, "1", "5", "", `,"paid":true,"paymentMethod":"03","forceReceipt":true,"automaticInvoice":true`))
		var autos []map[string]string
		require.NoError(t, json.Unmarshal(p["automations"], &autos))
		require.Len(t, autos, 2)
		rid = autos[1]["receipt"]
		require.Equal(t, `"open"`, mustGet(t, e, "/v2/receipts/"+rid, "status"))
		ge := gigstackError(t, e.MustDo(409, "POST", "/v2/receipts/"+rid+"/stamp", ""))
		require.Contains(t, ge.Error.Message, "is invoiced already")
	})

	t.Run("ErrNotInvoiceable", func(t *testing.T) {
		noTax := e.MustClient(`{"name":"Juan","rfc":"PEJU850315QT8"}`)
		before := e.Written()
		for body, field := range map[string]string{
			item(noTax, "1", "10", "", `,"automaticInvoice":true`):                                 "client.tax_system",
			item(client, "1", "10", "", `,"automaticInvoice":true,"invoiceConfig":{"folio":7}`):    "invoiceConfig.folio",
			item(client, "1", "10", "", `,"automaticInvoice":true,"invoiceConfig":{"type":"E"}`):   "invoiceConfig.type",
			item(client, "1", "10", "", `,"automaticInvoice":true,"invoiceConfig":{"use":"CN01"}`): "invoiceConfig.use",
		} {
			ge := gigstackError(t, e.MustDo(400, "POST", "/v2/payments", body))
			require.Contains(t, ge.Error.Details, field, body)
		}
		require.Equal(t, before, e.Written())
		// A team without a fiscal identity: 409 on team, nothing written.
		out := e.MustClient(`{"name":"Ana","email":"ana@example.com"}`, "Authorization", "Bearer out-key")
		ge := gigstackError(t, e.MustDo(409, "POST", "/v2/payments", item(out, "1", "10", "", `,"automaticInvoice":true`),
			"Authorization", "Bearer out-key"))
		require.Contains(t, ge.Error.Details, "team")
		e.MustDo(200, "POST", "/v2/payments", item(out, "1", "10", "", ``), "Authorization", "Bearer out-key")
	})

	t.Run("Events", func(t *testing.T) {
		var seen = map[string]bool{}
		for _, ev := range hook.events() {
			seen[ev[0]] = true
		}
		for _, name := range []string{"invoice.created", "invoice.canceled", "invoice.failed", "receipt.created", "receipt.updated"} {
			require.True(t, seen[name], "%s not delivered: %v", name, seen)
		}
	})
}

// mustGet returns the field of the data of GET path, as its raw JSON.
func mustGet(tb testing.TB, e *GigstackEnv, path, field string) string {
	tb.Helper()
	return string(e.MustDo(200, "GET", path, "").Data(tb)[field])
}

func TestGigstack_CancelInvoice(t *testing.T) {
	e := MustGigstack(t, local)
	client := e.MustClient(mariaClient)
	hook := e.mustHook(`["invoice.created","invoice.canceled"]`)
	body := `{"client":{"id":"` + client + `"},"payment_form":"03","items":[{"description":"Item","unit_price":100}]}`
	first := str(t, e.MustDo(200, "POST", "/v2/invoices/income", body).Data(t)["id"])
	second := str(t, e.MustDo(200, "POST", "/v2/invoices/income", body).Data(t)["id"])
	third := str(t, e.MustDo(200, "POST", "/v2/invoices/income", body).Data(t)["id"])

	for _, tc := range []struct {
		body, field string
	}{
		{`{}`, "motive"},
		{`{"motive":"05"}`, "motive"},
		{`{"motive":"01"}`, "substitution_uuid"},
		{`{"motive":"01","substitution_uuid":"` + first + `"}`, "substitution_uuid"},                        // itself
		{`{"motive":"01","substitution_uuid":"0192f0c8-0000-7000-8000-000000000000"}`, "substitution_uuid"}, // none
		{`{"motive":"02","substitution_uuid":"` + second + `"}`, "substitution_uuid"},
		{`{"motive":"02","folio":1}`, "folio"},
	} {
		ge := gigstackError(t, e.MustDo(400, "DELETE", "/v2/invoices/income/"+first, tc.body))
		require.Contains(t, ge.Error.Details, tc.field, tc.body)
	}
	require.Equal(t, `"valid"`, mustGet(t, e, "/v2/invoices/income/"+first, "status"))

	// Motive 01: replaced by a valid invoice (the CLI's "replacement" works too).
	d := e.MustDo(200, "DELETE", "/v2/invoices/income/"+first, `{"motive":"01","replacement":"`+second+`"}`).Data(t)
	require.Equal(t, `"cancelled"`, string(d["status"]))
	var c map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(d["cancellation"], &c))
	require.Equal(t, []string{`"01"`, `"` + second + `"`}, []string{string(c["motive"]), string(c["substitution_uuid"])})
	ge := gigstackError(t, e.MustDo(409, "DELETE", "/v2/invoices/income/"+first, `{"motive":"02"}`))
	require.Equal(t, "Invoice "+first+" is canceled already", ge.Error.Message)
	// A canceled invoice substitutes nothing.
	ge = gigstackError(t, e.MustDo(400, "DELETE", "/v2/invoices/income/"+third, `{"motive":"01","substitution_uuid":"`+first+`"}`))
	require.Contains(t, ge.Error.Details["substitution_uuid"], "canceled")
	// Other motives, by query too.
	e.MustDo(200, "DELETE", "/v2/invoices/income/"+third+"?motive=03", "")
	e.MustDo(404, "DELETE", "/v2/invoices/income/0192f0c8-0000-7000-8000-000000000000", `{"motive":"02"}`)
	e.MustDo(404, "DELETE", "/v2/invoices/income/"+second, `{"motive":"02"}`, "Authorization", "Bearer sub-key")
	require.Equal(t, "2", string(e.MustDo(200, "GET", "/v2/invoices/income?status=cancelled", "").JSON(t)["total_results"]))
	require.ElementsMatch(t, [][3]string{{"invoice.created", first, `"valid"`}, {"invoice.created", second, `"valid"`},
		{"invoice.created", third, `"valid"`}, {"invoice.canceled", first, `"cancelled"`}, {"invoice.canceled", third, `"cancelled"`}},
		hook.events())
}
