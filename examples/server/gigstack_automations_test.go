package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// invoiceIDs returns a payment's invoices.
func invoiceIDs(tb testing.TB, p map[string]json.RawMessage) []string {
	tb.Helper()
	var ids []string
	require.NoError(tb, json.Unmarshal(p["invoices"], &ids))
	return ids
}

// TestDemo_GigstackAutomations sends the seed's examples with automaticInvoice
// to the demo server: the paid one is invoiced at creation (PUE, in its
// payment form, by the demo team), the others once their payment link is
// paid; the master team example's invoice is its sub-team's. The PPD flow
// and forceReceipt go through the same server.
func TestDemo_GigstackAutomations(t *testing.T) {
	d := mustDemo(t)
	auth := []string{"Authorization", "Bearer demo"}
	invoice := func(id, team string) map[string]json.RawMessage {
		t.Helper()
		path := "/gigstack/v2/invoices/income/" + id
		if team != "" {
			path += "?team=" + team
		}
		inv, _ := gigstackData(t, d.mustDo(200, "GET", path, "", auth...))
		return inv
	}

	t.Run("Paid", func(t *testing.T) {
		p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments", seedPaid, auth...))
		ids := invoiceIDs(t, p)
		require.Len(t, ids, 1)
		inv := invoice(ids[0], "")
		require.Equal(t, []string{"25000", "25000", `"PUE"`, `"01"`, `"A"`, `"DEM190101AB1"`},
			[]string{string(inv["subtotal"]), string(inv["total"]), string(inv["payment_method"]), string(inv["payment_form"]),
				string(inv["series"]), string(mustField(t, inv["issuer"], "tax_id"))})
	})

	t.Run("Advanced", func(t *testing.T) {
		// The seed's advanced example: a new client, 16 % IVA inside 1500.
		p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments", seedAdvanced, auth...))
		require.Empty(t, invoiceIDs(t, p))
		var link string
		require.NoError(t, json.Unmarshal(p["shortURL"], &link))
		require.Equal(t, 200, d.submit(link, "pay-form").Status) // the client pays on the hosted page
		id := strings.Trim(string(p["id"]), `"`)
		p, _ = gigstackData(t, d.mustDo(200, "GET", "/gigstack/v2/payments/"+id, "", auth...))
		ids := invoiceIDs(t, p)
		require.Len(t, ids, 1)
		inv := invoice(ids[0], "")
		require.Equal(t, []string{"1293.1", "1500", `"31"`, `"ROSM850315QT8"`, `"601"`, `"G01"`},
			[]string{string(inv["subtotal"]), string(inv["total"]), string(inv["payment_form"]),
				string(mustField(t, inv["client"], "tax_id")), string(mustField(t, inv["client"], "tax_system")),
				string(mustField(t, inv["client"], "use"))})
		// Its XML: the seed's item, its IVA, the sums.
		r := d.mustDo(200, "GET", "/gigstack/v2/invoices/income/"+ids[0]+"?file_type=xml", "", auth...)
		require.Contains(t, string(r.Body), "<!-- UNSTAMPED:")
		var doc struct {
			SubTotal  string `xml:"SubTotal,attr"`
			Total     string `xml:"Total,attr"`
			Conceptos []struct {
				ClaveProdServ string `xml:"ClaveProdServ,attr"`
				Descripcion   string `xml:"Descripcion,attr"`
				Importe       string `xml:"Importe,attr"`
			} `xml:"Conceptos>Concepto"`
			Impuestos struct {
				TotalImpuestosTrasladados string `xml:"TotalImpuestosTrasladados,attr"`
			} `xml:"Impuestos"`
		}
		require.NoError(t, xml.NewDecoder(bytes.NewReader(r.Body)).Decode(&doc))
		require.Equal(t, []string{"1293.10", "1500.00", "206.90", "43232408", "Monthly Software License", "1293.10"},
			[]string{doc.SubTotal, doc.Total, doc.Impuestos.TotalImpuestosTrasladados, doc.Conceptos[0].ClaveProdServ,
				doc.Conceptos[0].Descripcion, doc.Conceptos[0].Importe})
	})

	t.Run("MasterTeam", func(t *testing.T) {
		p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments", seedMasterTeam, auth...))
		id := strings.Trim(string(p["id"]), `"`)
		r := d.mustDo(200, "POST", "/sandbox/gigstack/payments/"+id+"/succeeded?team=team_9ZwE3pF8qKmJ7xL", "", auth...)
		p, _ = gigstackData(t, r)
		ids := invoiceIDs(t, p)
		require.Len(t, ids, 1)
		// The sub-team's invoice, with the sub-team's own folios.
		inv := invoice(ids[0], "team_9ZwE3pF8qKmJ7xL")
		require.Equal(t, []string{"5000", "1", `"DST190101AB2"`, `"team_9ZwE3pF8qKmJ7xL"`},
			[]string{string(inv["total"]), string(inv["folio_number"]), string(mustField(t, inv["issuer"], "tax_id")), string(inv["team"])})
		d.mustDo(404, "GET", "/gigstack/v2/invoices/income/"+ids[0], "", auth...)
	})

	t.Run("PPDAndReceipt", func(t *testing.T) {
		body := strings.Replace(seedBasic, `"currency": "MXN",`, `"currency": "MXN", "automateIncomeInvoiceAndComplement": true, "forceReceipt": true,`, 1)
		require.NotEqual(t, seedBasic, body)
		p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments", body, auth...))
		id := strings.Trim(string(p["id"]), `"`)
		ids := invoiceIDs(t, p)
		require.Len(t, ids, 1)
		require.Equal(t, `"PPD"`, string(invoice(ids[0], "")["payment_method"]))
		list := d.mustDo(200, "GET", "/gigstack/v2/receipts?payment_id="+id, "", auth...)
		require.Contains(t, string(list.Body), `"status":"pending"`)
		p, _ = gigstackData(t, d.mustDo(200, "POST", "/sandbox/gigstack/payments/"+id+"/succeeded", "", auth...))
		ids = invoiceIDs(t, p)
		require.Len(t, ids, 2)
		cp, _ := gigstackData(t, d.mustDo(200, "GET", "/gigstack/v2/invoices/payment/"+ids[1], "", auth...))
		require.Equal(t, "1500", string(mustField(t, cp["complement"], "amount")))
		require.Equal(t, "0", string(invoice(ids[0], "")["last_balance"]))
		list = d.mustDo(200, "GET", "/gigstack/v2/receipts?payment_id="+id, "", auth...)
		require.Contains(t, string(list.Body), `"status":"open"`)
		// The end of January in Mexico City: the receipt lapses.
		d.clock.Add(24 * 24 * time.Hour)
		d.runDue()
		list = d.mustDo(200, "GET", "/gigstack/v2/receipts?status=expired", "", auth...)
		require.Contains(t, string(list.Body), id)
	})
}

// mustField returns a field of a JSON object.
func mustField(tb testing.TB, raw json.RawMessage, field string) json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(raw, &m), "%s", raw)
	return m[field]
}
