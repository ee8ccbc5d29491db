package httpapi_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// cfdiTax is a Traslado or Retencion of the CFDI XML.
type cfdiTax struct {
	Base       string `xml:"Base,attr"`
	Impuesto   string `xml:"Impuesto,attr"`
	TipoFactor string `xml:"TipoFactor,attr"`
	TasaOCuota string `xml:"TasaOCuota,attr"`
	Importe    string `xml:"Importe,attr"`
}

// cfdiDoc is the CFDI 4.0 XML as a test reads it, namespaces resolved.
type cfdiDoc struct {
	XMLName           xml.Name `xml:"http://www.sat.gob.mx/cfd/4 Comprobante"`
	Version           string   `xml:"Version,attr"`
	Serie             string   `xml:"Serie,attr"`
	Folio             string   `xml:"Folio,attr"`
	Fecha             string   `xml:"Fecha,attr"`
	FormaPago         string   `xml:"FormaPago,attr"`
	SubTotal          string   `xml:"SubTotal,attr"`
	Moneda            string   `xml:"Moneda,attr"`
	TipoCambio        string   `xml:"TipoCambio,attr"`
	Total             string   `xml:"Total,attr"`
	TipoDeComprobante string   `xml:"TipoDeComprobante,attr"`
	Exportacion       string   `xml:"Exportacion,attr"`
	MetodoPago        string   `xml:"MetodoPago,attr"`
	LugarExpedicion   string   `xml:"LugarExpedicion,attr"`
	Sello             *string  `xml:"Sello,attr"`
	Emisor            struct {
		Rfc           string `xml:"Rfc,attr"`
		Nombre        string `xml:"Nombre,attr"`
		RegimenFiscal string `xml:"RegimenFiscal,attr"`
	} `xml:"http://www.sat.gob.mx/cfd/4 Emisor"`
	Receptor struct {
		Rfc                     string `xml:"Rfc,attr"`
		Nombre                  string `xml:"Nombre,attr"`
		DomicilioFiscalReceptor string `xml:"DomicilioFiscalReceptor,attr"`
		RegimenFiscalReceptor   string `xml:"RegimenFiscalReceptor,attr"`
		UsoCFDI                 string `xml:"UsoCFDI,attr"`
	} `xml:"http://www.sat.gob.mx/cfd/4 Receptor"`
	Conceptos []struct {
		ClaveProdServ string    `xml:"ClaveProdServ,attr"`
		Cantidad      string    `xml:"Cantidad,attr"`
		ClaveUnidad   string    `xml:"ClaveUnidad,attr"`
		Unidad        string    `xml:"Unidad,attr"`
		Descripcion   string    `xml:"Descripcion,attr"`
		ValorUnitario string    `xml:"ValorUnitario,attr"`
		Importe       string    `xml:"Importe,attr"`
		ObjetoImp     string    `xml:"ObjetoImp,attr"`
		Traslados     []cfdiTax `xml:"Impuestos>Traslados>Traslado"`
		Retenciones   []cfdiTax `xml:"Impuestos>Retenciones>Retencion"`
	} `xml:"Conceptos>Concepto"`
	Impuestos *struct {
		TotalImpuestosRetenidos   string    `xml:"TotalImpuestosRetenidos,attr"`
		TotalImpuestosTrasladados string    `xml:"TotalImpuestosTrasladados,attr"`
		Retenciones               []cfdiTax `xml:"Retenciones>Retencion"`
		Traslados                 []cfdiTax `xml:"Traslados>Traslado"`
	} `xml:"http://www.sat.gob.mx/cfd/4 Impuestos"`
	Complemento struct {
		Pagos *cfdiPagos `xml:"http://www.sat.gob.mx/Pagos20 Pagos"`
	} `xml:"http://www.sat.gob.mx/cfd/4 Complemento"`
}

// cfdiPagos is the Pagos 2.0 complement.
type cfdiPagos struct {
	Version string `xml:"Version,attr"`
	Totales struct {
		MontoTotalPagos             string `xml:"MontoTotalPagos,attr"`
		TotalTrasladosBaseIVA16     string `xml:"TotalTrasladosBaseIVA16,attr"`
		TotalTrasladosImpuestoIVA16 string `xml:"TotalTrasladosImpuestoIVA16,attr"`
	} `xml:"http://www.sat.gob.mx/Pagos20 Totales"`
	Pago struct {
		FechaPago    string `xml:"FechaPago,attr"`
		FormaDePagoP string `xml:"FormaDePagoP,attr"`
		MonedaP      string `xml:"MonedaP,attr"`
		Monto        string `xml:"Monto,attr"`
		Docto        struct {
			IdDocumento      string `xml:"IdDocumento,attr"`
			Serie            string `xml:"Serie,attr"`
			Folio            string `xml:"Folio,attr"`
			NumParcialidad   string `xml:"NumParcialidad,attr"`
			ImpSaldoAnt      string `xml:"ImpSaldoAnt,attr"`
			ImpPagado        string `xml:"ImpPagado,attr"`
			ImpSaldoInsoluto string `xml:"ImpSaldoInsoluto,attr"`
			ObjetoImpDR      string `xml:"ObjetoImpDR,attr"`
			TrasladosDR      []struct {
				BaseDR       string `xml:"BaseDR,attr"`
				ImpuestoDR   string `xml:"ImpuestoDR,attr"`
				TasaOCuotaDR string `xml:"TasaOCuotaDR,attr"`
				ImporteDR    string `xml:"ImporteDR,attr"`
			} `xml:"ImpuestosDR>TrasladosDR>TrasladoDR"`
		} `xml:"http://www.sat.gob.mx/Pagos20 DoctoRelacionado"`
		TrasladosP []struct {
			BaseP    string `xml:"BaseP,attr"`
			ImporteP string `xml:"ImporteP,attr"`
		} `xml:"ImpuestosP>TrasladosP>TrasladoP"`
	} `xml:"http://www.sat.gob.mx/Pagos20 Pago"`
}

// mustCFDI fetches an invoice's XML from path and parses it with
// encoding/xml: it is well formed, marked unstamped and unsealed.
func (e *GigstackEnv) mustCFDI(path string, headers ...string) cfdiDoc {
	e.tb.Helper()
	r := e.MustDo(200, "GET", path+"?file_type=xml", "", headers...)
	require.Equal(e.tb, "application/xml; charset=utf-8", r.Header.Get("Content-Type"))
	require.True(e.tb, bytes.HasPrefix(r.Body, []byte(xml.Header+"<!-- UNSTAMPED:")), "%s", r.Body)
	require.NotContains(e.tb, string(r.Body), ":TimbreFiscalDigital")
	require.NotContains(e.tb, string(r.Body), "></cfdi:Retenciones>")
	// Well formed: every token decodes.
	dec := xml.NewDecoder(bytes.NewReader(r.Body))
	for {
		_, err := dec.Token()
		if err != nil {
			require.ErrorContains(e.tb, err, "EOF")
			break
		}
	}
	var doc cfdiDoc
	require.NoError(e.tb, xml.Unmarshal(r.Body, &doc), "%s", r.Body)
	require.Nil(e.tb, doc.Sello)
	require.Equal(e.tb, "4.0", doc.Version)
	return doc
}

func dec(tb testing.TB, s string) decimal.Decimal {
	tb.Helper()
	d, err := decimal.NewFromString(s)
	require.NoError(tb, err, "%q", s)
	return d
}

// requireSums checks the CFDI's arithmetic: its SubTotal is the sum of its
// concepts' Importe, each concept's Importe its ValorUnitario × Cantidad
// within the SAT's tolerance, its tax totals the sums of its concepts' taxes,
// and its Total SubTotal + transferred − withheld.
func requireSums(tb testing.TB, doc cfdiDoc) {
	tb.Helper()
	sub, tr, wh := decimal.Zero, decimal.Zero, decimal.Zero
	for _, c := range doc.Conceptos {
		imp := dec(tb, c.Importe)
		sub = sub.Add(imp)
		diff := dec(tb, c.ValorUnitario).Mul(dec(tb, c.Cantidad)).Sub(imp).Abs()
		require.True(tb, diff.LessThanOrEqual(decimal.RequireFromString("0.01")), "concept %+v", c)
		for _, t := range c.Traslados {
			if t.Importe != "" {
				tr = tr.Add(dec(tb, t.Importe))
			}
		}
		for _, t := range c.Retenciones {
			wh = wh.Add(dec(tb, t.Importe))
		}
	}
	require.Equal(tb, dec(tb, doc.SubTotal).String(), sub.String(), "SubTotal")
	total := sub.Add(tr).Sub(wh)
	require.Equal(tb, dec(tb, doc.Total).String(), total.String(), "Total")
	if tr.IsZero() && wh.IsZero() {
		return
	}
	require.NotNil(tb, doc.Impuestos)
	if !tr.IsZero() {
		require.Equal(tb, tr.String(), dec(tb, doc.Impuestos.TotalImpuestosTrasladados).String())
		sum := decimal.Zero
		for _, t := range doc.Impuestos.Traslados {
			if t.Importe != "" {
				sum = sum.Add(dec(tb, t.Importe))
			}
		}
		require.Equal(tb, tr.String(), sum.String())
	}
	if !wh.IsZero() {
		require.Equal(tb, wh.String(), dec(tb, doc.Impuestos.TotalImpuestosRetenidos).String())
		sum := decimal.Zero
		for _, t := range doc.Impuestos.Retenciones {
			sum = sum.Add(dec(tb, t.Importe))
		}
		require.Equal(tb, wh.String(), sum.String())
	}
}

// awkwardInvoice has the awkward lines: 3 × 33.33 with 16 % IVA added
// (99.99 + 16.00) and included (86.20 + 13.79), and 1 × 1000 with IVA added
// and ISR (10 %) and two thirds of the IVA (10.6667 %) withheld
// (1000 + 160 − 100 − 106.67).
const awkwardInvoice = `{"client":{"id":"%s"},"payment_form":"03","items":[
	{"description":"Consulting","quantity":3,"unit_price":33.33,"product_key":"80101500","unit_key":"E48",
	 "taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa","inclusive":false}]},
	{"description":"Consulting, IVA included","quantity":3,"unit_price":33.33,"product_key":"80101500","unit_key":"E48",
	 "taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa"}]},
	{"description":"Professional fees","quantity":1,"unit_price":1000,"product_key":"80101500","unit_key":"E48",
	 "taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa","inclusive":false},
	          {"type":"ISR","rate":0.10,"factor":"Tasa","inclusive":false,"withholding":true},
	          {"type":"IVA","rate":0.106667,"factor":"Tasa","inclusive":false,"withholding":true}]}]}`

// invoiceTotals reads an invoice's subtotal, total and balance as text.
func invoiceTotals(tb testing.TB, d map[string]json.RawMessage) [3]string {
	tb.Helper()
	return [3]string{string(d["subtotal"]), string(d["total"]), string(d["last_balance"])}
}

func TestGigstack_Invoices(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)

	t.Run("OK", func(t *testing.T) {
		d := e.MustDo(200, "POST", "/v2/invoices/income", fmt.Sprintf(awkwardInvoice, client)).Data(t)
		require.Equal(t, [3]string{"1186.19", "1169.31", "0"}, invoiceTotals(t, d))
		require.Equal(t, `"valid"`, string(d["status"]))
		require.Equal(t, `"I"`, string(d["invoice_type"]))
		require.Equal(t, `"A"`, string(d["series"]))
		require.Equal(t, `"PUE"`, string(d["payment_method"]))
		require.Equal(t, `"03"`, string(d["payment_form"]))
		require.Equal(t, "false", string(d["stamped"]))
		require.Equal(t, d["id"], d["uuid"])
		var items []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(d["items"], &items))
		require.Equal(t, []string{"115.99", "99.99", "953.33"}, []string{string(items[0]["total"]), string(items[1]["total"]), string(items[2]["total"])})
		require.Equal(t, []string{"99.99", "86.2", "1000"}, []string{string(items[0]["subtotal"]), string(items[1]["subtotal"]), string(items[2]["subtotal"])})
		var c map[string]string
		require.NoError(t, json.Unmarshal(d["client"], &c))
		require.Equal(t, map[string]string{"id": client, "name": "MARIA RODRIGUEZ SANTOS", "legal_name": "MARIA RODRIGUEZ SANTOS",
			"tax_id": "ROSM850315QT8", "tax_system": "612", "zip": "06100", "use": "G01", "email": "maria.rodriguez@example.com"}, c)
		id := str(t, d["id"])
		require.Equal(t, d, e.MustDo(200, "GET", "/v2/invoices/income/"+id, "").Data(t))

		doc := e.mustCFDI("/v2/invoices/income/" + id)
		requireSums(t, doc)
		require.Equal(t, "A", doc.Serie)
		require.Equal(t, string(d["folio_number"]), doc.Folio)
		require.Equal(t, []string{"I", "PUE", "03", "MXN", "1", "01", "06100"},
			[]string{doc.TipoDeComprobante, doc.MetodoPago, doc.FormaPago, doc.Moneda, doc.TipoCambio, doc.Exportacion, doc.LugarExpedicion})
		require.Equal(t, "2024-01-09T06:00:00", doc.Fecha) // noon UTC in Mexico City
		require.Equal(t, []string{"MAS190101AB1", "MASTER SERVICIOS", "601"}, []string{doc.Emisor.Rfc, doc.Emisor.Nombre, doc.Emisor.RegimenFiscal})
		require.Equal(t, []string{"ROSM850315QT8", "MARIA RODRIGUEZ SANTOS", "06100", "612", "G01"}, []string{doc.Receptor.Rfc,
			doc.Receptor.Nombre, doc.Receptor.DomicilioFiscalReceptor, doc.Receptor.RegimenFiscalReceptor, doc.Receptor.UsoCFDI})
		require.Equal(t, []string{"1186.19", "1169.31", "189.79", "206.67"}, []string{doc.SubTotal, doc.Total,
			doc.Impuestos.TotalImpuestosTrasladados, doc.Impuestos.TotalImpuestosRetenidos})
		// The second line's 16 % is inside its price: its unit value is its base per unit.
		c1 := doc.Conceptos[1]
		require.Equal(t, []string{"3", "28.733333", "86.20", "02"}, []string{c1.Cantidad, c1.ValorUnitario, c1.Importe, c1.ObjetoImp})
		require.Equal(t, []cfdiTax{{Base: "86.20", Impuesto: "002", TipoFactor: "Tasa", TasaOCuota: "0.160000", Importe: "13.79"}}, c1.Traslados)
		require.Equal(t, []cfdiTax{{Base: "1000.00", Impuesto: "001", TipoFactor: "Tasa", TasaOCuota: "0.100000", Importe: "100.00"},
			{Base: "1000.00", Impuesto: "002", TipoFactor: "Tasa", TasaOCuota: "0.106667", Importe: "106.67"}}, doc.Conceptos[2].Retenciones)
		// Transferred taxes by tax, factor and rate; withheld ones by tax.
		require.Equal(t, []cfdiTax{{Base: "1186.19", Impuesto: "002", TipoFactor: "Tasa", TasaOCuota: "0.160000", Importe: "189.79"}}, doc.Impuestos.Traslados)
		require.Equal(t, []cfdiTax{{Impuesto: "001", Importe: "100.00"}, {Impuesto: "002", Importe: "106.67"}}, doc.Impuestos.Retenciones)
	})

	t.Run("GeneralPublicAndUSD", func(t *testing.T) {
		c := e.MustClient(`{"name":"Walk-in Customer","email":"walkin@example.com"}`)
		d := e.MustDo(200, "POST", "/v2/invoices/income", `{"client":{"id":"`+c+`"},"currency":"USD","exchange_rate":17.25,
			"payment_form":"04","series":"USD","items":[{"description":"Widget","quantity":2.5,"unit_price":19.99,"product_key":"43232408","unit_key":"H87"}]}`).Data(t)
		require.Equal(t, [3]string{"49.98", "49.98", "0"}, invoiceTotals(t, d))
		doc := e.mustCFDI("/v2/invoices/income/" + str(t, d["id"]))
		requireSums(t, doc)
		require.Equal(t, []string{"USD", "1", "USD", "17.25"}, []string{doc.Serie, doc.Folio, doc.Moneda, doc.TipoCambio})
		require.Equal(t, []string{"XAXX010101000", "WALK-IN CUSTOMER", "06100", "616", "S01"}, []string{doc.Receptor.Rfc,
			doc.Receptor.Nombre, doc.Receptor.DomicilioFiscalReceptor, doc.Receptor.RegimenFiscalReceptor, doc.Receptor.UsoCFDI})
		require.Nil(t, doc.Impuestos)
		require.Equal(t, "01", doc.Conceptos[0].ObjetoImp)
		require.Equal(t, "19.99", doc.Conceptos[0].ValorUnitario)
	})

	t.Run("ListAndFolios", func(t *testing.T) {
		e := MustGigstack(t)
		client := e.MustClient(mariaClient)
		var ids []string
		for i := range 5 {
			body := `{"client":{"id":"` + client + `"},"payment_form":"01","items":[{"description":"Item","unit_price":` + fmt.Sprint(i+1) + `}]}`
			if i == 4 {
				body = strings.Replace(body, `"payment_form":"01"`, `"series":"B","payment_form":"01"`, 1)
			}
			d := e.MustDo(200, "POST", "/v2/invoices/income", body).Data(t)
			ids = append(ids, str(t, d["id"]))
			want := fmt.Sprint(i + 1)
			if i == 4 {
				want = "1" // series B counts apart
			}
			require.Equal(t, want, string(d["folio_number"]))
		}
		r := e.MustDo(200, "GET", "/v2/invoices/income?limit=2", "")
		j := r.JSON(t)
		require.Equal(t, []string{"5", "true", `"` + ids[3] + `"`}, []string{string(j["total_results"]), string(j["has_more"]), string(j["next"])})
		r = e.MustDo(200, "GET", "/v2/invoices/income?limit=2&next="+ids[3], "")
		require.Contains(t, string(r.JSON(t)["data"]), ids[2])
		require.Equal(t, `"`+ids[1]+`"`, string(r.JSON(t)["next"]))
		r = e.MustDo(200, "GET", "/v2/invoices/income?limit=2&next="+ids[1], "")
		require.Equal(t, "false", string(r.JSON(t)["has_more"]))
		require.Equal(t, "1", string(e.MustDo(200, "GET", "/v2/invoices/income?series=B", "").JSON(t)["total_results"]))
		require.Equal(t, "5", string(e.MustDo(200, "GET", "/v2/invoices/income?status=valid&client_id="+client, "").JSON(t)["total_results"]))
		require.Equal(t, "0", string(e.MustDo(200, "GET", "/v2/invoices/income?status=cancelled", "").JSON(t)["total_results"]))
		require.Equal(t, "0", string(e.MustDo(200, "GET", "/v2/invoices/payment", "").JSON(t)["total_results"]))
		// Another team sees none of them; a master team sees its team's with team.
		require.Equal(t, "0", string(e.MustDo(200, "GET", "/v2/invoices/income", "", "Authorization", "Bearer sub-key").JSON(t)["total_results"]))
		e.MustDo(404, "GET", "/v2/invoices/income/"+ids[0], "", "Authorization", "Bearer sub-key")
		e.MustDo(404, "GET", "/v2/invoices/payment/"+ids[0], "")
	})

	t.Run("ErrValidation", func(t *testing.T) {
		e := MustGigstack(t)
		client := e.MustClient(mariaClient)
		noTax := e.MustClient(`{"name":"Juan","rfc":"PEJU850315QT8"}`)
		line := `"items":[{"description":"Item","unit_price":10}]`
		for _, tc := range []struct {
			body  string
			field string
		}{
			{`{"payment_form":"01",` + line + `}`, "client.id"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","items":[]}`, "items"},
			{`{"client":{"id":"` + client + `"},` + line + `}`, "payment_form"},
			{`{"client":{"id":"` + client + `"},"payment_form":"99",` + line + `}`, "payment_form"},
			{`{"client":{"id":"` + client + `"},"payment_method":"PPD","payment_form":"03",` + line + `}`, "payment_form"},
			{`{"client":{"id":"` + client + `"},"payment_method":"XYZ",` + line + `}`, "payment_method"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","folio_number":7,` + line + `}`, "folio_number"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","series":"A-1",` + line + `}`, "series"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","use":"ZZZ",` + line + `}`, "use"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","use":"CN01",` + line + `}`, "use"}, // payroll, not for 612
			{`{"client":{"id":"` + client + `"},"payment_form":"01","items":[{"description":"","unit_price":10}]}`, "items[0].description"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","items":[{"description":"x","unit_price":10.001}]}`, "items[0].unit_price"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","exchange_rate":2,` + line + `}`, "exchange_rate"},
			{`{"client":{"id":"` + noTax + `"},"payment_form":"01",` + line + `}`, "client.tax_system"},
			{`{"client":{"id":"client_nope"},"payment_form":"01",` + line + `}`, "client.id"},
			{`{"client":{"id":"` + client + `"},"payment_form":"01","automation_type":"payment",` + line + `}`, "automation_type"},
		} {
			r := e.Do("POST", "/v2/invoices/income", tc.body)
			require.Equal(t, 400, r.Status, "%s: %s", tc.body, r.Body)
			ge := gigstackError(t, r)
			require.Equal(t, "VALIDATION_ERROR", ge.Error.Code)
			require.Contains(t, ge.Error.Details, tc.field, "%s: %s", tc.body, r.Body)
		}
		// Nothing written: the next invoice takes folio 1.
		require.Equal(t, "0", string(e.MustDo(200, "GET", "/v2/invoices/income", "").JSON(t)["total_results"]))
		e.MustDo(200, "POST", "/v2/invoices/income", `{"client":{"id":"`+client+`"},"payment_form":"01",`+line+`}`)
		j := e.MustDo(200, "GET", "/v2/invoices/income", "").JSON(t)
		require.Equal(t, "1", string(j["total_results"]))
		require.Contains(t, string(j["data"]), `"folio_number":1`)
		// A team without a fiscal identity cannot invoice: 409 on team.
		ge := gigstackError(t, e.MustDo(409, "POST", "/v2/invoices/income", `{"client":{"email":"a@example.com","name":"A"},"payment_form":"01",`+line+`}`,
			"Authorization", "Bearer out-key"))
		require.Equal(t, "CONFLICT", ge.Error.Code)
		require.Contains(t, ge.Error.Details, "team")
		var list []struct{ ID string }
		require.NoError(t, json.Unmarshal(j["data"], &list))
		ge = gigstackError(t, e.MustDo(400, "GET", "/v2/invoices/income/"+list[0].ID+"?file_type=pdf", ""))
		require.Contains(t, ge.Error.Details, "file_type")
	})
}

// TestGigstack_InvoiceFolios: concurrent invoices of one series take the
// folios 1 to N, each once, with no gap; another series counts apart.
func TestGigstack_InvoiceFolios(t *testing.T) {
	e := MustGigstack(t)
	client := e.MustClient(mariaClient)
	const n = 40
	folios := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			series := "C"
			if i%4 == 3 {
				series = "D"
			}
			r := e.Do("POST", "/v2/invoices/income", `{"client":{"id":"`+client+`"},"series":"`+series+`","payment_form":"03",
				"items":[{"description":"Item","unit_price":`+fmt.Sprint(i+1)+`}]}`, "Idempotency-Key", fmt.Sprint("folio-", i))
			if r.Status != 200 {
				t.Errorf("invoice %d: %d %s", i, r.Status, r.Body)
				return
			}
			var f struct {
				Folio int `json:"folio_number"`
			}
			require.NoError(t, json.Unmarshal(r.JSON(t)["data"], &f))
			folios[i] = f.Folio
		}()
	}
	wg.Wait()
	var c, d []int
	for i, f := range folios {
		if i%4 == 3 {
			d = append(d, f)
		} else {
			c = append(c, f)
		}
	}
	slices.Sort(c)
	slices.Sort(d)
	for i, f := range c {
		require.Equal(t, i+1, f, "series C: %v", c)
	}
	for i, f := range d {
		require.Equal(t, i+1, f, "series D: %v", d)
	}
	// A retry with the same key is the same invoice, not a new folio.
	r := e.MustDo(200, "POST", "/v2/invoices/income", `{"client":{"id":"`+client+`"},"series":"C","payment_form":"03",
		"items":[{"description":"Item","unit_price":1}]}`, "Idempotency-Key", "folio-0")
	require.Equal(t, fmt.Sprint(folios[0]), string(r.Data(t)["folio_number"]))
	require.Equal(t, fmt.Sprint(n), string(e.MustDo(200, "GET", "/v2/invoices/income", "").JSON(t)["total_results"]))
}
